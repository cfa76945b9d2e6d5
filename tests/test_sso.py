"""Single sign-on with OpenID Connect, against a real provider started by the test (panva's
oidc-provider: tests/oidc/provider.mjs) and, for ID tokens a certified provider will not forge,
a hostile one (tests/oidc/providers.py). On SQLite and PostgreSQL.

With LAKESIDE_REQUIRE_SERVICES=1 (CI) a provider that cannot start fails the run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import select

from lakeside.config import OidcProviderSetting, Settings
from lakeside.store import migrate
from lakeside.store.tables import metadata, oidc_logins
from tests.conftest import PASSWORD, Person, error_code, register
from tests.contact_proofs import Proofs
from tests.oidc.providers import HostileProvider, RealProvider, browse_to_callback, idp, query_of

PUBLIC = "http://lakeside.test"
SECRET = "a-client-secret-of-forty-characters-long!"
SSO_TABLES = {"sso_providers", "external_identities", "oidc_logins"}


def callback_uri(key: str) -> str:
    return f"{PUBLIC}/api/v1/auth/oidc/{key}/callback"


@pytest.fixture(scope="session")
def hostile() -> Any:
    with HostileProvider() as provider:
        yield provider


@pytest.fixture
async def settings(settings: Settings, idp: RealProvider, hostile: HostileProvider) -> Settings:
    uris = [callback_uri("corp"), callback_uri("closed")] + [callback_uri(f"org-{n}") for n in range(1, 6)]
    await idp.add_client("lakeside", SECRET, uris)

    def provider(key: str, name: str, issuer: str, **extra: Any) -> OidcProviderSetting:
        return OidcProviderSetting(
            key=key, display_name=name, issuer=issuer, client_id="lakeside", client_secret=SECRET, **extra
        )

    settings.public_url = PUBLIC
    settings.egress_allow_private = True  # organizations' providers on 127.0.0.1
    settings.oidc_providers = [
        provider("corp", "Corp Keycloak", idp.issuer, scopes="openid email profile phone"),
        provider("closed", "Closed", idp.issuer, allow_signup=False),
        provider("hostile", "Hostile", hostile.issuer),
    ]
    return settings


async def start(http: httpx.AsyncClient, key: str, **params: Any) -> str:
    response = await http.get(f"/api/v1/auth/oidc/{key}/start", params=params)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def sso_login(
    http: httpx.AsyncClient, key: str, login: str, *, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    """The whole round trip as a browser makes it; answers lakeside's reply to the callback."""
    response = await http.get(f"/api/v1/auth/oidc/{key}/start", params=params, headers=headers or {})
    assert response.status_code == 303, response.text
    back = await browse_to_callback(response.headers["location"], login, callback_uri(key))
    return await http.get(back.removeprefix(PUBLIC))


def sso_error(response: httpx.Response) -> str | None:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    if "sso_error=" not in location:
        return None
    return location.split("sso_error=", 1)[1]


async def me(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/api/v1/me")
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser (its own cookies)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4242))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as http:
        yield http


# -- the happy paths --------------------------------------------------------------------------------


async def test_first_log_in_creates_the_account_just_in_time(
    client: httpx.AsyncClient, idp: RealProvider
) -> None:
    await idp.set_accounts(
        {
            "u-1001": {
                "email": "wei.chen@corp.example",
                "email_verified": True,
                "name": "陈伟",
                "preferred_username": "Wei.Chen",
                "phone_number": "+8613800138000",
                "phone_number_verified": True,
            }
        }
    )
    response = await sso_login(client, "corp", "u-1001", next="/#/chats")
    assert sso_error(response) is None
    assert response.headers["location"] == "/#/chats"
    profile = await me(client)  # the session cookie the callback set
    assert profile["username"] == "wei.chen"
    assert profile["display_name"] == "陈伟"
    assert profile["email"] == "wei.chen@corp.example" and profile["email_verified"]
    assert profile["phone"] == "+8613800138000" and profile["phone_verified"]
    assert not profile["is_admin"]
    linked = (await client.get("/api/v1/me/identities")).json()
    assert linked["has_password"] is False
    assert [(i["provider_key"], i["provider_name"]) for i in linked["identities"]] == [
        ("corp", "Corp Keycloak")
    ]
    # The second log-in finds the link: the same account, no new one.
    second = await sso_login(client, "corp", "u-1001")
    assert sso_error(second) is None and second.headers["location"] == "/"
    assert (await me(client))["id"] == profile["id"]
    # No password logs this account in.
    login = await client.post("/api/v1/auth/login", json={"login": "wei.chen", "password": "!sso"})
    assert login.status_code == 401


