"""An async Python client for lakeside: log in, send, read, and subscribe with automatic resume.

    async with LakesideClient("http://127.0.0.1:8000") as client:
        await client.login("alice", "secret password")
        conversation = await client.open_direct(bob_id)
        await client.send(conversation["id"], "你好")
        async with client.subscribe() as events:
            async for event in events:
                print(event["type"], event["op"], event["data"])

A subscription reconnects by itself after a dropped connection or a server restart and resumes
from the last event it delivered, so the iterator yields every durable event exactly once, in
order. Sends carry a client message id that a retry reuses, so a send retried after a network
error is stored once.

A bot is written with the same client and its API token (no log-in; docs/integrations/bots.md):

    async with LakesideClient(url, token=os.environ["LAKESIDE_TOKEN"]) as bot:
        me = await bot.me()
        await bot.register_commands([{"name": "oncall", "description": "今天谁值班"}])
        async with bot.subscribe() as events:
            async for event in events:
                if (event["type"], event["op"]) == ("command", "invoked"):
                    await bot.reply(event["data"]["invocation_id"], "王五值班")
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

RESUME_TOO_OLD = "RESUME_TOO_OLD"
# A hello refused with one of these ends the subscription (reconnecting would not help).
FATAL = (
    RESUME_TOO_OLD,
    "SESSION_INVALID",
    "UNAUTHENTICATED",
    "ACCOUNT_DEACTIVATED",
    "TOKEN_INVALID",  # a bot token revoked, expired or unknown
    "MISSING_SCOPE",  # a bot token without events:read
)


class LakesideAPIError(Exception):
    def __init__(self, status: int, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.data = data or {}


class LakesideClient:
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.user: dict[str, Any] | None = None
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> LakesideClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    # -- HTTP -----------------------------------------------------------------------------------

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = await self._http.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                extra = {k: v for k, v in error.items() if k not in ("code", "message")}
                raise LakesideAPIError(response.status_code, error["code"], error["message"], extra)
            except (ValueError, KeyError):
                raise LakesideAPIError(response.status_code, "HTTP_ERROR", response.text[:200]) from None
        return response.json()

    async def register(self, username: str, password: str, **fields: Any) -> dict[str, Any]:
        body = await self.request(
            "POST", "/api/v1/auth/register", json={"username": username, "password": password, **fields}
        )
        self.token, self.user = body["token"], body["user"]
        return body["user"]

    async def login(self, login: str, password: str) -> dict[str, Any]:
        body = await self.request("POST", "/api/v1/auth/login", json={"login": login, "password": password})
        self.token, self.user = body["token"], body["user"]
        return body["user"]

    async def logout(self) -> None:
        await self.request("POST", "/api/v1/auth/logout")
        self.token = None

    async def conversations(self, *, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return await self.request("GET", "/api/v1/conversations", params=params)

    async def open_direct(self, user_id: int) -> dict[str, Any]:
        return await self.request("POST", "/api/v1/conversations/direct", json={"user_id": user_id})

    async def create_group(self, title: str, member_ids: list[int]) -> dict[str, Any]:
        return await self.request(
            "POST", "/api/v1/conversations", json={"title": title, "member_ids": member_ids}
        )

    async def history(self, conversation_id: int, **params: Any) -> dict[str, Any]:
        return await self.request("GET", f"/api/v1/conversations/{conversation_id}/messages", params=params)

    async def mark_read(self, conversation_id: int, seq: int) -> dict[str, Any]:
        return await self.request("POST", f"/api/v1/conversations/{conversation_id}/read", json={"seq": seq})

    async def send(
        self,
        conversation_id: int,
        body: str,
        *,
        kind: str = "text",
        client_msg_id: str | None = None,
        reply_to_id: int | None = None,
        mention_ids: list[int] | None = None,
        retries: int = 3,
    ) -> dict[str, Any]:
        """Send a message; network errors are retried with the same client message id, so the
        message is stored once however often the request went out. ``mention_ids`` names people
        picked by name whose ``@display name`` the body carries."""
        payload: dict[str, Any] = {
            "client_msg_id": client_msg_id or uuid.uuid4().hex,
            "kind": kind,
            "body": body,
            "reply_to_id": reply_to_id,
        }
        if mention_ids:
            payload["mention_ids"] = mention_ids
        for attempt in range(retries + 1):
            try:
                return await self.request(
                    "POST", f"/api/v1/conversations/{conversation_id}/messages", json=payload
                )
            except httpx.TransportError:
                if attempt == retries:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def send_markdown(self, conversation_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """A markdown message (rendered by the server)."""
        return await self.send(conversation_id, text, kind="markdown", **kwargs)

    # -- what a bot needs ------------------------------------------------------------------------

    async def me(self) -> dict[str, Any]:
        """The caller's profile (a bot's has ``"bot": "app"``); kept in ``self.user``."""
        self.user = await self.request("GET", "/api/v1/me")
        return self.user

    async def conversation(self, conversation_id: int) -> dict[str, Any]:
        return await self.request("GET", f"/api/v1/conversations/{conversation_id}")

    async def members(self, conversation_id: int) -> list[dict[str, Any]]:
        """The conversation's members: ``[{"user": {...}, "role": ...}, ...]``."""
        return await self.request("GET", f"/api/v1/conversations/{conversation_id}/members")

    async def send_card(
        self, conversation_id: int, card: dict[str, Any], *, client_msg_id: str | None = None
    ) -> dict[str, Any]:
        """A card message (bots only): ``{"sender_name"?, "blocks": [...]}``, see
        docs/integrations/bots.md. Retried with the same client message id on network errors."""
        payload = {"client_msg_id": client_msg_id or uuid.uuid4().hex, "card": card}
        return await self._retried("POST", f"/api/v1/conversations/{conversation_id}/cards", payload)

    async def reply(
        self,
        invocation_id: int,
        text: str,
        *,
        markdown: bool = False,
        ephemeral: bool = False,
        client_msg_id: str | None = None,
    ) -> dict[str, Any]:
        """Answer a ``command.invoked`` event: in its conversation, or (``ephemeral``) to the
        person who invoked the command alone."""
        payload = {
            "text": text,
            "markdown": markdown,
            "ephemeral": ephemeral,
            "client_msg_id": client_msg_id or uuid.uuid4().hex,
        }
        return await self._retried("POST", f"/api/v1/commands/{invocation_id}/reply", payload)

    async def register_commands(
        self, commands: list[dict[str, str]], *, bot_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Replace the bot's slash commands (``name``, ``description``, ``usage``); a bot token
        needs the ``commands:write`` scope. ``bot_id`` defaults to the caller."""
        if bot_id is None:
            bot_id = (self.user or await self.me())["id"]
        body = await self.request("PUT", f"/api/v1/bots/{bot_id}/commands", json={"commands": commands})
        return list(body["commands"])

    async def _retried(self, method: str, path: str, payload: dict[str, Any], retries: int = 3) -> Any:
        for attempt in range(retries + 1):
            try:
                return await self.request(method, path, json=payload)
            except httpx.TransportError:
                if attempt == retries:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    # -- the event stream -----------------------------------------------------------------------

    def subscribe(self, *, since: int | None = None) -> Subscription:
        """Events from ``since`` (default: from now), resuming across reconnects."""
        if not self.token:
            raise RuntimeError("log in (or pass a bot's token) before subscribing")
        scheme = "wss" if self.base_url.startswith("https") else "ws"
        url = f"{scheme}://{self.base_url.split('://', 1)[1]}/api/v1/stream"
        return Subscription(url, self.token, since)


class Subscription:
    """An async iterator over the user's events that survives disconnects."""

    def __init__(self, url: str, token: str, since: int | None, *, ping_interval: float = 25.0) -> None:
        self.url = url
        self.token = token
        self.position = since
        self.ping_interval = ping_interval
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None

    async def __aenter__(self) -> Subscription:
        self._task = asyncio.create_task(self._run())
        await self.wait_connected()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def drop(self) -> None:
        """Cut the connection (as a network failure would); the subscription reconnects."""
        if self._ws is not None:
            await self._ws.close()

    async def typing(self, conversation_id: int, *, stopped: bool = False) -> None:
        """Tell the conversation you are typing; ``stopped=True`` once the input is cleared."""
        if self._ws is not None:
            frame: dict[str, Any] = {"op": "typing", "conversation_id": conversation_id}
            if stopped:
                frame["stopped"] = True
            await self._ws.send(orjson.dumps(frame).decode())

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            item = await self._queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        item = await asyncio.wait_for(self._queue.get(), timeout)
        if isinstance(item, BaseException):
            raise item
        return item

    async def _run(self) -> None:
        delay = 0.05
        while True:
            try:
                async with connect(self.url, max_size=2**22, ping_interval=20) as ws:
                    self._ws = ws
                    await ws.send(
                        orjson.dumps(
                            {"op": "hello", "token": self.token, "since": self.position, "batch": True}
                        ).decode()
                    )
                    delay = 0.05
                    await self._pump(ws)
            except asyncio.CancelledError:
                raise
            except _Fatal as fatal:
                self._queue.put_nowait(fatal.error)
                return
            except (TimeoutError, OSError, ConnectionClosed, InvalidHandshake, InvalidStatus):
                pass
            finally:
                self._ws = None
                self.connected.clear()
            self.reconnects += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _pump(self, ws: ClientConnection) -> None:
        pinger = asyncio.create_task(self._ping(ws))
        try:
            async for raw in ws:
                frame = orjson.loads(raw)
                kind = frame.get("type")
                if kind == "hello":
                    if self.position is None:
                        self.position = frame["since"]
                elif kind == "sync" and frame.get("op") == "live":
                    self.position = max(self.position or 0, frame["position"])
                    self.connected.set()
                elif kind == "error":
                    code = frame.get("code", "ERROR")
                    if code in FATAL:
                        raise _Fatal(
                            LakesideAPIError(
                                409 if code == RESUME_TOO_OLD else 401, code, frame.get("message", "")
                            )
                        )
                elif kind in ("pong", "ack", "nack"):
                    continue
                elif kind == "batch":  # a replay, many events per frame (docs/protocol.md)
                    for event in frame["events"]:
                        self._accept(event)
                elif frame.get("id"):
                    self._accept(frame)
                else:  # typing, presence: ephemeral
                    self._queue.put_nowait(frame)
        finally:
            pinger.cancel()

    def _accept(self, event: dict[str, Any]) -> None:
        """A durable event, unless the position says it was handled already."""
        if event["id"] > (self.position or 0):
            self.position = event["id"]
            self._queue.put_nowait(event)

    async def _ping(self, ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(self.ping_interval)
                await ws.send('{"op":"ping"}')


class _Fatal(Exception):
    def __init__(self, error: LakesideAPIError) -> None:
        super().__init__(str(error))
        self.error = error
