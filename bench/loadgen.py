"""The load generator: a lean WebSocket client and a lean HTTP/1.1 client on raw asyncio protocols.

The server and the load generator share two cores, so every microsecond the client spends per
frame is a microsecond the server does not get. A general-purpose client (``websockets``,
``httpx``) costs tens of microseconds per frame or request; these protocols parse frames straight
out of the receive buffer and recognise the few frames the benchmark cares about by a byte prefix,
without decoding JSON. Both servers under test (lakeside and the floor) speak the same protocol
(docs/protocol.md), so the same client measures both.

Latency is carried in the message itself: a body is ``"<monotonic ns at send> <sender index>"``,
and the receiver subtracts. ``time.monotonic_ns`` is one clock for every process on the machine.
"""

from __future__ import annotations

import asyncio
import base64
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

MASK = b"\x00\x00\x00\x00"  # a zero mask is a valid mask and leaves the payload as it is


def raise_fd_limit() -> int:
    """Lift the soft limit on open files to the hard limit; returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def ws_frame(payload: bytes, opcode: int = 1) -> bytes:
    """A client frame: FIN, opcode, masked (clients must mask; the zero key costs nothing)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + MASK + payload


@dataclass
class Tally:
    """Counters shared by every client of one measurement (plain ints: one event loop)."""

    events: int = 0  # durable message events received, all clients together
    acks: int = 0
    nacks: int = 0
    closed: int = 0  # connections closed by the server while measured
    close_codes: dict[int, int] = field(default_factory=dict)
    latencies: list[int] | None = None  # ns, one per delivery to a receiver other than the sender
    nack_samples: list[bytes] = field(default_factory=list)


BODY_KEY = b'"body":"'
MESSAGE_CREATED = b'"type":"message","op":"created"'


