"""Logs: one JSON object per line with a request id (taken from ``X-Request-ID`` or generated, and
echoed), and no session token, password or message body in them, whatever happened. The main
test runs a real ``lakeside serve`` through a session of activity and scans everything it wrote.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa
from websockets.asyncio.client import connect

from lakeside.cli import redact
from lakeside.observability import JsonFormatter, accept_request_id
from tests.conftest import Person
from tests.test_crash_durability import ServerProcess, server_env

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.slow
async def test_a_session_of_activity_leaves_no_secret_in_the_logs(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", server_env({}))
    password = f"pw-{uuid.uuid4().hex}"
    body = f"BODY-{uuid.uuid4().hex} 机密内容"
    token = ""
    traced: dict[str, str] = {}
    try:
        await server.start()
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.post(
                "/api/v1/auth/register", json={"username": "logged", "password": password}
            )
            assert response.status_code == 201
            wrong = await http.post(
                "/api/v1/auth/login", json={"login": "logged", "password": password + "x"}
            )
            assert wrong.status_code == 401
            response = await http.post(
                "/api/v1/auth/login",
                json={"login": "logged", "password": password},
                headers={"X-Request-ID": "client-trace-42"},
            )
            assert response.headers["x-request-id"] == "client-trace-42"
            token = response.json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            group = await http.post("/api/v1/conversations", json={"title": "log test"}, headers=auth)
            conversation_id = group.json()["id"]
            sent = await http.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                json={"client_msg_id": "log-1", "body": body},
                headers=auth,
            )
            assert sent.status_code == 201
            traced[sent.headers["x-request-id"]] = "send"
            assert HEX_ID.fullmatch(sent.headers["x-request-id"])
            forged = await http.get("/healthz", headers={"X-Request-ID": 'x" injected\\n{"level":"error"}'})
            assert HEX_ID.fullmatch(forged.headers["x-request-id"])  # replaced, not echoed
            edit = await http.patch(
                f"/api/v1/messages/{sent.json()['id']}", json={"body": body + " v2"}, headers=auth
            )
            assert edit.status_code == 200
            too_long = await http.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                json={"client_msg_id": "log-2", "body": body * 2000},
                headers=auth,
            )
            assert too_long.status_code in (413, 422)
            leaked = await http.get("/healthz", params={"access_token": token})
            assert leaked.status_code == 200
            # Every token-like parameter name a client or an integration might use.
            leaked = await http.get("/healthz", params={name: token for name in TOKEN_LIKE} | {"page": "2"})
            assert leaked.status_code == 200
        async with connect(server.url.replace("http://", "ws://") + "/api/v1/stream") as ws:
            await ws.send(orjson.dumps({"op": "hello", "token": token, "since": None}).decode())
            while orjson.loads(await ws.recv()).get("type") != "sync":
                pass
            await ws.send(
                orjson.dumps(
                    {"op": "send", "conversation_id": conversation_id, "client_msg_id": "log-3", "body": body}
                ).decode()
            )
            while orjson.loads(await ws.recv()).get("type") != "ack":
                pass
            await ws.send("not json, " + body)
            await ws.recv()
    finally:
        await server.stop()
    text = server.log.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) > 10
    entries = []
    for line in lines:
        entry = orjson.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= set(entry), line
        entries.append(entry)
    for secret in (token, password, body, body[:13], "机密内容"):
        assert secret not in text, f"{secret[:8]}... reached the logs"
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    assert access and all(e.get("request_id") for e in access)
    assert any(e["request_id"] == "client-trace-42" and e["path"] == "/api/v1/auth/login" for e in access)
    assert any(e["request_id"] in traced and e["method"] == "POST" and e["status"] == 201 for e in access)
    assert any("access_token=[redacted]" in e["path"] for e in access)
    assert any(all(f"{name}=[redacted]" in e["path"] for name in TOKEN_LIKE) for e in access)


TOKEN_LIKE = (
    "auth", "bearer", "lakeside_session", "token", "access_token", "sign", "key", "secret", "password",
    "code", "Authorization", "API_KEY", "signature", "ticket", "refresh_token", "client_secret",
)  # fmt: skip


def test_token_like_query_parameters_are_redacted_and_others_kept() -> None:
    for name in TOKEN_LIKE:
        line = f'"GET /api/v1/x?page=2&{name}=s3cr3t-value&sort=asc HTTP/1.1" 200'
        assert redact(line) == f'"GET /api/v1/x?page=2&{name}=[redacted]&sort=asc HTTP/1.1" 200', name
        assert redact(f"/x?{name}=s3cr3t-value") == f"/x?{name}=[redacted]"
    # Names that merely contain one of them are not secrets; values are never taken for names.
    assert redact("/x?keyboard=qwerty&q=token=abc") == "/x?keyboard=qwerty&q=token=abc"


def test_tracebacks_lose_the_database_drivers_bound_parameters() -> None:
    """A failed statement's exception carries its parameters (a body, a token hash): cut."""
    secret = f"SECRET-{uuid.uuid4().hex}"  # made at run time: a traceback shows source lines
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT UNIQUE)")
        conn.execute(sa.text("INSERT INTO messages (body) VALUES (:body)"), {"body": secret})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("lakeside.test_logging")
    log.addHandler(handler)
    log.propagate = False
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO messages (body) VALUES (:body)"), {"body": secret})
    except sa.exc.IntegrityError:
        log.exception("send failed")
    finally:
        log.removeHandler(handler)
    entry = orjson.loads(stream.getvalue())
    assert entry["level"] == "error" and "IntegrityError" in entry["exception"]
    assert "[parameters: redacted]" in entry["exception"]
    assert secret not in stream.getvalue()


def test_request_ids_from_callers_are_kept_only_when_plain() -> None:
    assert accept_request_id(b"abc-123_DEF.9:x/y+z=") == "abc-123_DEF.9:x/y+z="
    for raw in (None, b"", b"has space", b'quote"', b"new\nline", b"x" * 129, "é".encode(), b"{json}"):
        assert HEX_ID.fullmatch(accept_request_id(raw)), raw


async def test_request_id_is_echoed_or_generated(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    alice = people["alice"]
    given = await client.get("/api/v1/me", headers={**alice.headers, "X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    first, second = await client.get("/healthz"), await client.get("/healthz")
    assert HEX_ID.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    error = await client.get("/api/v1/me")
    assert error.status_code == 401 and HEX_ID.fullmatch(error.headers["x-request-id"])
