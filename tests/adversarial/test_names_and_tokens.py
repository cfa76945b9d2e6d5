"""Names that pass for other names or for nothing, passwords everyone tries, and a CSRF token
carried from one session to another."""

from __future__ import annotations

import contextlib

import httpx
import pytest
from fastapi import FastAPI

from lakeside.domain import text
from lakeside.errors import Invalid
from tests.conftest import PASSWORD, Person, error_code, register

# Each draws nothing or turns the text around it (the finding's list).
INVISIBLE = [
    "\u115f", "\u1160", "\u3164", "\uffa0", "\u061c", "\ufeff", "\u180e", "\u034f", "\u00ad", "\u2028",
    "\u2029", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
    "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u2060", "\u2800", "\U000e0001", "\U000e0041",
    "\U000e007f",
]  # fmt: skip


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_invisible_and_direction_characters_are_refused_in_names(char: str) -> None:
    for name in (char, f" {char} ", f"张{char}三", f"Ad{char}min", char * 3):
        with pytest.raises(Invalid) as refused:
            text.clean_name(name, field="display name")
        assert refused.value.code == "INVALID_NAME"
    # At the very end, a line separator is trimmed as white space: the name keeps none of it.
    with contextlib.suppress(Invalid):
        assert not any(text.is_invisible(c) for c in text.clean_name(f"Admin{char}", field="name"))
    assert text.strip_invisible(f"report{char}.pdf") == "report.pdf"


def test_names_must_show_something() -> None:
    for name in ("\u0301", "\u0301\u0302", " \u3000 ", "\u0300 \u0301"):
        with pytest.raises(Invalid):
            text.clean_name(name, field="display name")
    for name in ("张三", "Zoë", "李 四", "🙂", "👨‍👩‍👧"[0], "O'Brien", "٣"):
        assert text.clean_name(name, field="display name") == name


async def test_the_api_refuses_invisible_display_names_and_titles(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    for name in ("\u115f", "admin\u202e", "\u3164\u3164", "张\U000e0041三"):
        response = await zhangsan.patch("/api/v1/me", json={"display_name": name})
        assert response.status_code == 422 and error_code(response) == "INVALID_NAME", repr(name)
        response = await zhangsan.post("/api/v1/conversations", json={"title": name})
        assert response.status_code == 422 and error_code(response) == "INVALID_NAME", repr(name)


async def test_file_names_lose_their_invisible_characters(people: dict[str, Person]) -> None:
    upload = await people["lisi"].post(
        "/api/v1/files",
        files={
            "file": ("invoice\u202egpj.exe\u200b\u00ad\ufeff", b"MZ not really", "application/octet-stream")
        },
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["filename"] == "invoicegpj.exe"
    upload = await people["lisi"].post("/api/v1/files", files={"file": ("\u115f\u2066", b"x", "text/plain")})
    assert upload.json()["filename"] == "file"  # nothing visible left: the default name


@pytest.mark.parametrize(
    "password", ["password", "12345678", "iloveyou", "qwertyuiop", "Password1", "PASSWORD"]
)
async def test_common_passwords_are_refused_at_registration(client: httpx.AsyncClient, password: str) -> None:
    response = await client.post("/api/v1/auth/register", json={"username": "newbie", "password": password})
    assert response.status_code == 422 and error_code(response) == "PASSWORD_TOO_COMMON", password


async def test_common_and_own_passwords_are_refused_on_change(client: httpx.AsyncClient) -> None:
    me = await register(client, "changer", "Changer", email="changer.mail@example.com")
    for new, code in (
        ("letmein123", "PASSWORD_TOO_COMMON"),
        ("changer.mail@example.com", "WEAK_PASSWORD"),
        ("changer.mail", "WEAK_PASSWORD"),
        ("changer", "WEAK_PASSWORD"),
    ):
        response = await me.post(
            "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": new}
        )
        assert response.status_code == 422 and error_code(response) == code, new
    response = await client.post(
        "/api/v1/auth/register",
        json={"username": "mailer", "password": "mailer@example.com", "email": "mailer@example.com"},
    )
    assert error_code(response) == "WEAK_PASSWORD"


async def test_a_csrf_token_is_good_for_its_own_session_only(app: FastAPI) -> None:
    """Two browsers (two cookie jars). The first's CSRF token, sent with the second's session
    cookie — planted by a sibling subdomain, or read elsewhere — is refused."""

    def browser() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4242))
        return httpx.AsyncClient(transport=transport, base_url="http://lakeside.test")

    async with browser() as first, browser() as second:
        for http, name in ((first, "first"), (second, "second")):
            body = {"username": f"{name}web", "password": PASSWORD, "use_cookie": True}
            assert (await http.post("/api/v1/auth/register", json=body)).status_code == 201
        csrf_one, csrf_two = first.cookies["lakeside_csrf"], second.cookies["lakeside_csrf"]
        assert csrf_one != csrf_two
        change = {"display_name": "Forged"}
        response = await second.patch("/api/v1/me", json=change, headers={"X-CSRF-Token": csrf_one})
        assert response.status_code == 403 and error_code(response) == "CSRF_FAILED"
        # Overwriting the victim's CSRF cookie with the attacker's value does not help either.
        second.cookies.set("lakeside_csrf", csrf_one, domain="lakeside.test")
        response = await second.patch("/api/v1/me", json=change, headers={"X-CSRF-Token": csrf_one})
        assert response.status_code == 403 and error_code(response) == "CSRF_FAILED"
        response = await second.patch(
            "/api/v1/me", json={"display_name": "Second"}, headers={"X-CSRF-Token": csrf_two}
        )
        assert response.status_code == 200, response.text
        # A new log-in is a new session and a new token; the old one stops working with it.
        login = await first.post(
            "/api/v1/auth/login", json={"login": "firstweb", "password": PASSWORD, "use_cookie": True}
        )
        assert login.status_code == 200 and first.cookies["lakeside_csrf"] != csrf_one
        response = await first.patch(
            "/api/v1/me", json={"display_name": "Again"}, headers={"X-CSRF-Token": csrf_one}
        )
        assert response.status_code == 403