async def test_the_request_carries_pkce_state_and_nonce(app: FastAPI, client: httpx.AsyncClient) -> None:
    url = await start(client, "corp")
    query = query_of(url)
    assert query["response_type"] == "code" and query["client_id"] == "lakeside"
    assert query["redirect_uri"] == callback_uri("corp")
    assert query["code_challenge_method"] == "S256"
    assert set(query["scope"].split()) == {"openid", "email", "profile", "phone"}
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    async with app.state.services.ctx.db.read() as conn:
        row = (await conn.execute(select(oidc_logins))).one()
    assert row.nonce == query["nonce"] and row.state_hash != query["state"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(row.code_verifier.encode()).digest()).rstrip(b"=")
    assert challenge.decode() == query["code_challenge"]
    assert "lakeside_oidc" in client.cookies


async def test_a_verified_email_links_to_the_account_that_proved_it(
    proofs: Proofs, client: httpx.AsyncClient, browser: httpx.AsyncClient, idp: RealProvider
) -> None:
    zhang = await register(client, "zhangsan", "张三", email="zhang.san@corp.example")
    await proofs.prove_email(zhang)
    await idp.set_accounts(
        {"u-2001": {"email": "Zhang.San@corp.example", "email_verified": True, "name": "Z"}}
    )
    response = await sso_login(browser, "corp", "u-2001")
    assert sso_error(response) is None
    assert (await me(browser))["id"] == zhang.id
    linked = (await zhang.get("/api/v1/me/identities")).json()
    assert linked["has_password"] is True
    assert linked["identities"][0]["email"] == "Zhang.San@corp.example"


@pytest.mark.parametrize("unproved_side", ["lakeside", "provider"])
async def test_an_email_unproved_on_either_side_links_nothing(
    proofs: Proofs,
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    idp: RealProvider,
    unproved_side: str,
) -> None:
    li = await register(client, "lisi", "李四", email="li.si@corp.example")
    if unproved_side == "provider":
        await proofs.prove_email(li)
    claims = {"email": "li.si@corp.example", "email_verified": unproved_side == "lakeside"}
    await idp.set_accounts({"u-3001": claims})
    response = await sso_login(browser, "corp", "u-3001")
    assert sso_error(response) == "SSO_EMAIL_UNVERIFIED"
    assert (await browser.get("/api/v1/me")).status_code == 401
    assert (await li.get("/api/v1/me/identities")).json()["identities"] == []


async def test_sign_up_off_refuses_a_stranger(client: httpx.AsyncClient, idp: RealProvider) -> None:
    await idp.set_accounts({"u-4001": {"email": "new@corp.example", "email_verified": True}})
    response = await sso_login(client, "closed", "u-4001")
    assert sso_error(response) == "SSO_SIGNUP_DISABLED"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_deactivated_account_cannot_sign_in(
    app: FastAPI, client: httpx.AsyncClient, idp: RealProvider
) -> None:
    await idp.set_accounts({"u-5001": {"preferred_username": "leaver"}})
    assert sso_error(await sso_login(client, "corp", "u-5001")) is None
    user_id = (await me(client))["id"]
    await app.state.services.accounts.do_deactivate_account(user_id)
    client.cookies.clear()
    assert sso_error(await sso_login(client, "corp", "u-5001")) == "SSO_ACCOUNT_DEACTIVATED"


# -- state, replay, the browser binding, PKCE --------------------------------------------------------


async def test_a_callback_is_good_once_and_only_in_its_browser(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, idp: RealProvider
) -> None:
    await idp.set_accounts({"u-6001": {"preferred_username": "once"}})
    url = await start(client, "corp")
    back = (await browse_to_callback(url, "u-6001", callback_uri("corp"))).removeprefix(PUBLIC)
    # Another browser (an attacker who got the URL): refused, and the log-in is spent.
    assert sso_error(await browser.get(back)) == "SSO_STATE_INVALID"
    assert sso_error(await client.get(back)) == "SSO_STATE_INVALID"
    # A fresh one succeeds once; the same callback again (a replay) does not.
    url = await start(client, "corp")
    back = (await browse_to_callback(url, "u-6001", callback_uri("corp"))).removeprefix(PUBLIC)
    assert sso_error(await client.get(back)) is None
    client.cookies.delete("lakeside_session")
    assert sso_error(await client.get(back)) == "SSO_STATE_INVALID"
    # A made-up state, none at all, or a state for another provider's callback.
    assert (
        sso_error(await client.get("/api/v1/auth/oidc/corp/callback?state=forged&code=x"))
        == "SSO_STATE_INVALID"
    )
    assert sso_error(await client.get("/api/v1/auth/oidc/corp/callback")) == "SSO_STATE_INVALID"
    url = await start(client, "corp")
    state = query_of(url)["state"]
    assert (
        sso_error(await client.get(f"/api/v1/auth/oidc/closed/callback?state={state}&code=x"))
        == "SSO_STATE_INVALID"
    )


