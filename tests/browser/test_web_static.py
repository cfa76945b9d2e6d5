"""The web client as files: how the server serves them, and rules the source must keep.

No browser needed: these run everywhere, through the real app.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from lakeside.api.web import CSP, WEB_DIR, build_id

JS_FILES = sorted((WEB_DIR / "js").rglob("*.js"))
I18N_DIR = WEB_DIR / "js" / "i18n"
# The core dictionary and one per feature (i18n/index.js merges them), in each language.
FEATURES = ("", "workspace.", "ding.", "growth.", "tools.")
DICTIONARIES = {lang: [I18N_DIR / f"{feature}{lang}.js" for feature in FEATURES] for lang in ("en", "zh-CN")}
# Keys built at run time, e.g. t(`presence.${status}`): every value they can take.
DYNAMIC_KEYS = {
    "presence.": ["online", "away", "offline"],
    "role.": ["owner", "admin", "member"],
    "login.reason.": ["expired", "revoked"],
    "system.": [
        "group_created",
        "group_renamed",
        "members_added",
        "member_removed",
        "member_left",
        "owner_changed",
        # The group tools' (issue 14).
        *["notice_updated", "notice_cleared", "mute_all_on", "mute_all_off", "joined_by_link"],
    ],
    "nav.": [
        *["chats", "contacts", "search", "settings", "ding", "announcements", "directory", "admin"],
        *["campaigns", "analytics"],
    ],
    "msg.": ["sending", "uploading"],
    "mute.": ["for10m", "for1h", "for1d", "forever"],  # a member's mute, for how long
    "receipt.": ["readTab", "unreadTab", "noneRead", "noneUnread"],
    # The admin pages' navigation, DING escalation steps, invitation expiries and states.
    "admin.": [
        *["settings", "members", "departments", "invitations", "requests", "ding"],
        *["dingApp", "dingEmail", "dingSms", "dingVoice", "dingAppHint", "dingEmailHint", "dingChannelHint"],
        *["expires1d", "expires7d", "expires30d", "expiresNever"],
        *["stateActive", "stateExpired", "stateUsedUp", "stateRevoked"],
    ],
    "admin.contactState.": ["pending", "accepted", "declined", "revoked"],
    "admin.requests.": ["pending", "approved", "rejected"],
    # A campaign's state (growth engine).
    "growth.status.": ["scheduled", "running", "closing", "ended"],
}


def dictionary_keys(paths: list[Path]) -> set[str]:
    keys: set[str] = set()
    for path in paths:
        found = re.findall(r'^\s*"([^"]+)":', path.read_text(encoding="utf-8"), re.MULTILINE)
        repeated = keys.intersection(found)
        assert not repeated, f"{path.name} repeats keys of another file: {repeated}"
        keys.update(found)
    return keys


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in JS_FILES:
        if "i18n" in path.parts:
            continue
        keys.update(re.findall(r'\bt(?:n)?\("([a-zA-Z][\w.]*)"', path.read_text(encoding="utf-8")))
    for prefix, values in DYNAMIC_KEYS.items():
        keys.update(prefix + value for value in values)
    return keys


def test_every_text_exists_in_both_languages() -> None:
    english = dictionary_keys(DICTIONARIES["en"])
    chinese = dictionary_keys(DICTIONARIES["zh-CN"])
    assert english == chinese, {"only in en": english - chinese, "only in zh-CN": chinese - english}
    used = used_keys()
    assert used - english == set(), "texts used but not translated"
    unused = {key for key in english - used if not key.startswith("error.")}
    assert unused == set(), "translations nobody uses"


def test_the_source_never_turns_strings_into_markup() -> None:
    forbidden = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\"on"
    )
    for path in JS_FILES:
        assert not forbidden.search(path.read_text(encoding="utf-8")), path
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"\son[a-z]+=", page), "inline event handler in index.html"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script in index.html"
    assert "style=" not in page


def test_modules_stay_focused() -> None:
    for path in JS_FILES:
        if "i18n" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 420, f"{path.relative_to(WEB_DIR)} has {lines} lines: split it"


async def test_the_page_is_served_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP
    assert response.headers["cache-control"] == "no-cache"
    assert f"/static/{build_id()}/js/app.js" in response.text
    assert "{{" not in response.text


async def test_assets_are_cached_for_good_under_their_build_id(client: httpx.AsyncClient) -> None:
    current = await client.get(f"/static/{build_id()}/js/app.js")
    assert current.status_code == 200
    assert current.headers["content-type"].startswith("text/javascript")
    assert "immutable" in current.headers["cache-control"]
    stale = await client.get("/static/0123456789ab/css/base.css")
    assert stale.status_code == 200
    assert stale.headers["content-type"].startswith("text/css")
    assert stale.headers["cache-control"] == "no-cache"


async def test_nothing_outside_the_client_is_served(client: httpx.AsyncClient) -> None:
    for path in (
        f"/static/{build_id()}/../api/web.py",
        f"/static/{build_id()}/%2e%2e/%2e%2e/config.py",
        f"/static/{build_id()}/js/missing.js",
        f"/static/{build_id()}/index.html",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path


async def test_the_client_does_not_shadow_the_api(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401
