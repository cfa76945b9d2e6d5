"""The WebSocket endpoint, ``/api/v1/stream``: authentication, resume, then live events.

The protocol (docs/protocol.md) in short: the client's first frame is
``{"op": "hello", "token": "...", "since": <position or null>}`` — the token travels in a frame,
never in the URL, so it cannot reach an access log. The server answers ``hello``, replays every
event after ``since`` in order, sends ``{"type": "sync", "op": "live", "position": N}``, and from
then on forwards live events. Each durable event carries its ``id``, the client's position.

A client that says ``"batch": true`` in its hello gets the replay as ``{"type": "batch",
"events": [...]}`` frames of many events each: one frame (one ASGI send, one write) per ~64 KiB
instead of one per event, which is most of what a replayed event costs the server otherwise.
Live events are sent one per frame either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from lakeside.domain.bot_scopes import admits_event
from lakeside.domain.messages import check_id, parse_send
from lakeside.errors import Forbidden, LakesideError
from lakeside.realtime.connection import (
    CLOSE_IDLE,
    CLOSE_PROTOCOL,
    CLOSE_RESUME_TOO_OLD,
    CLOSE_TOO_MANY_CONNECTIONS,
    Connection,
)
from lakeside.realtime.hub import Hub
from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services
from lakeside.services.limits import LimitExceeded

log = logging.getLogger(__name__)

SESSION_COOKIE = "lakeside_session"  # as set by lakeside.api.deps
HELLO_TIMEOUT = 10.0
TYPING_INTERVAL = 2.0
MAX_FRAME = 64 * 1024
# A replay batch closes at this many bytes of events or this many events, whichever comes first.
BATCH_BYTES = 64 * 1024
BATCH_EVENTS = 512
EVENTS_SCOPE = "events:read"  # what a bot's token needs to open the stream (domain/bot_scopes.py)
WRITE_SCOPE = "messages:write"  # ... and to send over it


def _origin_allowed(websocket: WebSocket, services: Services) -> bool:
    """Browsers send Origin; a page on another site must not ride a user's cookies into the
    socket (cross-site WebSocket hijacking). Non-browser clients send no Origin."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    settings = services.ctx.settings
    allowed = {_origin_of(settings.public_url), *(_origin_of(o) for o in settings.ws_allowed_origins)}
    host = websocket.headers.get("host")
    if host:
        allowed.update({f"http://{host}", f"https://{host}"})
    return _origin_of(origin) in allowed


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _frame(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


class ProtocolError(ValueError):
    """A frame the protocol does not allow at all (binary, too large): close 4002."""


async def _receive_text(websocket: WebSocket) -> str:
    """The next text frame. A binary frame, or one over ``MAX_FRAME`` bytes of UTF-8, is a
    ``ProtocolError``; the peer leaving is ``WebSocketDisconnect`` (Starlette's ``receive_text``
    would raise a bare KeyError on a binary frame)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise ProtocolError("binary frames are not part of the protocol")
    # Characters first (cheap); bytes only when a frame of multi-byte text could be over.
    if len(text) > MAX_FRAME or (
        len(text) > MAX_FRAME // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME
    ):
        raise ProtocolError("frame too large")
    return text


class StreamEndpoint:
    """The endpoint as a plain ASGI app rather than a ``func(websocket)``: it keeps the ASGI
    ``send`` so that each connection's writer sends frames through it directly (see Connection)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _stream(WebSocket(scope, receive, send), send)


stream_endpoint = StreamEndpoint()


async def _stream(websocket: WebSocket, send: Send) -> None:
    services: Services = websocket.app.state.services
    hub: Hub = websocket.app.state.hub
    if not _origin_allowed(websocket, services):
        await websocket.close(code=1008, reason="origin not allowed")
        return
    await websocket.accept()
    try:
        async with asyncio.timeout(HELLO_TIMEOUT):
            hello = orjson.loads(await _receive_text(websocket))
        if not isinstance(hello, dict) or hello.get("op") != "hello":
            raise ValueError("first frame must be hello")
        since = hello.get("since")
        if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
            raise ValueError("since must be a non-negative integer or null")
        batch = hello.get("batch", False)
        if not isinstance(batch, bool):
            raise ValueError("batch must be true or false")
        # The web client's session is its HttpOnly cookie (the Origin check above keeps other
        # sites from riding it); other clients put their token in the hello.
        token = hello.get("token") or websocket.cookies.get(SESSION_COOKIE, "")
        user = await services.accounts.authenticate(str(token))
        if user.is_token and EVENTS_SCOPE not in (user.scopes or ()):
            raise Forbidden(f"The token lacks the scope {EVENTS_SCOPE}.", code="MISSING_SCOPE")
        if not user.is_token:  # a bot's connection is no person opening the app
            services.growth.activity.record(user.id, "open")  # a client connecting is the app opening
    except LakesideError as exc:
        await websocket.send_text(_frame({"type": "error", "code": exc.code, "message": exc.message}))
        await websocket.close(code=4003, reason=exc.code)
        return
    except (TimeoutError, ValueError, WebSocketDisconnect, orjson.JSONDecodeError) as exc:
        with contextlib.suppress(Exception):
            await websocket.close(code=CLOSE_PROTOCOL, reason=str(exc)[:120] or "bad hello")
        return
    await _serve(websocket, send, services, hub, user, since, batch)


async def _serve(
    websocket: WebSocket,
    send: Send,
    services: Services,
    hub: Hub,
    user: AuthUser,
    since: int | None,
    batch: bool,
) -> None:
    settings = services.ctx.settings
    if len(hub.by_user.get(user.id, ())) >= settings.ws_max_connections_per_user:
        # Checked and registered with no await between: two handshakes cannot both slip past.
        message = f"At most {settings.ws_max_connections_per_user} connections per account."
        with contextlib.suppress(Exception):
            await websocket.send_text(
                _frame({"type": "error", "code": "TOO_MANY_CONNECTIONS", "message": message})
            )
            await websocket.close(code=CLOSE_TOO_MANY_CONNECTIONS, reason="TOO_MANY_CONNECTIONS")
        return
    connection = Connection(
        websocket,
        user_id=user.id,
        session_id=user.session_id,
        conversations=set(),
        queue_max=settings.ws_queue_max,
        queue_max_bytes=settings.ws_queue_max_bytes,
        send=send,
    )
    connection.allowed = user.conversations
    connection.start()
    hub.register(connection)  # from here on, live events wait in the connection's buffer
    try:
        # Memberships are read after registering, as of a known log position, and the hub
        # brings them up to date with what it dispatched meanwhile; the replay covers the rest.
        conversations, snapshot = await services.sync.memberships(user.id)
        hub.settle(connection, conversations, snapshot)
        position = await _replay(connection, services, user, snapshot if since is None else since, batch)
        if position is None:
            return
        connection.go_live(position)
        await connection.send_control({"type": "sync", "op": "live", "position": connection.position})
        await _read(websocket, connection, services, hub, user, settings.ws_idle_timeout_seconds)
    finally:
        hub.unregister(connection)
        await connection.finish()


async def _replay(
    connection: Connection, services: Services, user: AuthUser, start: int, batch: bool
) -> int | None:
    """Say hello, then replay the log after ``start``: the client's position, or, for a client
    starting fresh, the position its memberships were read at (anything dispatched since)."""
    hello = {"type": "hello", "op": "ok", "user_id": user.id, "session_id": user.session_id, "since": start}
    if batch:
        hello["batch"] = True  # the replay comes in batch frames (an older server leaves this out)
    await connection.send_control(hello)
    position = start
    while True:
        try:
            # Pages of events encoded once, straight from the log's rows (services.sync).
            frames, position, more = await services.sync.frames_since(user.id, position)
        except LakesideError as exc:
            await connection.send_control(
                {"type": "error", "code": exc.code, "message": exc.message, **exc.data}
            )
            await connection.close_after_flush(CLOSE_RESUME_TOO_OLD, exc.code)
            return None
        if user.conversations is not None:  # a bot token's allowlist (api/scopes.py)
            frames = [(i, f) for i, f in frames if admits_event(orjson.loads(f), user.conversations)]
        if batch:
            for last_id, frame in batches(frames):
                await connection.send_backlog_batch(last_id, frame)
        else:
            for event_id, frame in frames:
                await connection.send_backlog(event_id, frame.decode())
        if connection.closed or not more:
            return position


def batches(frames: list[tuple[int, bytes]]) -> list[tuple[int, str]]:
    """The encoded events as batch frames, in order: (id of the last event in it, frame)."""
    out: list[tuple[int, str]] = []
    chunk: list[bytes] = []
    size = 0
    for event_id, frame in frames:
        chunk.append(frame)
        size += len(frame)
        if size >= BATCH_BYTES or len(chunk) >= BATCH_EVENTS:
            out.append((event_id, _batch_frame(chunk)))
            chunk, size = [], 0
    if chunk:
        out.append((frames[-1][0], _batch_frame(chunk)))
    return out


def _batch_frame(events: list[bytes]) -> str:
    return (b'{"type":"batch","events":[' + b",".join(events) + b"]}").decode()


async def _read(
    websocket: WebSocket, connection: Connection, services: Services, hub: Hub, user: AuthUser, idle: int
) -> None:
    last_typing: dict[int, float] = {}
    typing_shown: set[int] = set()  # conversations told "started" and not "stopped" since
    while not connection.closed:
        try:
            # asyncio.timeout, not wait_for: wait_for wraps every receive in a task of its own.
            async with asyncio.timeout(idle):
                raw = await _receive_text(websocket)
        except TimeoutError:
            # Closed before returning: once the endpoint returns, a close frame can no longer go.
            await connection.close_now(CLOSE_IDLE, "idle: send a ping at least every 30 seconds")
            return
        except ProtocolError as exc:
            await connection.close_now(CLOSE_PROTOCOL, str(exc))
            return
        except (WebSocketDisconnect, RuntimeError):
            return
        frame = _frame_of(raw)
        op = frame.get("op")
        if op == "ping":
            await connection.send_control({"type": "pong", "position": connection.position})
        elif op == "typing":
            # "started" at most every TYPING_INTERVAL per conversation; "stopped" (the input was
            # cleared) only after a "started", so a socket relays at most two frames per interval.
            conversation_id = frame.get("conversation_id")
            now = time.monotonic()
            if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
                await connection.send_control(_INVALID_CONVERSATION)
            elif conversation_id not in connection.conversations:
                pass  # not (or no longer) a member: nothing to relay, and nothing to tell
            elif frame.get("stopped") is True:
                if conversation_id in typing_shown:
                    typing_shown.discard(conversation_id)
                    await hub.publish_typing(connection, conversation_id, stopped=True)
            elif now - last_typing.get(conversation_id, 0) >= TYPING_INTERVAL:
                last_typing[conversation_id] = now
                typing_shown.add(conversation_id)
                await hub.publish_typing(connection, conversation_id)
        elif op == "presence":
            status = frame.get("status")
            if isinstance(status, str) and status in ("online", "away"):
                hub.set_status(connection, status)
            else:
                await connection.send_control(
                    {"type": "error", "code": "INVALID", "message": "status is online or away"}
                )
        elif op == "send":
            # Admission: past SEND_CONCURRENCY sends in progress on this node, stop reading this
            # socket until one finishes, so a flood pushes back on its senders through TCP
            # instead of piling up tasks that all wait for a database connection (and starve
            # the message writer, which needs one too, of its turn).
            await hub.send_slots.acquire()
            task = asyncio.get_running_loop().create_task(_send(connection, services, user, frame))
            task.add_done_callback(hub.release_send_slot)
        elif frame is _UNREADABLE:
            await connection.send_control(
                {"type": "error", "code": "INVALID_FRAME", "message": "A frame is one JSON object."}
            )
        else:
            await connection.send_control(
                {"type": "error", "code": "UNKNOWN_OP", "message": "op is ping, typing, presence or send"}
            )


_UNREADABLE: dict[str, Any] = {}
_INVALID_CONVERSATION = {
    "type": "error",
    "code": "INVALID",
    "message": "conversation_id is an integer id from 1 to 2**63 - 1",
}


def _frame_of(raw: str) -> dict[str, Any]:
    """The frame as a JSON object; ``_UNREADABLE`` when it is none. orjson refuses what no UTF-8
    text can hold (a lone surrogate escaped as ``\\ud800``); the standard parser reads it, so
    that a send carrying one is still answered with a nack naming its client_msg_id (the
    command refuses the text) rather than left unanswered."""
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            frame = json.loads(raw)
        except ValueError:
            return _UNREADABLE
    return frame if isinstance(frame, dict) else _UNREADABLE


async def _send(connection: Connection, services: Services, user: AuthUser, frame: dict[str, Any]) -> None:
    """A message sent over the socket: answered with ack (after commit) or nack."""
    client_msg_id = frame.get("client_msg_id")
    try:
        if user.is_token and WRITE_SCOPE not in (user.scopes or ()):
            raise Forbidden(f"The token lacks the scope {WRITE_SCOPE}.", code="MISSING_SCOPE")
        conversation_id = check_id(frame.get("conversation_id"))
        command = parse_send(frame)
        client = connection.websocket.client
        result = await services.messages.do_send(
            user, conversation_id, command, address=client.host if client else ""
        )
        reply = {
            "type": "ack",
            "client_msg_id": client_msg_id,
            "created": result.created,
            "message": result.message,
        }
    except LakesideError as exc:
        reply = {
            "type": "nack",
            "client_msg_id": client_msg_id,
            # The same fields as the HTTP error body (e.g. NOT_FRIENDS names the other person).
            "error": {**exc.data, "code": exc.code, "message": exc.message},
        }
        if isinstance(exc, LimitExceeded):
            reply["error"]["retry_after_ms"] = exc.retry_after_ms
    except Exception:
        log.exception("send over socket failed")
        reply = {
            "type": "nack",
            "client_msg_id": client_msg_id,
            "error": {"code": "INTERNAL", "message": "failed"},
        }
    if not connection.closed:
        with contextlib.suppress(Exception):
            await connection.send_control(reply)
