"""One WebSocket connection: a bounded queue, its own writer task, and its stream position.

The hub offers events in stream order. Until the connection has replayed what it missed
(``live`` false), live events wait in a bounded buffer; afterwards, anything at or below the
position already sent is a duplicate from the seam and is dropped. A connection whose queue
fills up is closed with a reason, never waited for: one slow client cannot slow the others or
make the server's memory grow, and it resumes from its last position when it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger(__name__)

CLOSE_SLOW_CONSUMER = 4008
CLOSE_SESSION_REVOKED = 4001
CLOSE_IDLE = 4000
CLOSE_PROTOCOL = 4002
CLOSE_RESUME_TOO_OLD = 4009


class Connection:
    def __init__(
        self,
        websocket: WebSocket,
        *,
        user_id: int,
        session_id: int,
        conversations: set[int],
        queue_max: int,
    ) -> None:
        self.websocket = websocket
        self.user_id = user_id
        self.session_id = session_id
        self.conversations = conversations
        self.position = 0
        self.live = False
        self.status = "online"
        self.closed = False
        self.close_code: int | None = None
        self.registered = False
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(queue_max)
        self._buffer: list[tuple[int, str]] = []
        self._buffer_max = queue_max
        self._writer: asyncio.Task[None] | None = None
        self.on_abort: Callable[[Connection], None] | None = None  # the hub stops routing to it

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write(), name=f"ws-writer-{self.user_id}")

    async def _write(self) -> None:
        try:
            while True:
                frame = await self._queue.get()
                if frame is None:
                    return
                await self.websocket.send_text(frame)
        except Exception:  # the peer went away; the reader notices and cleans up
            self.closed = True

    def offer(self, event_id: int, frame: str) -> None:
        """Called by the hub, in stream order, for every event addressed to this connection."""
        if self.closed:
            return
        if not self.live:
            if len(self._buffer) >= self._buffer_max:
                self.abort(CLOSE_SLOW_CONSUMER, "too far behind while catching up; resume")
                return
            self._buffer.append((event_id, frame))
            return
        if event_id and event_id <= self.position:
            return
        self._put(event_id, frame)

    def offer_ephemeral(self, frame: str) -> None:
        """Typing and presence: delivered if live, never replayed, dropped when the queue is full."""
        if self.live and not self.closed and not self._queue.full():
            self._queue.put_nowait(frame)

    def _put(self, event_id: int, frame: str) -> None:
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.abort(CLOSE_SLOW_CONSUMER, "too slow to keep up; resume from your last position")
            return
        if event_id:
            self.position = event_id

    async def send_backlog(self, event_id: int, frame: str) -> None:
        """Replay one missed event, waiting for room: the replay itself is paced by the client."""
        await self._queue.put(frame)
        self.position = max(self.position, event_id)

    async def send_control(self, message: dict[str, Any]) -> None:
        import orjson

        await self._queue.put(orjson.dumps(message).decode())

    def go_live(self, position: int) -> None:
        """End of replay: deliver what arrived meanwhile and is newer than the replay."""
        self.position = max(self.position, position)
        self.live = True
        buffered, self._buffer = self._buffer, []
        for event_id, frame in buffered:
            if event_id > self.position:
                self._put(event_id, frame)

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    def abort(self, code: int, reason: str) -> None:
        """Close now, without waiting for the queue to drain."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        if self._writer is not None:
            self._writer.cancel()
        if self.on_abort is not None:
            self.on_abort(self)
        asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            if self.websocket.application_state != WebSocketState.DISCONNECTED:
                await self.websocket.close(code=code, reason=reason)

    async def close_after_flush(self, code: int, reason: str) -> None:
        """Send what is queued (e.g. an error frame), then close."""
        if self._writer is not None and not self.closed:
            self._queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer, timeout=2)
        self.closed = True
        await self._close(code, reason)

    async def finish(self) -> None:
        """Let queued frames go out, then stop the writer."""
        if self._writer is None:
            return
        if not self.closed:
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(None)
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._writer, timeout=2)
        self._writer.cancel()
