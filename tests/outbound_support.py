"""A real HTTP receiver on 127.0.0.1 for the outbound tests: records every request (headers and
raw body) and answers what the test queues (status, body, headers), or 200 with an empty body. It
can be stopped and started again on the same port (the receiver "down" and "back")."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Receiver:
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    server: asyncio.Server | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, status: int = 200, body: Any = b"", **headers: str) -> None:
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        self.answers.append(Answer(status, raw, {k.replace("_", "-"): v for k, v in headers.items()}))

    def json(self, index: int = -1) -> Any:
        return orjson.loads(self.requests[index]["body"])

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
        answer = self.answers.pop(0) if self.answers else Answer()
        extra = "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())
        writer.write(
            f"HTTP/1.1 {answer.status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(answer.body)}\r\n{extra}Connection: close\r\n\r\n".encode()
            + answer.body
        )
        await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    await state.start()
    try:
        yield state
    finally:
        await state.stop()
