"""Accounts: registration rules, log-in, sessions, profiles, look-up, rate limits."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, Person, error_code, register
from tests.contact_proofs import Proofs


async def test_first_account_is_admin_and_later_ones_are_not(client: httpx.AsyncClient) -> None:
    first = await register(client, "boss", "老板")
    second = await register(client, "worker", "员工")
    assert first.profile["is_admin"] is True
    assert second.profile["is_admin"] is False


async def test_register_validates_fields(client: httpx.AsyncClient) -> None:
    cases = [
        ({"username": "ab", "password": PASSWORD}, "INVALID_USERNAME"),
        ({"username": "9lives", "password": PASSWORD}, "INVALID_USERNAME"),
        ({"username": "all", "password": PASSWORD}, "USERNAME_RESERVED"),
        ({"username": "zhao", "password": "short"}, "WEAK_PASSWORD"),
        ({"username": "zhao", "password": "zhao"}, "WEAK_PASSWORD"),
        ({"username": "zhao", "password": "aaaaaaaaaa"}, "WEAK_PASSWORD"),
        ({"username": "zhao", "password": PASSWORD, "email": "not-an-email"}, "INVALID_EMAIL"),
        ({"username": "zhao", "password": PASSWORD, "phone": "12"}, "INVALID_PHONE"),
        ({"username": "zhao", "password": PASSWORD, "display_name": "bad\x07name"}, "INVALID_NAME"),
        ({"username": 5, "password": PASSWORD}, "VALIDATION_FAILED"),
        ({"username": "zhao", "password": PASSWORD, "extra": 1}, "VALIDATION_FAILED"),
    ]
    for body, code in cases:
        response = await client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == code, body
    # Nothing was half-written by the refusals.
    ok = await register(client, "zhao", "赵六")
    assert ok.profile["is_admin"] is True


async def test_invalid_json_is_a_clear_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_code(response) == "INVALID_JSON"


async def test_username_email_and_phone_are_unique(client: httpx.AsyncClient) -> None:
    await register(client, "zhangsan", "张三", email="zs@example.com", phone="+8613800000000")
    for body, code in [
        ({"username": "ZhangSan"}, "USERNAME_TAKEN"),
        ({"username": "zs2", "email": "ZS@example.com"}, "EMAIL_TAKEN"),
        ({"username": "zs3", "phone": "+86 138-0000-0000"}, "PHONE_TAKEN"),
    ]:
        response = await client.post("/api/v1/auth/register", json={"password": PASSWORD, **body})
        assert response.status_code == 422, response.text
        assert error_code(response) == code


async def test_login_by_username_email_or_phone(client: httpx.AsyncClient, proofs: Proofs) -> None:
    lisi = await register(client, "lisi", "李四", email="lisi@example.com", phone="13900000000")
    # An address logs in only once proved: anyone can type any address into a profile.
    for login in ("lisi@example.com", "13900000000"):
        response = await client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 401 and error_code(response) == "BAD_CREDENTIALS", login
    await proofs.prove_email(lisi)
    await proofs.prove_phone(lisi)
    for login in ("lisi", "LISI", "lisi@example.com", "13900000000"):
        response = await client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200, (login, response.text)
        assert response.json()["user"]["username"] == "lisi"
    response = await client.post("/api/v1/auth/login", json={"login": "lisi", "password": "wrong-password"})
    assert response.status_code == 401
    assert error_code(response) == "BAD_CREDENTIALS"


async def test_failed_logins_are_rate_limited_per_account(client: httpx.AsyncClient) -> None:
    await register(client, "wangwu", "王五")
    for _ in range(5):
        response = await client.post(
            "/api/v1/auth/login", json={"login": "wangwu", "password": "nope-nope-1"}
        )
        assert response.status_code == 401
    response = await client.post("/api/v1/auth/login", json={"login": "wangwu", "password": PASSWORD})
    assert response.status_code == 429
    assert error_code(response) == "LOGIN_RATE_LIMITED"
    assert int(response.headers["retry-after"]) > 0


async def test_failed_logins_are_rate_limited_per_address(client: httpx.AsyncClient) -> None:
    for i in range(20):
        response = await client.post("/api/v1/auth/login", json={"login": f"ghost{i}", "password": "x" * 9})
        assert response.status_code == 401
    response = await client.post("/api/v1/auth/login", json={"login": "ghost99", "password": "x" * 9})
    assert response.status_code == 429


async def test_sessions_are_listed_and_revocable(client: httpx.AsyncClient) -> None:
    me = await register(client, "alice", "Alice")
    response = await client.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
    phone = Person(client, response.json()["token"], response.json()["user"])
    sessions = (await me.get("/api/v1/auth/sessions")).json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    other = next(s for s in sessions if not s["current"])
    assert (await me.delete(f"/api/v1/auth/sessions/{other['id']}")).status_code == 200
    response = await phone.get("/api/v1/me")
    assert response.status_code == 401
    assert error_code(response) == "SESSION_INVALID"
    assert (await me.get("/api/v1/me")).status_code == 200
    # Someone else's session id is not found, not revoked.
    bob = await register(client, "bobby", "Bob")
    response = await bob.delete(f"/api/v1/auth/sessions/{me.profile['id']}")
    assert response.status_code == 404


async def test_logout_ends_the_session(client: httpx.AsyncClient) -> None:
    me = await register(client, "carol", "Carol")
    assert (await me.post("/api/v1/auth/logout")).status_code == 200
    assert (await me.get("/api/v1/me")).status_code == 401


async def test_tokens_are_required_and_checked(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_code(response) == "UNAUTHENTICATED"
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401
    assert error_code(response) == "SESSION_INVALID"


async def test_profile_edit_and_password_change(client: httpx.AsyncClient) -> None:
    me = await register(client, "dave", "Dave")
    response = await me.patch("/api/v1/me", json={"display_name": "  大卫 ", "email": "Dave@Example.com"})
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "大卫"
    assert response.json()["email"] == "dave@example.com"
    response = await me.patch("/api/v1/me", json={"email": None})
    assert response.json()["email"] is None
    response = await me.post(
        "/api/v1/me/password", json={"current_password": "wrong-one", "new_password": "another pass 1"}
    )
    assert response.status_code == 403
    # A second session (another device, or someone who learnt the old password).
    other = await client.post("/api/v1/auth/login", json={"login": "dave", "password": PASSWORD})
    other_headers = {"Authorization": f"Bearer {other.json()['token']}"}
    assert (await client.get("/api/v1/me", headers=other_headers)).status_code == 200
    response = await me.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another pass 1"}
    )
    assert response.status_code == 200
    # Changing the password ends every other session at once; the one that changed it stays.
    refused = await client.get("/api/v1/me", headers=other_headers)
    assert refused.status_code == 401 and error_code(refused) == "SESSION_INVALID"
    assert (await me.get("/api/v1/me")).status_code == 200
    sessions = (await me.get("/api/v1/auth/sessions")).json()
    assert [session["current"] for session in sessions] == [True]
    response = await client.post("/api/v1/auth/login", json={"login": "dave", "password": "another pass 1"})
    assert response.status_code == 200


async def test_lookup_is_exact_and_public_fields_only(client: httpx.AsyncClient, proofs: Proofs) -> None:
    me = await register(client, "erin", "Erin")
    frank = await register(client, "frank", "Frank", email="frank@example.com", phone="+8613700000001")
    # Unproved addresses find nobody.
    for query in ("frank@example.com", "+8613700000001"):
        assert (await me.get("/api/v1/users/lookup", params={"q": query})).json() == [], query
    await proofs.prove_email(frank)
    await proofs.prove_phone(frank)
    for query in ("frank", "FRANK", "frank@example.com", "+8613700000001"):
        found = (await me.get("/api/v1/users/lookup", params={"q": query})).json()
        assert [u["username"] for u in found] == ["frank"], query
        assert "email" not in found[0] and "phone" not in found[0]
    assert (await me.get("/api/v1/users/lookup", params={"q": "fra"})).json() == []
    # Control characters name nobody (a NUL once reached PostgreSQL, which refuses it: a 500).
    response = await me.get("/api/v1/users/lookup", params={"q": "fr\x1fank"})
    assert response.status_code == 200 and response.json() == []
    # A NUL anywhere in the address is refused at the edge, before any route (api/edge.py).
    for query in ("frank\x00", "a\x00@example.com"):
        response = await me.get("/api/v1/users/lookup", params={"q": query})
        assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_CHARACTERS"
    response = await me.get("/api/v1/users/999999")
    assert response.status_code == 404


async def test_cookie_sessions_need_the_csrf_header_for_changes(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"username": "webby", "password": PASSWORD, "use_cookie": True}
    )
    assert response.status_code == 201
    assert response.json()["token"] is None
    assert "httponly" in response.headers["set-cookie"].lower()
    csrf = client.cookies["lakeside_csrf"]
    assert (await client.get("/api/v1/me")).status_code == 200  # reading needs no header
    refused = await client.patch("/api/v1/me", json={"display_name": "Forged"})
    assert refused.status_code == 403
    assert error_code(refused) == "CSRF_FAILED"
    wrong = await client.patch(
        "/api/v1/me", json={"display_name": "Forged"}, headers={"X-CSRF-Token": "guess"}
    )
    assert wrong.status_code == 403
    ok = await client.patch("/api/v1/me", json={"display_name": "Webby"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401
