"""The web client as files: how the server serves them, and rules the source must keep.

No browser needed: these run everywhere, through the real app.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from lakeside.api.web import CSP, WEB_DIR, preloaded
from lakeside.api.web import client as web_client
from lakeside.domain.bot_scopes import SCOPES
from lakeside.domain.reports import BUILTINS as REPORT_BUILTINS
from lakeside.domain.reports import FIELD_TYPES as REPORT_FIELD_TYPES
from lakeside.domain.reports import PERIODS as REPORT_PERIODS
from lakeside.services.audit import ACTIONS as AUDIT_ACTIONS
from tests.conftest import service_missing

JS_FILES = sorted((WEB_DIR / "js").rglob("*.js"))
I18N_DIR = WEB_DIR / "js" / "i18n"
# The core dictionary and one per feature (i18n/index.js merges them), in each language.
FEATURES = (
    "",
    "workspace.",
    "ding.",
    "growth.",
    "tools.",
    "media.",
    "robots.",
    "outgoing.",
    "bots.",
    "approvals.",
    "reports.",
    "todos.",
)
DICTIONARIES = {lang: [I18N_DIR / f"{feature}{lang}.js" for feature in FEATURES] for lang in ("en", "zh-CN")}
# Keys built at run time, e.g. t(`presence.${status}`): every value they can take.
DYNAMIC_KEYS = {
    "presence.": ["online", "away", "offline", "unknown"],
    "role.": ["owner", "admin", "member"],
    "login.reason.": ["expired", "revoked", "account-deleted"],
    # A contact detail's proof (settings.js), and a data export's state (settings-privacy.js).
    "settings.": ["verified", "unverified", "linkSent", "codeSent"],
    "privacy.status.": ["queued", "running", "ready", "failed", "expired"],
    # A group robot's dialect (group-robots.js).
    "robots.dialect.": ["dingtalk", "slack", "wecom", "feishu"],
    # A bot token's scopes by name (settings-bots.js): every scope the server knows has a label.
    "bots.scope.": list(SCOPES),
    "system.": [
        "group_created",
        "group_renamed",
        "members_added",
        "member_removed",
        "member_left",
        "member_joined",
        "owner_changed",
        # The group tools' (issue 14).
        *["notice_updated", "notice_cleared", "mute_all_on", "mute_all_off", "joined_by_link"],
    ],
    "nav.": [
        *["chats", "contacts", "search", "settings", "ding", "announcements", "directory", "admin"],
        *["campaigns", "analytics"],
        "approvals",
        "reports",
        "todos",
    ],
    "msg.": ["sending", "uploading", "waiting"],
    "mute.": ["for10m", "for1h", "for1d", "forever"],  # a member's mute, for how long
    "receipt.": ["readTab", "unreadTab", "noneRead", "noneUnread"],
    # tn("record.count", n): the singular where the language has one.
    "record.count.": ["one"],
    # The admin pages' navigation, DING escalation steps, invitation expiries and states.
    "admin.": [
        *["settings", "members", "departments", "invitations", "requests", "ding"],
        *["dingApp", "dingEmail", "dingSms", "dingVoice", "dingAppHint", "dingEmailHint", "dingSmsHint"],
        "dingVoiceHint",
        *["expires1d", "expires7d", "expires30d", "expiresNever", "audit", "ldap"],
        *["stateActive", "stateExpired", "stateUsedUp", "stateRevoked"],
    ],
    "admin.contactState.": ["pending", "accepted", "declined", "revoked"],
    "admin.requests.": ["pending", "approved", "rejected"],
    # A to-do's priority and the reminder choices (todos.js, todo-editor.js).
    "todo.priority.": ["normal", "high", "urgent"],
    "todo.remind": ["None", "AtDue", "15m", "1h", "1d"],
    # A campaign's state (growth engine).
    "growth.status.": ["scheduled", "running", "closing", "ended"],
    # Approvals (issue 15): boxes, states, history actions, field types, approver kinds, operators, icons.
    "appr.box.": ["pending", "handled", "mine", "cc"],
    "appr.empty.": ["pending", "handled", "mine", "cc"],
    "appr.status.": ["pending", "approved", "rejected", "returned", "withdrawn"],
    "appr.stepStatus.": ["waiting", "pending", "approved", "rejected", "returned", "cancelled"],
    "appr.taskStatus.": [
        *["waiting", "pending", "approved", "rejected", "returned"],
        *["transferred", "auto_approved", "cancelled"],
    ],
    "appr.action.": [
        *["submit", "approve", "auto_approve", "reject", "return", "resubmit", "transfer", "add_approver"],
        *["comment", "withdraw", "urge", "remind", "cc", "finish"],
    ],
    "appr.done.": ["approve", "reject", "return", "transfer", "withdraw", "add_approver"],
    "appr.type.": [
        *["text", "textarea", "number", "money", "date", "daterange", "datetimerange"],
        *["select", "multiselect", "people", "department", "attachment", "image", "table"],
    ],
    "appr.kind.": ["user", "leader", "role", "department_leader"],
    "appr.op.": [">", ">=", "<", "<=", "==", "!=", "in"],
    "appr.icon.": [
        *["leave", "expense", "trip", "purchase", "general"],
        *["users", "building", "gift", "flag", "chart"],
    ],
    # The audit log: every action the server records, and their families.
    "audit.action.": sorted(AUDIT_ACTIONS),
    "audit.family.": sorted({action.split(".")[0] for action in AUDIT_ACTIONS}),
    # Daily reports (reports.js): the built-in templates and their fields, periods, field types.
    "reports.builtin.": sorted(REPORT_BUILTINS),
    "reports.field.": sorted({f["key"] for spec in REPORT_BUILTINS.values() for f in spec["fields"]}),
    "reports.period.": list(REPORT_PERIODS),
    "reports.for.": list(REPORT_PERIODS),
    "reports.dateLabel.": list(REPORT_PERIODS),
    "reports.type.": list(REPORT_FIELD_TYPES),
    "reports.weekday.": [str(day) for day in range(1, 8)],
}


def dictionary_keys(paths: list[Path]) -> set[str]:
    keys: set[str] = set()
    for path in paths:
        found = re.findall(r'^\s*"([^"]+)":', path.read_text(encoding="utf-8"), re.MULTILINE)
        # Within one file, the second entry of a key silently replaces the first in JavaScript.
        twice = {key for key in found if found.count(key) > 1}
        assert not twice, f"{path.name} has keys twice: {twice}"
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


CJK = re.compile(r"[\u3000-\u303f\uff00-\uffef\u3400-\u9fff]")
CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")


def dictionary_entries(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return dict(re.findall(r'^\s*"([^"]+)":\s*"((?:[^"\\]|\\.)*)"', text, re.MULTILINE))


def test_punctuation_and_words_come_from_the_dictionaries() -> None:
    """ "研发中心（Leader）" in English: brackets, separators and words of one language written
    into the code show up in the other. The code has none (outside comments and a regex's
    character class); the English dictionaries have no Chinese punctuation."""
    for path in JS_FILES:
        if "i18n" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.strip()
            if code.startswith(("//", "*", "/*")):
                continue
            code = re.sub(r"\s//\s.*$", "", code)
            code = re.sub(r"\[[^\]]*\]", "", code)
            assert not CJK.search(code), f"{path.relative_to(WEB_DIR)}:{number}: {line.strip()}"
    for path in DICTIONARIES["en"]:
        for key, text in dictionary_entries(path).items():
            assert not CJK_PUNCTUATION.search(text), f"{path.name} {key}: {text}"


def test_no_two_fields_share_a_hint() -> None:
    """A hint explains one setting: a page that gives two fields the same one says nothing
    about either. Each hint key is used once per module, and no two hints read the same."""
    for path in JS_FILES:
        if "i18n" in path.parts:
            continue
        uses = re.findall(r'"([a-zA-Z][\w.]*Hint)"', path.read_text(encoding="utf-8"))
        repeated = {key for key in uses if uses.count(key) > 1}
        assert not repeated, f"{path.relative_to(WEB_DIR)} gives several fields {repeated}"
    for paths in DICTIONARIES.values():
        hints: dict[str, str] = {}
        for path in paths:
            hints.update(
                {key: text for key, text in dictionary_entries(path).items() if key.endswith("Hint")}
            )
        texts = list(hints.values())
        assert len(set(texts)) == len(texts), [key for key, text in hints.items() if texts.count(text) > 1]


def test_the_audit_page_knows_every_action_the_server_records() -> None:
    source = (WEB_DIR / "js" / "views" / "admin-audit.js").read_text(encoding="utf-8")
    block = re.search(r"export const AUDIT_ACTIONS = \{(.*?)\n\};", source, re.S)
    assert block is not None
    listed = {
        f"{family}.{name}"
        for family, names in re.findall(r"(\w+): \[([^\]]*)\]", block[1])
        for name in re.findall(r'"(\w+)"', names)
    }
    assert listed == set(AUDIT_ACTIONS)


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


def url_of(asset: str) -> str:
    return web_client().assets[asset].url


async def test_the_page_is_served_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    # The one inline script is the import map, allowed by its hash and nothing else.
    inline = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    scripts = [(attrs, body) for attrs, body in inline if "src=" not in attrs]
    assert [attrs for attrs, _ in scripts] == [' type="importmap"']
    digest = base64.b64encode(hashlib.sha256(scripts[0][1].encode()).digest()).decode()
    assert policy == CSP.replace("script-src 'self'", f"script-src 'self' 'sha256-{digest}'")
    assert response.headers["cache-control"] == "no-cache"
    assert f'src="{url_of("js/app.js")}"' in response.text
    assert "{{" not in response.text


async def test_the_page_is_revalidated_with_its_etag(client: httpx.AsyncClient) -> None:
    first = await client.get("/")
    again = await client.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"


async def test_the_import_map_names_every_module_by_its_hash(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    mapping = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page, re.S)[1])["imports"]
    for path in JS_FILES:
        name = path.relative_to(WEB_DIR).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, ext = name.rsplit(".", 1)
        assert mapping[f"/static/{name}"] == f"/static/{stem}.{digest}.{ext}"
    # The import map comes before any module is loaded or preloaded.
    assert page.index('type="importmap"') < page.index("modulepreload") < page.index('type="module"')


async def test_only_the_log_in_page_is_preloaded(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    assert preloads == [url_of(name) for name in preloaded(web_client().assets)]
    names = set(preloaded(web_client().assets))
    assert {"js/api.js", "js/i18n/index.js", "js/views/login.js"} <= names
    # The app itself, its dictionaries and its sections wait for first use.
    assert not names & {
        "js/views/shell.js",
        "js/session.js",
        "js/store.js",
        "js/i18n/en.js",
        "js/views/chats.js",
    }


async def test_assets_are_cached_for_good_under_their_hashed_names(client: httpx.AsyncClient) -> None:
    current = await client.get(url_of("js/app.js"))
    assert current.status_code == 200
    assert current.headers["content-type"].startswith("text/javascript")
    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert current.content == (WEB_DIR / "js" / "app.js").read_bytes()
    # A page of an older release asks for names that are no longer current: it gets today's file,
    # uncached (a stale hash, a plain name, the old per-release prefix).
    for stale in (
        "/static/css/base.0123456789.css",
        "/static/css/base.css",
        "/static/0123456789ab/css/base.css",
    ):
        response = await client.get(stale)
        assert response.status_code == 200, stale
        assert response.headers["content-type"].startswith("text/css")
        assert response.headers["cache-control"] == "no-cache"
        assert response.content == (WEB_DIR / "css" / "base.css").read_bytes()


async def test_text_is_served_gzipped_to_browsers_that_take_it(client: httpx.AsyncClient) -> None:
    for path in ("/", url_of("js/views/shell.js"), url_of("css/base.css")):
        zipped = await client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert zipped.headers["content-encoding"] == "gzip", path
        assert zipped.headers["vary"] == "Accept-Encoding"
        assert int(zipped.headers["content-length"]) < len(zipped.content) / 2  # decoded by httpx
        plain = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == zipped.content
    # Compressed once, at start: the same bytes every time.
    first = await client.get(url_of("js/app.js"), headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(web_client().assets["js/app.js"].gzipped or b"") == first.content


async def test_nothing_outside_the_client_is_served(client: httpx.AsyncClient) -> None:
    for path in (
        "/static/../api/web.py",
        "/static/%2e%2e/%2e%2e/config.py",
        "/static/js/missing.js",
        "/static/js/missing.0123456789.js",
        "/static/index.html",
        "/static/0123456789ab/../../api/web.py",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path


async def test_the_client_does_not_shadow_the_api(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401


def test_every_module_parses() -> None:
    """Every file of the client is a valid ES module: a syntax error in one (a brace lost in a merge)
    stops the app at its start with nothing but "cannot connect" on screen."""
    node = shutil.which("node")
    if node is None:
        service_missing("Node.js (node), which parses the client's modules")
        return

    def check(path: Path) -> str | None:
        done = subprocess.run(
            [node, "--input-type=module", "--check"],
            input=path.read_bytes(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        return None if done.returncode == 0 else f"{path.relative_to(WEB_DIR)}: {done.stderr.decode()[:400]}"

    with ThreadPoolExecutor(max_workers=4) as pool:
        broken = [problem for problem in pool.map(check, JS_FILES) if problem]
    assert broken == []
