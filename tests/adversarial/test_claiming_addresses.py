"""Claiming someone else's e-mail address or phone number: typing it into one's own profile must
not make the organization invitations addressed to it acceptable (that skipped join approval and
opened the all-staff history), nor log in with it, nor find its owner; proofs are guarded."""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from lakeside.store.tables import contact_verifications
from tests.conftest import Person, error_code, register
from tests.contact_proofs import Proofs


async def company(owner: Person, *, approval: bool) -> dict[str, int]:
    org = (await owner.post("/api/v1/orgs", json={"name": "湖畔科技"})).json()
    await owner.patch(f"/api/v1/orgs/{org['id']}", json={"join_approval": approval})
    return {"id": org["id"], "all_staff": org["all_staff_conversation_id"]}


async def test_an_unproved_address_does_not_claim_an_invitation(
    client: httpx.AsyncClient, people: dict[str, Person], proofs: Proofs
) -> None:
    zhangsan, mallory = people["zhangsan"], people["mallory"]
    org = await company(zhangsan, approval=True)
    base = f"/api/v1/orgs/{org['id']}"
    by_mail = await zhangsan.post(f"{base}/contact-invitations", json={"email": "cfo@example.com"})
    by_phone = await zhangsan.post(f"{base}/contact-invitations", json={"phone": "+8613800000042"})
    assert by_mail.status_code == by_phone.status_code == 201

    # Mallory types both addresses into her profile: accepted as text, shown as unverified...
    me = (
        await mallory.patch("/api/v1/me", json={"email": "cfo@example.com", "phone": "+8613800000042"})
    ).json()
    assert (me["email_verified"], me["phone_verified"], me["email_verified_at"]) == (False, False, None)
    # ...and worth nothing: no invitation is hers, accepting answers as for one that does not exist.
    assert (await mallory.get("/api/v1/me/org-invitations")).json() == []
    for invitation in (by_mail.json(), by_phone.json()):
        response = await mallory.post(f"/api/v1/me/org-invitations/{invitation['id']}/accept")
        assert response.status_code == 404 and error_code(response) == "INVITATION_NOT_FOUND"
    assert (await mallory.get(base)).status_code == 404
    assert (await mallory.get(f"/api/v1/conversations/{org['all_staff']}/messages")).status_code == 404
    # Nor does it log in or find her.
    for login in ("cfo@example.com", "+8613800000042"):
        response = await client.post(
            "/api/v1/auth/login", json={"login": login, "password": "correct horse battery"}
        )
        assert response.status_code == 401, login
        assert (await zhangsan.get("/api/v1/users/lookup", params={"q": login})).json() == []
    # Proving is what the owner of the address can do, and she cannot: the link goes to the inbox.
    sent = await mallory.post("/api/v1/me/email/verify")
    assert sent.status_code == 200 and sent.json()["sent_to"] == "cfo@example.com"
    response = await mallory.post("/api/v1/me/phone/confirm", json={"code": "000000"})
    assert response.status_code == 422  # no code sent yet: nothing to guess


async def test_the_rightful_holder_proves_and_accepts(
    client: httpx.AsyncClient, people: dict[str, Person], proofs: Proofs
) -> None:
    zhangsan = people["zhangsan"]
    org = await company(zhangsan, approval=False)
    await zhangsan.post(f"/api/v1/orgs/{org['id']}/contact-invitations", json={"email": "zhao@example.com"})
    zhao = await register(client, "zhaoliu", "赵六", email="zhao@example.com")
    assert (await zhao.get("/api/v1/me/org-invitations")).json() == []
    profile = await proofs.prove_email(zhao)
    assert profile["email_verified"] is True and profile["email_verified_at"] > 0
    [invitation] = (await zhao.get("/api/v1/me/org-invitations")).json()
    response = await zhao.post(f"/api/v1/me/org-invitations/{invitation['id']}/accept")
    assert response.status_code == 200 and response.json()["status"] == "joined"