async def test_a_code_from_another_log_in_fails_pkce(client: httpx.AsyncClient, idp: RealProvider) -> None:
    """Code injection: a code obtained for one log-in, presented with another's state, is refused
    by the provider because the other log-in's PKCE verifier does not match."""
    await idp.set_accounts({"u-7001": {"preferred_username": "victim"}})
    first = await start(client, "corp")
    second = await start(client, "corp")
    code = query_of(await browse_to_callback(first, "u-7001", callback_uri("corp")))["code"]
    state = query_of(second)["state"]
    response = await client.get(f"/api/v1/auth/oidc/corp/callback?state={state}&code={code}")
    assert sso_error(response) == "SSO_PROVIDER_ERROR"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_the_user_saying_no_at_the_provider(client: httpx.AsyncClient) -> None:
    state = query_of(await start(client, "corp"))["state"]
    response = await client.get(f"/api/v1/auth/oidc/corp/callback?state={state}&error=access_denied")
    assert sso_error(response) == "SSO_ACCESS_DENIED"


# -- ID tokens the hostile provider forges ----------------------------------------------------------

FORGERIES = {
    "another audience": ({"aud": "someone-else"}, "SSO_TOKEN_INVALID"),
    "expired": ({"exp": 1_700_000_000, "iat": 1_699_999_000}, "SSO_TOKEN_EXPIRED"),
    "another nonce": ({"nonce": "not-this-log-ins"}, "SSO_TOKEN_INVALID"),
    "no nonce": ({"nonce": None}, "SSO_TOKEN_INVALID"),
    "another issuer": ({"iss": "https://evil.example"}, "SSO_TOKEN_INVALID"),
    "an unpublished key": ({"sign_with": "unpublished"}, "SSO_TOKEN_INVALID"),
    "no signature": ({"sign_with": "none"}, "SSO_TOKEN_INVALID"),
    "two audiences, not ours as azp": ({"aud": ["lakeside", "other"], "azp": "other"}, "SSO_TOKEN_INVALID"),
}


@pytest.mark.parametrize("forgery", [None, *FORGERIES])
async def test_forged_id_tokens_are_refused(
    client: httpx.AsyncClient, hostile: HostileProvider, forgery: str | None
) -> None:
    query = query_of(await start(client, "hostile"))
    overrides, expected = FORGERIES[forgery] if forgery else ({}, None)
    hostile.next_token = {"nonce": query["nonce"], **overrides}
    hostile.token_requests.clear()
    response = await client.get(f"/api/v1/auth/oidc/hostile/callback?state={query['state']}&code=c0de")
    assert sso_error(response) == expected
    # Discovery announced only client_secret_post: the secret went in the form, with the verifier.
    (request,) = hostile.token_requests
    assert request["authorization"] is None and request["form"]["client_secret"] == SECRET
    assert len(request["form"]["code_verifier"]) >= 43
    if expected is None:
        assert (await me(client))["email"] == "hostile@example.com"
    else:
        assert (await client.get("/api/v1/me")).status_code == 401


# -- linked identities ------------------------------------------------------------------------------


