"""The floor: the least a broadcast hub on lakeside's server stack can do, to measure lakeside against.

A bare ASGI application (no framework) on the same stack — uvicorn, httptools, websockets-sansio,
uvloop — that speaks the subset of lakeside's protocol the benchmark uses and stores nothing: a
hello names the conversations the connection is in (the floor has no database to look them up),
a ``send`` is numbered, encoded once, offered to every connection of the conversation and acked
at once, with no commit to wait for. Each connection has a bounded queue drained by its own
writer task, as lakeside's do, so the comparison isolates what lakeside adds: authentication,
rules, durable storage, ordering and resume.

    python -m bench.floor --port 8100
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from typing import Any

import orjson

QUEUE_MAX = 4096


class Conn:
    __slots__ = ("closed", "conversations", "queue", "send", "user_id", "writer")

    def __init__(self, send: Any, user_id: int, conversations: list[int]) -> None:
        self.send = send
        self.user_id = user_id
        self.conversations = conversations
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_MAX)
        self.closed = False
        self.writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        send = self.send
        queue = self.queue
        try:
            while True:
                frame = await queue.get()
                if frame is None:
                    return
                await send({"type": "websocket.send", "text": frame})
        except Exception:
            self.closed = True

    def offer(self, frame: str) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(frame)  # type: ignore[arg-type]
        except asyncio.QueueFull:
            self.closed = True
            self.writer.cancel()


class Floor:
    def __init__(self) -> None:
        self.by_conversation: dict[int, set[Conn]] = defaultdict(set)
        self.next_id = 0
        self.seqs: dict[int, int] = defaultdict(int)

    def publish(self, user_id: int, conversation_id: int, client_msg_id: str, body: str) -> dict[str, Any]:
        """Number the message, encode its event once, and offer it to the conversation."""
        self.next_id += 1
        self.seqs[conversation_id] += 1
        now = time.time_ns() // 1_000_000
        # The same fields as lakeside's message view, so frames are the same size.
        message = {
            "id": self.next_id,
            "conversation_id": conversation_id,
            "seq": self.seqs[conversation_id],
            "sender_id": user_id,
            "client_msg_id": client_msg_id,
            "kind": "text",
            "body": body,
            "html": None,
            "mentions": [],
            "mention_all": False,
            "reply_to": None,
            "file": None,
            "reactions": [],
            "created_at": now,
            "edited_at": None,
            "recalled": False,
            "recalled_at": None,
            "recalled_by": None,
        }
        event = {
            "id": self.next_id,
            "type": "message",
            "op": "created",
            "conversation_id": conversation_id,
            "user_id": None,
            "data": message,
            "created_at": now,
        }
        frame = orjson.dumps(event).decode()
        for conn in self.by_conversation.get(conversation_id, ()):
            conn.offer(frame)
        return message

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path: str = scope["path"]
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status, reply = 404, b'{"error":{"code":"NOT_FOUND","message":"no such route"}}'
        if path == "/healthz":
            status, reply = 200, b'{"status":"ok"}'
        elif (
            scope["method"] == "POST"
            and path.startswith("/api/v1/conversations/")
            and path.endswith("/messages")
        ):
            conversation_id = int(path.split("/")[4])
            token = dict(scope["headers"]).get(b"authorization", b"Bearer 0").split(b" ", 1)[1]
            draft = orjson.loads(body)
            message = self.publish(int(token), conversation_id, draft["client_msg_id"], draft.get("body", ""))
            status, reply = 201, orjson.dumps(message)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(reply)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply})

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        hello = orjson.loads(message.get("text") or message.get("bytes") or b"{}")
        user_id = int(hello.get("token") or 0)
        conversations = [int(c) for c in hello.get("conversations", [])]
        conn = Conn(send, user_id, conversations)
        conn.offer(orjson.dumps({"type": "hello", "op": "ok", "user_id": user_id, "since": 0}).decode())
        conn.offer(orjson.dumps({"type": "sync", "op": "live", "position": self.next_id}).decode())
        for conversation_id in conversations:
            self.by_conversation[conversation_id].add(conn)
        try:
            while True:
                message = await receive()
                if message["type"] != "websocket.receive":
                    return
                frame = orjson.loads(message.get("text") or message.get("bytes") or b"{}")
                op = frame.get("op")
                if op == "send":
                    stored = self.publish(
                        user_id, int(frame["conversation_id"]), frame["client_msg_id"], frame.get("body", "")
                    )
                    reply = {
                        "type": "ack",
                        "client_msg_id": frame["client_msg_id"],
                        "created": True,
                        "message": stored,
                    }
                    conn.offer(orjson.dumps(reply).decode())
                elif op == "ping":
                    conn.offer(orjson.dumps({"type": "pong", "position": self.next_id}).decode())
        finally:
            for conversation_id in conversations:
                members = self.by_conversation.get(conversation_id)
                if members is not None:
                    members.discard(conn)
            conn.offer(None)  # type: ignore[arg-type]
            conn.writer.cancel()


def main() -> None:
    import resource

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvicorn.run(
        Floor(),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
