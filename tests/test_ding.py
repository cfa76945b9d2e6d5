"""DING: send, pending, confirm, the sender's live view, re-DING at most once every five minutes,
scheduled DINGs, DINGs made from messages (and recalled), escalation end to end — in the app,
then e-mail to a real SMTP server (aiosmtpd) and SMS/voice to a real HTTP receiver that checks
the HMAC signature — with every attempt recorded, two workers never taking one step twice, and
the guarded outbound client refusing private addresses and redirects."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import update

from lakeside.config import Settings
from lakeside.domain.tokens import now_ms
from lakeside.services import egress
from lakeside.store.tables import dings
from lakeside.workers.ding import run_due
from tests.conftest import Person
from tests.test_organizations import company, error_code

MINUTE = 60_000
SECRET = "s3cret-webhook-key-0123"


# -- real receivers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@dataclass
class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records requests and checks their signature."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    location: str | None = None


async def _serve(receiver: Receiver, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {
        k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    stamp = headers.get("x-lakeside-timestamp", "")
    expected = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    receiver.requests.append(
        {
            "method": method,
            "path": path,
            "headers": headers,
            "json": orjson.loads(body),
            "signature_ok": hmac.compare_digest(expected, headers.get("x-lakeside-signature", "")),
        }
    )
    extra = f"Location: {receiver.location}\r\n" if receiver.location else ""
    reply = b'{"ok": true}' if receiver.status < 300 else b'{"error": "provider down"}'
    status_line = f"HTTP/1.1 {receiver.status} X\r\nContent-Length: {len(reply)}\r\n"
    writer.write(f"{status_line}{extra}Connection: close\r\n\r\n".encode() + reply)
    await writer.drain()
    writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    server = await asyncio.start_server(lambda r, w: _serve(state, r, w), "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks/ding"
    try:
        yield state
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


# -- helpers ------------------------------------------------------------------------------------------


async def send_ding(sender: Person, org_id: int, recipients: list[Person], **fields: Any) -> dict[str, Any]:
    body = {"recipient_ids": [p.id for p in recipients], **fields}
    if "message_id" not in body:
        body.setdefault("body", "服务器告警，请立即处理")
    response = await sender.post(f"/api/v1/orgs/{org_id}/dings", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def position(person: Person) -> int:
    return int((await person.get("/api/v1/sync")).json()["position"])


async def events_since(person: Person, since: int, kind: str = "ding") -> list[tuple[str, dict[str, Any]]]:
    response = await person.get("/api/v1/sync", params={"since": since})
    assert response.status_code == 200, response.text
    return [(e["op"], e["data"]) for e in response.json()["events"] if e["type"] == kind]


async def pending(person: Person, org_id: int) -> list[int]:
    response = await person.get(f"/api/v1/orgs/{org_id}/dings/pending")
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()]


# -- the basics ---------------------------------------------------------------------------------------


async def test_send_confirm_and_the_senders_live_view(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, bob = people["zhangsan"], people["lisi"], people["wangwu"], people["bob"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}/dings"
    sender_at, lisi_at = await position(zhangsan), await position(lisi)
    ding = await send_ding(zhangsan, org["id"], [lisi, wangwu, zhangsan])
    assert (ding["status"], ding["recipient_count"], ding["confirmed_count"]) == ("sent", 2, 0)
    assert await pending(lisi, org["id"]) == [ding["id"]] == await pending(wangwu, org["id"])
    assert await pending(zhangsan, org["id"]) == []
    assert (await lisi.get("/api/v1/orgs")).json()[0]["pending_dings"] == 1
    assert [op for op, _ in await events_since(lisi, lisi_at)] == ["created"]

    response = await lisi.post(f"{base}/{ding['id']}/confirm")
    assert response.status_code == 200 and response.json()["confirmed_at"] is not None
    again = await lisi.post(f"{base}/{ding['id']}/confirm")
    assert again.json()["confirmed_at"] == response.json()["confirmed_at"]
    assert await pending(lisi, org["id"]) == []
    seen = await events_since(zhangsan, sender_at)
    assert [op for op, _ in seen] == ["created", "confirmed"]
    assert seen[1][1] == {
        "ding_id": ding["id"],
        "user_id": lisi.id,
        "confirmed_at": response.json()["confirmed_at"],
        "confirmed_count": 1,
    }

    view = (await zhangsan.get(f"{base}/{ding['id']}")).json()
    assert {r["user_id"]: r["confirmed_at"] is not None for r in view["recipients"]} == {
        lisi.id: True,
        wangwu.id: False,
    }
    assert sorted((a["user_id"], a["channel"], a["trigger"], a["status"]) for a in view["attempts"]) == [
        (lisi.id, "app", "send", "sent"), (wangwu.id, "app", "send", "sent")
    ]  # fmt: skip
    assert (await lisi.get(f"{base}/{ding['id']}")).json()["recipients"] is None
    response = await zhangsan.post(f"{base}/{ding['id']}/confirm")
    assert response.status_code == 403 and error_code(response) == "NOT_DING_RECIPIENT"
    assert (await lisi.get(f"{base}/{ding['id']}/attempts")).status_code == 403
    assert [d["id"] for d in (await zhangsan.get(f"{base}/sent")).json()] == [ding["id"]]

    # The inbox's history: confirmed or not, newest first, paged; the sender received nothing.
    second = await send_ding(zhangsan, org["id"], [lisi])
    inbox = (await lisi.get(f"{base}/received")).json()
    confirmed = [(d["id"], d["confirmed_at"] is not None) for d in inbox]
    assert confirmed == [(second["id"], False), (ding["id"], True)]
    older = (await lisi.get(f"{base}/received", params={"before": second["id"], "limit": 1})).json()
    assert [d["id"] for d in older] == [ding["id"]]
    assert [d["id"] for d in (await wangwu.get(f"{base}/received")).json()] == [ding["id"]]
    assert (await zhangsan.get(f"{base}/received")).json() == []
    assert (await bob.get(f"{base}/received")).status_code == 404

    for body, code in [
        ({"recipient_ids": [lisi.id]}, "BODY_OR_MESSAGE"),
        ({"recipient_ids": [zhangsan.id], "body": "hi"}, "NO_RECIPIENTS"),
        ({"recipient_ids": [bob.id], "body": "hi"}, "RECIPIENT_NOT_MEMBER"),
        ({"recipient_ids": [lisi.id], "body": "hi", "send_at": 1}, "INVALID_SEND_AT"),
        ({"recipient_ids": [], "body": "hi"}, "VALIDATION_FAILED"),
    ]:
        response = await zhangsan.post(base, json=body)
        assert response.status_code == 422 and error_code(response) == code, body


async def test_reding_at_most_once_every_five_minutes(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}/dings"
    ding = await send_ding(zhangsan, org["id"], [lisi, wangwu])
    await wangwu.post(f"{base}/{ding['id']}/confirm")
    lisi_at = await position(lisi)
    response = await lisi.post(f"{base}/{ding['id']}/reding")
    assert response.status_code == 403 and error_code(response) == "NOT_DING_SENDER"
    response = await zhangsan.post(f"{base}/{ding['id']}/reding")
    assert response.status_code == 200 and response.json()["renotified"] == [lisi.id]
    assert [op for op, _ in await events_since(lisi, lisi_at)] == ["renotified"]
    response = await zhangsan.post(f"{base}/{ding['id']}/reding")
    assert response.status_code == 429 and error_code(response) == "REDING_TOO_SOON"
    assert 290 <= int(response.headers["Retry-After"]) <= 300

    async with app.state.services.ctx.db.transaction() as conn:  # five minutes pass
        await conn.execute(update(dings).where(dings.c.id == ding["id"]).values(last_reding_at=1))
    assert (await zhangsan.post(f"{base}/{ding['id']}/reding")).status_code == 200
    manual = [
        a for a in (await zhangsan.get(f"{base}/{ding['id']}/attempts")).json() if a["trigger"] == "manual"
    ]
    assert [(a["user_id"], a["channel"]) for a in manual] == [(lisi.id, "app"), (lisi.id, "app")]
    await lisi.post(f"{base}/{ding['id']}/confirm")
    async with app.state.services.ctx.db.transaction() as conn:
        await conn.execute(update(dings).where(dings.c.id == ding["id"]).values(last_reding_at=1))
    response = await zhangsan.post(f"{base}/{ding['id']}/reding")
    assert response.status_code == 409 and error_code(response) == "ALL_CONFIRMED"


async def test_scheduled_ding(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    base = f"/api/v1/orgs/{org['id']}/dings"
    services = app.state.services
    ding = await send_ding(zhangsan, org["id"], [lisi], send_at=now_ms() + 3_600_000)
    assert (ding["status"], ding["sent_at"]) == ("scheduled", None)
    assert await pending(lisi, org["id"]) == []
    response = await lisi.get(f"{base}/{ding['id']}")
    assert response.status_code == 404  # recipients do not see it before it is sent
    assert (await run_due(services, ding["send_at"] - 1)).published == 0
    assert (await run_due(services, ding["send_at"])).published == 1
    assert (await run_due(services, ding["send_at"])).published == 0
    assert await pending(lisi, org["id"]) == [ding["id"]]
    view = (await lisi.get(f"{base}/{ding['id']}")).json()
    assert (view["status"], view["sent_at"]) == ("sent", ding["send_at"])
    response = await zhangsan.delete(f"{base}/{ding['id']}")
    assert response.status_code == 409 and error_code(response) == "DING_ALREADY_SENT"

    other = await send_ding(zhangsan, org["id"], [lisi], send_at=now_ms() + 3_600_000)
    assert (await zhangsan.delete(f"{base}/{other['id']}")).status_code == 200
    await run_due(services, now_ms() + 10 * 3_600_000)
    assert await pending(lisi, org["id"]) == [ding["id"]]


async def test_ding_a_message(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}/dings"
    all_staff = org["all_staff_conversation_id"]
    sent = await zhangsan.post(
        f"/api/v1/conversations/{all_staff}/messages",
        json={"client_msg_id": "m1", "kind": "text", "body": "今晚上线"},
    )
    message_id = sent.json()["id"]
    ding = await send_ding(zhangsan, org["id"], [lisi], message_id=message_id)
    assert (ding["body"], ding["message_id"], ding["conversation_id"]) == ("今晚上线", message_id, all_staff)
    response = await zhangsan.post(
        base, json={"recipient_ids": [lisi.id], "message_id": message_id, "body": "x"}
    )
    assert response.status_code == 422 and error_code(response) == "BODY_OR_MESSAGE"
    response = await wangwu.post(base, json={"recipient_ids": [lisi.id], "message_id": 10**12})
    assert response.status_code == 404 and error_code(response) == "MESSAGE_NOT_FOUND"

    # Recall empties the DING too: the content is gone from storage.
    assert (await zhangsan.post(f"/api/v1/messages/{message_id}/recall")).status_code == 200
    view = (await lisi.get(f"{base}/{ding['id']}")).json()
    assert (view["body"], view["recalled"]) == ("", True)
    response = await zhangsan.post(base, json={"recipient_ids": [lisi.id], "message_id": message_id})
    assert response.status_code == 422 and error_code(response) == "NOT_DINGABLE"


async def test_policy_rules(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    url = f"/api/v1/orgs/{org['id']}/ding-policy"
    assert (await lisi.get(url)).status_code == 403
    response = await zhangsan.put(
        url, json={"app_after_minutes": 5, "webhook_url": "https://sms.example.com/hook"}
    )
    assert response.status_code == 200, response.text
    response = await zhangsan.put(url, json={"webhook_secret": SECRET, "email_after_minutes": 10})
    assert response.json() == {
        "app_after_minutes": 5,
        "email_after_minutes": 10,
        "sms_after_minutes": None,
        "voice_after_minutes": None,
        "webhook_url": "https://sms.example.com/hook",
        "has_webhook_secret": True,
    }
    for body, code in [
        ({"app_after_minutes": 2}, "INVALID_MINUTES"),
        ({"sms_after_minutes": 8}, "STEPS_OUT_OF_ORDER"),
        ({"voice_after_minutes": 0}, "INVALID_MINUTES"),
        ({"webhook_url": "ftp://x"}, "INVALID_URL"),
        ({"webhook_url": "https://user:pw@x.example"}, "INVALID_URL"),
        ({"webhook_secret": "short"}, "INVALID_SECRET"),
    ]:
        response = await zhangsan.put(url, json=body)
        assert response.status_code == 422 and error_code(response) == code, body


# -- escalation end to end ----------------------------------------------------------------------------


async def test_escalation_end_to_end(
    app: FastAPI, settings: Settings, people: dict[str, Person], smtp_server: Any, receiver: Receiver
) -> None:
    controller, inbox = smtp_server
    settings.smtp_host, settings.smtp_port, settings.smtp_from = (
        "127.0.0.1",
        controller.port,
        "ding@lakeside.test",
    )
    settings.egress_allow_private = True
    services = app.state.services
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    for person, email, phone in (
        (lisi, "lisi@example.com", "+8613800000002"),
        (wangwu, "wangwu@example.com", None),
    ):
        assert (await person.patch("/api/v1/me", json={"email": email, "phone": phone})).status_code == 200
    org = await company(zhangsan, [lisi, wangwu, alice])
    await zhangsan.patch(
        f"/api/v1/orgs/{org['id']}/members/{wangwu.id}", json={"work_phone": "+8613900000003"}
    )
    policy = {
        "app_after_minutes": 5,
        "email_after_minutes": 10,
        "sms_after_minutes": 15,
        "voice_after_minutes": 20,
        "webhook_url": receiver.url,
        "webhook_secret": SECRET,
    }
    assert (await zhangsan.put(f"/api/v1/orgs/{org['id']}/ding-policy", json=policy)).status_code == 200
    sender_at = await position(zhangsan)
    ding = await send_ding(zhangsan, org["id"], [lisi, wangwu, alice], body="机房断电，请确认")
    base = f"/api/v1/orgs/{org['id']}/dings/{ding['id']}"
    t0 = ding["sent_at"]
    await alice.post(f"{base}/confirm")

    async def attempts(trigger: str = "escalation") -> list[tuple[int, str, str]]:
        rows = (await zhangsan.get(f"{base}/attempts")).json()
        return sorted((a["user_id"], a["channel"], a["status"]) for a in rows if a["trigger"] == trigger)

    assert (await run_due(services, t0 + 5 * MINUTE - 1)).attempts == []
    assert await attempts() == []
    lisi_at = await position(lisi)
    await run_due(services, t0 + 5 * MINUTE)
    assert await attempts() == [(lisi.id, "app", "sent"), (wangwu.id, "app", "sent")]
    assert [op for op, _ in await events_since(lisi, lisi_at)] == ["renotified"]

    # Two workers (two nodes) run the same round at once: each step is taken exactly once.
    rounds = await asyncio.gather(*(run_due(services, t0 + 10 * MINUTE) for _ in range(3)))
    assert sorted(len(r.attempts) for r in rounds) in ([0, 0, 2], [0, 1, 1])
    assert [(u, c, s) for u, c, s in await attempts() if c == "email"] == [
        (lisi.id, "email", "sent"), (wangwu.id, "email", "sent")
    ]  # fmt: skip
    assert sorted(m.rcpt_tos[0] for m in inbox.messages) == ["lisi@example.com", "wangwu@example.com"]
    mail = inbox.messages[0].content.decode()
    assert "ding@lakeside.test" in mail and "DING" in mail

    await lisi.post(f"{base}/confirm")  # escalation to lisi stops here
    await run_due(services, t0 + 15 * MINUTE)
    assert len(receiver.requests) == 1
    call = receiver.requests[0]
    assert call["signature_ok"] and call["method"] == "POST" and call["path"] == "/hooks/ding"
    assert call["headers"]["x-lakeside-event"] == "ding.sms"
    payload = call["json"]
    assert (
        payload["type"] == "ding.sms"
        and payload["ding_id"] == ding["id"]
        and payload["text"] == "机房断电，请确认"
    )
    assert payload["recipient"] == {"user_id": wangwu.id, "name": "王五", "phone": "+8613900000003"}
    assert payload["sender"]["user_id"] == zhangsan.id and payload["organization"]["name"] == "湖畔科技"
    assert payload["attempt_id"] == int(call["headers"]["x-lakeside-delivery"])

    receiver.status = 500  # the provider fails: the attempt says so
    await run_due(services, t0 + 20 * MINUTE)
    voice = [a for a in (await zhangsan.get(f"{base}/attempts")).json() if a["channel"] == "voice"]
    assert [(a["user_id"], a["status"]) for a in voice] == [(wangwu.id, "failed")]
    assert voice[0]["detail"].startswith("HTTP 500")
    assert receiver.requests[-1]["json"]["type"] == "ding.voice" and receiver.requests[-1]["signature_ok"]
    assert (await run_due(services, t0 + 60 * MINUTE)).attempts == []  # nothing left to do
    assert len(receiver.requests) == 2

    seen = [op for op, _ in await events_since(zhangsan, sender_at)]
    assert seen.count("attempt") == 2 + 2 + 1 + 1 and seen.count("confirmed") == 2
    view = (await zhangsan.get(base)).json()
    assert {r["user_id"]: r["next_step"] for r in view["recipients"]} == {
        lisi.id: None,
        wangwu.id: None,
        alice.id: None,
    }


async def test_escalation_without_channels_is_recorded_as_skipped(
    app: FastAPI, settings: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    """No SMTP server, no e-mail address, a webhook on a private address (refused by the guard),
    and a redirecting provider: each attempt is recorded with what happened."""
    settings.smtp_host = ""
    settings.egress_allow_private = False
    services = app.state.services
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await lisi.patch("/api/v1/me", json={"phone": "+8613800000002"})
    org = await company(zhangsan, [lisi])
    policy = {"email_after_minutes": 1, "sms_after_minutes": 2, "voice_after_minutes": 3}
    policy |= {"webhook_url": receiver.url, "webhook_secret": SECRET}
    await zhangsan.put(f"/api/v1/orgs/{org['id']}/ding-policy", json=policy)
    ding = await send_ding(zhangsan, org["id"], [lisi])
    t0 = ding["sent_at"]
    await run_due(services, t0 + 1 * MINUTE)
    await run_due(services, t0 + 2 * MINUTE)
    settings.egress_allow_private = True
    receiver.status, receiver.location = 302, "http://169.254.169.254/latest/meta-data"
    await run_due(services, t0 + 3 * MINUTE)
    rows = (await zhangsan.get(f"/api/v1/orgs/{org['id']}/dings/{ding['id']}/attempts")).json()
    outcome = {a["channel"]: (a["status"], a["detail"]) for a in rows if a["trigger"] == "escalation"}
    assert outcome["email"] == ("skipped", "the recipient has no e-mail address")
    assert outcome["sms"][0] == "failed" and "non-public address" in outcome["sms"][1]
    assert outcome["voice"][0] == "failed" and "redirect" in outcome["voice"][1]
    assert len(receiver.requests) == 1  # only the voice call got through, and its redirect was not followed


def test_egress_address_rules() -> None:
    refused = "127.0.0.1 10.1.2.3 172.16.0.1 192.168.1.1 169.254.169.254 100.64.0.1 0.0.0.0 224.0.0.1"
    refused += " ::1 fe80::1 fc00::1 ::ffff:127.0.0.1 ::ffff:10.0.0.1 ff02::1"
    for address in refused.split():
        assert not egress.address_allowed(ipaddress.ip_address(address)), address
    for address in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]:
        assert egress.address_allowed(ipaddress.ip_address(address)), address


async def test_egress_refuses_loopback_names_before_connecting(settings: Settings) -> None:
    settings.egress_allow_private = False
    for url in ("http://localhost:9/x", "http://127.0.0.1:9/x", "http://[::ffff:127.0.0.1]:9/x"):
        with pytest.raises(egress.EgressRefused):
            await egress.post_json(settings, url, b"{}", {})