async def test_linking_from_settings_and_the_last_way_to_log_in(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, idp: RealProvider
) -> None:
    wang = await register(client, "wangwu", "王五")
    await idp.set_accounts({"u-8001": {"email": "someone@else.example", "email_verified": False}})
    # A logged-in user adds their company account from settings (no e-mail match needed).
    response = await sso_login(client, "corp", "u-8001", headers=wang.headers, link="true")
    assert response.headers["location"] == "/#/settings/accounts?sso_linked=1"
    identities = (await wang.get("/api/v1/me/identities")).json()["identities"]
    assert [i["provider_key"] for i in identities] == ["corp"]
    # Now it logs wang in from any browser.
    assert sso_error(await sso_login(browser, "corp", "u-8001")) is None
    assert (await me(browser))["id"] == wang.id
    # Linking needs a session; and one identity is never two accounts'.
    assert (await client.get("/api/v1/auth/oidc/corp/start?link=true")).status_code == 401
    li = await register(client, "lisi", "李四")
    taken = await sso_login(client, "corp", "u-8001", headers=li.headers, link="true")
    assert taken.headers["location"] == "/#/settings/accounts?sso_error=SSO_IDENTITY_TAKEN"
    # wang has a password: unlinking is allowed.
    assert (await wang.delete(f"/api/v1/me/identities/{identities[0]['id']}")).status_code == 200
    assert (await li.delete(f"/api/v1/me/identities/{identities[0]['id']}")).status_code == 404

    # An account made by single sign-on keeps its only way in.
    await idp.set_accounts({"u-8002": {"preferred_username": "onlysso"}})
    assert sso_error(await sso_login(browser, "corp", "u-8002")) is None
    only = (await browser.get("/api/v1/me/identities")).json()
    assert only["has_password"] is False
    csrf = browser.cookies["lakeside_csrf"]
    refused = await browser.delete(
        f"/api/v1/me/identities/{only['identities'][0]['id']}", headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 409 and error_code(refused) == "LAST_LOGIN_METHOD"


# -- an organization's own provider ----------------------------------------------------------------


async def make_org(owner: Person) -> int:
    response = await owner.post("/api/v1/orgs", json={"name": "湖畔科技"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_an_organizations_provider_adds_people_to_it(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, idp: RealProvider
) -> None:
    owner = await register(client, "owner", "老板")
    member = await register(client, "member", "成员")
    org_id = await make_org(owner)
    body = {
        "display_name": "使用湖畔 Keycloak 登录",
        "issuer": idp.issuer,
        "client_id": "lakeside",
        "client_secret": SECRET,
    }
    created = await owner.post(f"/api/v1/orgs/{org_id}/sso/providers", json=body)
    assert created.status_code == 201, created.text
    provider = created.json()
    assert provider["client_secret_set"] is True and "client_secret" not in provider
    assert provider["add_to_org"] and provider["allow_signup"]
    key = provider["key"]
    assert key == f"org-{provider['id']}"
    await idp.add_client(
        "lakeside", SECRET, [callback_uri(key), callback_uri("corp"), callback_uri("closed")]
    )

    # The log-in page names it only when asked for this organization.
    public = (await browser.get("/api/v1/auth/oidc/providers")).json()
    assert [p["key"] for p in public] == ["corp", "closed", "hostile"]
    public = (await browser.get(f"/api/v1/auth/oidc/providers?organization_id={org_id}")).json()
    assert public[-1] == {
        "key": key,
        "display_name": "使用湖畔 Keycloak 登录",
        "organization_id": org_id,
        "start_url": f"/api/v1/auth/oidc/{key}/start",
    }
    assert all(set(p) == {"key", "display_name", "organization_id", "start_url"} for p in public)

    await idp.set_accounts({"u-9001": {"name": "新同事", "preferred_username": "newbie"}})
    assert sso_error(await sso_login(browser, key, "u-9001")) is None
    newbie = await me(browser)
    assert newbie["username"] == "newbie"
    assert (await browser.get(f"/api/v1/orgs/{org_id}")).status_code == 200

    # Owners and admins manage it (an outsider learns nothing); the audit log never holds the secret.
    assert (await member.get(f"/api/v1/orgs/{org_id}/sso/providers")).status_code == 404
    changed = await owner.patch(
        f"/api/v1/orgs/{org_id}/sso/providers/{provider['id']}",
        json={"allow_signup": False, "client_secret": SECRET},
    )
    assert changed.status_code == 200 and changed.json()["allow_signup"] is False
    await idp.set_accounts({"u-9002": {"name": "陌生人"}})
    assert sso_error(await sso_login(client, key, "u-9002")) == "SSO_SIGNUP_DISABLED"
    log = (await owner.get(f"/api/v1/orgs/{org_id}/audit-log", params={"action": "sso_provider"})).json()
    entries = log["entries"] if isinstance(log, dict) else log
    actions = [(e["action"], e["details"]) for e in entries]
    assert ("sso_provider.update", {"allow_signup": False, "client_secret_changed": True}) in actions
    assert SECRET not in str(actions)

    # Removing it removes the identities linked through it, not the accounts.
    assert (await owner.delete(f"/api/v1/orgs/{org_id}/sso/providers/{provider['id']}")).status_code == 200
    assert (await browser.get("/api/v1/me/identities")).json()["identities"] == []
    gone = await browser.get(f"/api/v1/auth/oidc/{key}/start")
    assert gone.status_code == 404 and error_code(gone) == "SSO_PROVIDER_NOT_FOUND"


async def test_an_organizations_provider_must_be_https_when_private_addresses_are_off(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    owner = await register(client, "owner", "老板")
    org_id = await make_org(owner)
    settings.egress_allow_private = False
    body = {"display_name": "X", "issuer": "http://sso.example.com", "client_id": "c", "client_secret": "s"}
    response = await owner.post(f"/api/v1/orgs/{org_id}/sso/providers", json=body)
    assert response.status_code == 422 and error_code(response) == "INVALID_URL"
    # An https issuer on the server's own network is refused when the log-in starts (SSRF guard).
    body["issuer"] = "https://127.0.0.1:9"
    created = await owner.post(f"/api/v1/orgs/{org_id}/sso/providers", json=body)
    assert created.status_code == 201
    refused = await client.get(f"/api/v1/auth/oidc/{created.json()['key']}/start")
    assert refused.status_code == 503 and error_code(refused) == "SSO_PROVIDER_UNREACHABLE"


# -- the schema -----------------------------------------------------------------------------------


async def test_the_sso_tables_match_their_migration_which_goes_down_and_up(app: FastAPI) -> None:
    assert set(metadata.tables) >= SSO_TABLES

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    db = app.state.services.ctx.db
    async with db.read() as conn:
        diffs = await conn.run_sync(compare)
    assert [diff for diff in diffs if any(name in repr(diff) for name in SSO_TABLES)] == []

    def downgrade(sync_conn: Any) -> None:
        from alembic import command

        command.downgrade(migrate.alembic_config(sync_conn), "0013")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
    assert await migrate.current_revision(db) == "0013"
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
__all__ = ["idp"]  # the provider fixture, imported for this module's tests


async def test_a_deleted_account_is_not_reached_through_its_old_link(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, idp: RealProvider
) -> None:
    """Deleting the account removes its links (and what the provider said of the person): the
    person coming back through the provider is someone new, never the deleted account."""
    zhao = await register(client, "zhaoliu", "赵六")
    await idp.set_accounts({"u-10001": {"preferred_username": "zhaoliu", "email": "z@corp.example"}})
    linked = await sso_login(client, "corp", "u-10001", headers=zhao.headers, link="true")
    assert sso_error(linked) is None
    deleted = await zhao.post("/api/v1/me/deletion", json={"password": PASSWORD})
    assert deleted.status_code == 200, deleted.text
    assert sso_error(await sso_login(browser, "corp", "u-10001")) is None
    again = await me(browser)
    assert again["id"] != zhao.id  # (the deleted account freed its username: the new one may take it)


async def test_where_the_browser_lands_stays_on_this_server(
    client: httpx.AsyncClient, idp: RealProvider
) -> None:
    await idp.set_accounts({"u-11001": {"preferred_username": "lander"}})
    for target, lands in [
        ("/#/join/ABC123", "/#/join/ABC123"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        response = await sso_login(client, "corp", "u-11001", next=target)
        assert sso_error(response) is None
        assert response.headers["location"] == lands


async def test_a_disabled_organization_provider_is_neither_listed_nor_started(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    owner = await register(client, "owner", "老板")
    org_id = await make_org(owner)
    body = {
        "display_name": "关闭的",
        "issuer": "https://sso.example.com",
        "client_id": "c",
        "client_secret": "s",
    }
    created = (
        await owner.post(f"/api/v1/orgs/{org_id}/sso/providers", json=body | {"enabled": False})
    ).json()
    listed = (await browser.get(f"/api/v1/auth/oidc/providers?organization_id={org_id}")).json()
    assert created["key"] not in [p["key"] for p in listed]
    started = await browser.get(f"/api/v1/auth/oidc/{created['key']}/start")
    assert started.status_code == 404 and error_code(started) == "SSO_PROVIDER_NOT_FOUND"
    # A server provider's key is not an organization's: no key starting with org- is configurable.
    with pytest.raises(ValueError):
        OidcProviderSetting(
            key="org-1", display_name="x", issuer="https://x", client_id="c", client_secret="s"
        )
