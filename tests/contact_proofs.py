"""Proving e-mail addresses and phone numbers in tests, the real way: a real SMTP server (aiosmtpd)
takes the link's e-mail, a real HTTP receiver takes the SMS webhook's code (its signature checked),
and the test follows the link or types the code through the API. The ``proofs`` fixture
(tests/conftest.py) points the settings at both."""

from __future__ import annotations

import asyncio
import contextlib
import email
import hashlib
import hmac
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from aiosmtpd.controller import Controller

from lakeside.config import Settings

SMS_SECRET = "sms-webhook-secret-0123456789"
LINK = re.compile(r"/#/settings/profile\?verify_email=([A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class Proofs:
    """What the server sent: e-mails (parsed) and SMS webhook bodies (with ``signature_ok``)."""

    inbox: _Inbox = field(default_factory=_Inbox)
    texts: list[dict[str, Any]] = field(default_factory=list)

    def link_token(self, to: str) -> str:
        for message in reversed(self.inbox.messages):
            if message["To"] == to:
                body = message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
                match = LINK.search(body)
                assert match, body
                return match.group(1)
        raise AssertionError(f"no e-mail to {to}")

    def code(self, phone: str) -> str:
        for sent in reversed(self.texts):
            if sent["recipient"]["phone"] == phone:
                assert sent["signature_ok"]
                return str(sent["code"])
        raise AssertionError(f"no text to {phone}")

    async def prove_email(self, person: Any) -> dict[str, Any]:
        """Have ``person`` (a tests.conftest.Person) send themselves the link and follow it."""
        sent = await person.post("/api/v1/me/email/verify")
        assert sent.status_code == 200, sent.text
        http: httpx.AsyncClient = person.http
        response = await http.post(
            "/api/v1/auth/verify-email", json={"token": self.link_token(sent.json()["sent_to"])}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def prove_phone(self, person: Any) -> dict[str, Any]:
        sent = await person.post("/api/v1/me/phone/verify")
        assert sent.status_code == 200, sent.text
        response = await person.post(
            "/api/v1/me/phone/confirm", json={"code": self.code(sent.json()["sent_to"])}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


async def _serve(proofs: Proofs, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    stamp = headers.get("x-lakeside-timestamp", "")
    expected = (
        "sha256=" + hmac.new(SMS_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    sent = orjson.loads(body)
    sent["signature_ok"] = hmac.compare_digest(expected, headers.get("x-lakeside-signature", ""))
    proofs.texts.append(sent)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def contact_channels(settings: Settings) -> AsyncIterator[Proofs]:
    """Point ``settings`` at a live SMTP server and SMS receiver for the duration."""
    proofs = Proofs()
    controller = Controller(proofs.inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    server = await asyncio.start_server(lambda r, w: _serve(proofs, r, w), "127.0.0.1", 0)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", controller.port
    settings.sms_webhook_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/sms"
    settings.sms_webhook_secret = SMS_SECRET
    settings.egress_allow_private = True
    try:
        yield proofs
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
        controller.stop()