class WSClient(asyncio.Protocol):
    """One WebSocket connection speaking lakeside's protocol."""

    def __init__(self, index: int, tally: Tally) -> None:
        self.index = index
        self.tally = tally
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.live: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.events = 0
        self.in_flight = 0
        self.on_ack: Callable[[WSClient], None] | None = None
        self.on_event: Callable[[WSClient], None] | None = None
        self.record = False  # append latencies to the tally
        self.close_code: int | None = None
        self._key = ""

    # -- connection -----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)
        for future in (self.handshake, self.live):
            if not future.done():
                future.set_exception(ConnectionError(f"connection lost (code {self.close_code})"))
                future.exception()  # nobody may be waiting any more: no "never retrieved" warning

    def start_handshake(self, host: str, port: int, path: str) -> None:
        self._key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        assert self.transport is not None
        self.transport.write(request.encode())

    def send_json(self, message: dict[str, Any]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(ws_frame(orjson.dumps(message)))

    def send_raw(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(ws_frame(payload))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(ws_frame(b"\x03\xe8", opcode=8))
            self.transport.close()

    # -- receiving ------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.handshaken:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            # The waiter may have given up (its timeout cancels the future): then only close.
            if not head.startswith(b"HTTP/1.1 101") or self.handshake.done():
                if not self.handshake.done():
                    self.handshake.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                    self.handshake.exception()
                assert self.transport is not None
                self.transport.close()
                return
            self.handshaken = True
            self.handshake.set_result(None)
        at = 0
        size = len(buffer)
        while size - at >= 2:
            b0 = buffer[at]
            length = buffer[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                if size - at < 4:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 4], "big")
                start = at + 4
            elif length == 127:
                if size - at < 10:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 10], "big")
                start = at + 10
            end = start + length
            if end > size:
                break
            opcode = b0 & 0x0F
            if opcode == 1 or opcode == 2:
                self._frame(bytes(buffer[start:end]))
            elif opcode == 9:  # ping: the server drops clients that do not answer
                self.send_raw_control(10, bytes(buffer[start:end]))
            elif opcode == 8:
                self.close_code = int.from_bytes(buffer[start : start + 2], "big") if length >= 2 else 1005
                self.tally.closed += 1
                self.tally.close_codes[self.close_code] = self.tally.close_codes.get(self.close_code, 0) + 1
                assert self.transport is not None
                self.transport.close()
            at = end
        if at:
            del buffer[:at]

    def send_raw_control(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(ws_frame(payload, opcode=opcode))

    def _frame(self, payload: bytes) -> None:
        if payload.startswith(b'{"id":'):
            self._event(payload)
        elif payload.startswith(b'{"type":"ack"'):
            self.in_flight -= 1
            self.tally.acks += 1
            if self.on_ack is not None:
                self.on_ack(self)
        elif payload.startswith(b'{"type":"nack"'):
            self.in_flight -= 1
            self.tally.nacks += 1
            if len(self.tally.nack_samples) < 5:
                self.tally.nack_samples.append(payload[:300])
            if self.on_ack is not None:
                self.on_ack(self)
        elif payload.startswith(b'{"type":"batch"'):
            self._batch(payload)
        elif payload.startswith(b'{"type":"sync"'):
            frame = orjson.loads(payload)
            if frame.get("op") == "live" and not self.live.done():
                self.live.set_result(int(frame.get("position") or 0))
        elif payload.startswith(b'{"type":"error"') and not self.live.done():
            self.live.set_exception(ConnectionError(payload.decode(errors="replace")[:300]))
            self.live.exception()

    def _batch(self, payload: bytes) -> None:
        """A replay batch (docs/protocol.md): counted without decoding. The marker below can only
        occur as an event's own type and op: inside a JSON string its quotes would be escaped."""
        count = payload.count(MESSAGE_CREATED)
        self.events += count
        self.tally.events += count
        if self.on_event is not None:
            for _ in range(count):
                self.on_event(self)

    def _event(self, payload: bytes) -> None:
        if MESSAGE_CREATED not in payload[:200]:
            return
        self.events += 1
        self.tally.events += 1
        if self.record and self.tally.latencies is not None:
            at = payload.find(BODY_KEY)
            if at >= 0:
                at += len(BODY_KEY)
                end = payload.find(b'"', at)
                stamp, _, sender = payload[at:end].partition(b" ")
                if sender and int(sender) != self.index:
                    self.tally.latencies.append(time.monotonic_ns() - int(stamp))
        if self.on_event is not None:
            self.on_event(self)

    # -- protocol helpers -----------------------------------------------------------------------

    def send_message(self, conversation_id: int, serial: int) -> None:
        """A text message whose body carries the send time and who sent it."""
        self.in_flight += 1
        body = f"{time.monotonic_ns()} {self.index}"
        self.send_raw(
            b'{"op":"send","conversation_id":%d,"client_msg_id":"b%d-%d","kind":"text","body":"%s"}'
            % (conversation_id, self.index, serial, body.encode())
        )


async def open_ws(
    host: str,
    port: int,
    index: int,
    tally: Tally,
    *,
    token: str,
    since: int | None = None,
    conversations: list[int] | None = None,
    path: str = "/api/v1/stream",
    wait_live: bool = True,
    timeout: float = 30.0,
    batch: bool = False,
) -> WSClient:
    """Connect, say hello (lakeside ignores ``conversations``; the floor needs it), await live.
    ``batch``: ask for the replay in batch frames."""
    loop = asyncio.get_running_loop()
    _, client = await asyncio.wait_for(
        loop.create_connection(lambda: WSClient(index, tally), host, port), timeout
    )
    client.start_handshake(host, port, path)
    await asyncio.wait_for(client.handshake, timeout)
    hello: dict[str, Any] = {
        "op": "hello",
        "token": token,
        "since": since,
        "conversations": conversations or [],
    }
    if batch:
        hello["batch"] = True
    client.send_json(hello)
    if wait_live:
        await asyncio.wait_for(asyncio.shield(client.live), timeout)
    return client


async def open_many(
    host: str,
    port: int,
    specs: list[tuple[int, str, list[int]]],
    tally: Tally,
    *,
    concurrency: int = 64,
    deadline: float,
) -> tuple[list[WSClient], list[str]]:
    """Open one connection per (index, token, conversations); bounded in parallelism and time.
    Returns the clients that went live and the errors of those that did not."""
    clients: list[WSClient] = []
    errors: list[str] = []
    gate = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()

    async def one(index: int, token: str, conversations: list[int]) -> None:
        async with gate:
            remaining = deadline - loop.time()
            if remaining <= 0:
                errors.append("deadline")
                return
            try:
                clients.append(
                    await open_ws(
                        host, port, index, tally, token=token, conversations=conversations, timeout=remaining
                    )
                )
            except (OSError, TimeoutError, ConnectionError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    await asyncio.gather(*(one(*spec) for spec in specs))
    return clients, errors


async def close_all(clients: list[WSClient], timeout: float = 5.0) -> None:
    for client in clients:
        client.close()
    waits = [client.lost for client in clients if not client.lost.done()]
    if waits:
        await asyncio.wait(waits, timeout=timeout)


# -- HTTP ---------------------------------------------------------------------------------------


class HTTPClient(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.pending: asyncio.Future[tuple[int, bytes]] | None = None
        self._need = -1
        self._status = 0
        self._lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self.pending is not None and not self.pending.done():
            self.pending.set_exception(ConnectionError("connection lost"))

    def request(self, raw: bytes) -> asyncio.Future[tuple[int, bytes]]:
        if self._lost or self.transport is None:
            raise ConnectionError("connection lost")
        self.pending = asyncio.get_running_loop().create_future()
        self._need = -1
        self.transport.write(raw)
        return self.pending

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self._need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            self._status = int(head[9:12])
            at = head.find(b"content-length:")
            if at < 0:
                raise ValueError("the benchmark's HTTP client needs content-length")
            line_end = head.find(b"\r\n", at)
            self._need = int(head[at + 15 : line_end if line_end >= 0 else len(head)])
            del buffer[: end + 4]
        if len(buffer) >= self._need:
            body = bytes(buffer[: self._need])
            del buffer[: self._need]
            self._need = -1
            if self.pending is not None and not self.pending.done():
                self.pending.set_result((self._status, body))


def http_request(
    method: str, path: str, host: str, port: int, body: bytes = b"", token: str | None = None
) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if body or method in ("POST", "PUT", "PATCH"):
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def open_http(host: str, port: int, timeout: float = 10.0) -> HTTPClient:
    loop = asyncio.get_running_loop()
    _, client = await asyncio.wait_for(loop.create_connection(HTTPClient, host, port), timeout)
    return client


async def http_get(
    host: str, port: int, path: str, *, token: str | None = None, timeout: float = 10.0
) -> Any:
    client = await open_http(host, port, timeout)
    try:
        status, body = await asyncio.wait_for(
            client.request(http_request("GET", path, host, port, token=token)), timeout
        )
    finally:
        assert client.transport is not None
        client.transport.close()
    return status, body


# -- statistics ---------------------------------------------------------------------------------


def percentiles(samples: list[int], points: tuple[float, ...] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles of nanosecond samples, in milliseconds."""
    if not samples:
        return {f"p{int(p)}": float("nan") for p in points}
    ordered = sorted(samples)
    out = {}
    for p in points:
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        out[f"p{int(p)}"] = ordered[rank] / 1e6
    return out