async def test_changing_an_address_unproves_it_and_voids_its_link(
    client: httpx.AsyncClient, people: dict[str, Person], proofs: Proofs
) -> None:
    lisi = people["lisi"]
    await lisi.patch("/api/v1/me", json={"email": "lisi@example.com", "phone": "+8613900000002"})
    await proofs.prove_email(lisi)
    await proofs.prove_phone(lisi)
    me = (await lisi.get("/api/v1/me")).json()
    assert me["email_verified"] and me["phone_verified"]
    # A link sent for the old address, then the address changed: the link proves nothing.
    await lisi.patch("/api/v1/me", json={"email": "lisi2@example.com"})
    await lisi.post("/api/v1/me/email/verify")
    old_link = proofs.link_token("lisi2@example.com")
    me = (
        await lisi.patch("/api/v1/me", json={"email": "lisi@example.com", "phone": "+8613900000003"})
    ).json()
    assert (me["email_verified"], me["phone_verified"]) == (False, False)  # even the old address again
    response = await client.post("/api/v1/auth/verify-email", json={"token": old_link})
    assert response.status_code == 422 and error_code(response) == "LINK_EXPIRED"
    # Saving the same address unchanged keeps its proof.
    await proofs.prove_email(lisi)
    assert (await lisi.patch("/api/v1/me", json={"email": "LISI@example.com"})).json()["email_verified"]
    # A proved address is not proved again.
    response = await lisi.post("/api/v1/me/email/verify")
    assert response.status_code == 409 and error_code(response) == "ALREADY_VERIFIED"


async def test_codes_allow_five_guesses_however_many_arrive_at_once(
    app: FastAPI, people: dict[str, Person], proofs: Proofs
) -> None:
    wangwu = people["wangwu"]
    await wangwu.patch("/api/v1/me", json={"phone": "+8613900000004"})
    assert (await wangwu.post("/api/v1/me/phone/verify")).status_code == 200
    code = proofs.code("+8613900000004")
    wrong = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 41)]
    responses = await asyncio.gather(
        *(wangwu.post("/api/v1/me/phone/confirm", json={"code": guess}) for guess in wrong)
    )
    codes = [error_code(r) for r in responses]
    assert codes.count("WRONG_CODE") == 5
    assert codes.count("CODE_ATTEMPTS_EXHAUSTED") == 35
    # Spent: even the right code no longer proves anything; a new one must be sent.
    response = await wangwu.post("/api/v1/me/phone/confirm", json={"code": code})
    assert error_code(response) == "CODE_ATTEMPTS_EXHAUSTED"
    assert (await wangwu.get("/api/v1/me")).json()["phone_verified"] is False

    # Stored as a keyed hash, never as the code; an expired code is refused.
    assert (await wangwu.post("/api/v1/me/phone/verify")).status_code == 200
    code = proofs.code("+8613900000004")
    database = app.state.services.ctx.db
    async with database.transaction() as conn:
        [row] = (await conn.execute(sa.select(contact_verifications))).all()
        assert code not in str(tuple(row)) and len(row.secret_hash) == 64
        await conn.execute(sa.update(contact_verifications).values(expires_at=row.created_at))
    response = await wangwu.post("/api/v1/me/phone/confirm", json={"code": code})
    assert response.status_code == 422 and error_code(response) == "CODE_EXPIRED"
    assert (await wangwu.post("/api/v1/me/phone/verify")).status_code == 200
    profile = (
        await wangwu.post("/api/v1/me/phone/confirm", json={"code": proofs.code("+8613900000004")})
    ).json()
    assert profile["phone_verified"] is True


async def test_sending_proofs_is_limited(people: dict[str, Person], proofs: Proofs) -> None:
    """Each proof is an e-mail or an SMS someone pays for: ten an hour per user."""
    alice = people["alice"]
    await alice.patch("/api/v1/me", json={"phone": "+8613900000005"})
    statuses = [(await alice.post("/api/v1/me/phone/verify")).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


async def test_without_smtp_or_sms_nothing_is_sent(people: dict[str, Person]) -> None:
    bob = people["bob"]
    await bob.patch("/api/v1/me", json={"email": "bob@example.com", "phone": "+8613900000006"})
    for path in ("/api/v1/me/email/verify", "/api/v1/me/phone/verify"):
        response = await bob.post(path)
        assert response.status_code == 503 and error_code(response) == "VERIFICATION_UNAVAILABLE"
