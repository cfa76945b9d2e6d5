"""One WebSocket connection: a bounded queue, its own writer task, and its stream position.

The hub offers events in stream order. Until the connection has replayed what it missed
(``live`` false), live events wait in a bounded buffer; afterwards, anything at or below the
position already sent is a duplicate from the seam and is dropped. A connection whose queue
fills up is closed with a reason, never waited for: one slow client cannot slow the others or
make the server's memory grow, and it resumes from its last position when it comes back.

The queue is bounded twice: by frames (``queue_max``) and by bytes (``queue_max_bytes``, the
length of the queued frames' text), so a reader that never reads holds at most a few MiB
however large the frames are. The same two bounds apply to the buffer kept while catching up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger(__name__)

CLOSE_SLOW_CONSUMER = 4008
CLOSE_SESSION_REVOKED = 4001
CLOSE_IDLE = 4000
CLOSE_PROTOCOL = 4002
CLOSE_RESUME_TOO_OLD = 4009
CLOSE_TOO_MANY_CONNECTIONS = 4010
REPLAY_WINDOW = 4  # batch frames of a replay queued at most (see send_backlog_batch)

AsgiSend = Callable[[dict[str, Any]], Awaitable[None]]


class Connection:
    # Thousands of these live at once: slots and a plain deque (instead of an asyncio.Queue with
    # its three deques and an Event) keep an idle connection small, and the writer is woken once
    # per burst rather than once per frame.
    __slots__ = (
        "_buffer",
        "_buffer_bytes",
        "_buffer_max",
        "_bytes",
        "_closing",
        "_frames",
        "_loop",
        "_max",
        "_max_bytes",
        "_room",
        "_send",
        "_wakeup",
        "_writer",
        "allowed",
        "close_code",
        "closed",
        "conversations",
        "live",
        "on_abort",
        "position",
        "registered",
        "session_id",
        "status",
        "user_id",
        "websocket",
    )

    def __init__(
        self,
        websocket: WebSocket,
        *,
        user_id: int,
        session_id: int,
        conversations: set[int],
        queue_max: int,
        queue_max_bytes: int = 4 * 1024 * 1024,
        send: AsgiSend | None = None,
    ) -> None:
        self.websocket = websocket
        # The ASGI ``send`` under Starlette's WebSocket, when the endpoint has it: each frame then
        # skips the wrapper's state checks, which the hot path pays once per receiver.
        self._send = send
        self.user_id = user_id
        self.session_id = session_id
        self.conversations = conversations
        # A bot token's conversation allowlist (None: a person, or a token without one): the hub
        # routes nothing of other conversations to it.
        self.allowed: frozenset[int] | None = None
        self.position = 0
        self.live = False
        self.status = "online"
        self.closed = False
        self.close_code: int | None = None
        self.registered = False
        self._frames: deque[str | None] = deque()
        self._max = queue_max
        self._bytes = 0  # the length of the frames in _frames
        self._max_bytes = queue_max_bytes
        self._wakeup: asyncio.Future[None] | None = None  # the writer's, while it waits for frames
        self._room: asyncio.Future[None] | None = None  # replies and replays waiting for room
        self._buffer: list[tuple[int, str]] = []
        self._buffer_bytes = 0
        self._buffer_max = queue_max
        self._writer: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self.on_abort: Callable[[Connection], None] | None = None  # the hub stops routing to it

    def start(self) -> None:
        self._writer = self._loop.create_task(self._write(), name=f"ws-writer-{self.user_id}")

    async def _write(self) -> None:
        frames = self._frames
        send = self._send
        try:
            while True:
                while not frames:
                    self._wakeup = self._loop.create_future()
                    await self._wakeup
                frame = frames.popleft()
                if frame is not None:
                    self._bytes -= len(frame)
                if self._room is not None:
                    _wake(self._room)
                    self._room = None
                if frame is None:
                    return
                if send is not None:
                    await send({"type": "websocket.send", "text": frame})
                else:
                    await self.websocket.send_text(frame)
        except Exception:  # the peer went away; the reader notices and cleans up
            self.closed = True
        finally:
            if self._room is not None:
                _wake(self._room)

    def _push(self, frame: str | None) -> None:
        self._frames.append(frame)
        if frame is not None:
            self._bytes += len(frame)
        if self._wakeup is not None:
            _wake(self._wakeup)
            self._wakeup = None

    def offer(self, event_id: int, frame: str) -> None:
        """Called by the hub, in stream order, for every event addressed to this connection."""
        if self.closed:
            return
        if not self.live:
            if len(self._buffer) >= self._buffer_max or self._buffer_bytes + len(frame) > self._max_bytes:
                self.abort(CLOSE_SLOW_CONSUMER, "too far behind while catching up; resume")
                return
            self._buffer.append((event_id, frame))
            self._buffer_bytes += len(frame)
            return
        if event_id and event_id <= self.position:
            return
        self._put(event_id, frame)

    def offer_ephemeral(self, frame: str) -> None:
        """Typing and presence: delivered if live, never replayed, dropped when the queue is full."""
        if self.live and not self.closed and not self._full(len(frame)):
            self._push(frame)

    def _full(self, incoming: int = 0) -> bool:
        """No room for one more frame of ``incoming`` characters (0: any frame at all). A frame
        larger than the whole budget still goes into an empty queue."""
        if len(self._frames) >= self._max:
            return True
        return self._bytes > 0 and self._bytes + incoming > self._max_bytes

    def _put(self, event_id: int, frame: str) -> None:
        if self._full(len(frame)):
            self.abort(CLOSE_SLOW_CONSUMER, "too slow to keep up; resume from your last position")
            return
        self._push(frame)
        if event_id:
            self.position = event_id

    async def _wait_for_room(self) -> None:
        # Rare (a replay or a reply meeting a full queue), and possibly several at once: they
        # share one future, shielded so that one waiter's cancellation does not wake the others.
        while (len(self._frames) >= self._max or self._bytes >= self._max_bytes) and not self.closed:
            if self._room is None:
                self._room = self._loop.create_future()
            await asyncio.shield(self._room)

    async def send_backlog(self, event_id: int, frame: str) -> None:
        """Replay one missed event, waiting for room: the replay itself is paced by the client."""
        await self._wait_for_room()
        if self.closed:
            return
        self._push(frame)
        self.position = max(self.position, event_id)

    async def send_backlog_batch(self, last_id: int, frame: str) -> None:
        """Replay a batch frame of missed events (``last_id`` the newest in it). A batch is tens
        of kilobytes, so the queue holds at most ``REPLAY_WINDOW`` frames before the replay waits:
        a slow client keeps the server from reading further ahead instead of filling memory."""
        while len(self._frames) >= REPLAY_WINDOW and not self.closed:
            if self._room is None:
                self._room = self._loop.create_future()
            await asyncio.shield(self._room)
        if self.closed:
            return
        self._push(frame)
        self.position = max(self.position, last_id)

    async def send_control(self, message: dict[str, Any]) -> None:
        import orjson

        await self._wait_for_room()
        if not self.closed:
            self._push(orjson.dumps(message).decode())

    def go_live(self, position: int) -> None:
        """End of replay: deliver what arrived meanwhile and is newer than the replay."""
        self.position = max(self.position, position)
        self.live = True
        buffered, self._buffer = self._buffer, []
        self._buffer_bytes = 0
        for event_id, frame in buffered:
            if event_id > self.position:
                self._put(event_id, frame)

    @property
    def queue_depth(self) -> int:
        return len(self._frames)

    @property
    def queued_bytes(self) -> int:
        return self._bytes

    def abort(self, code: int, reason: str) -> None:
        """Close now, without waiting for the queue to drain."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        if self._writer is not None:
            self._writer.cancel()
        if self._room is not None:
            _wake(self._room)
        if self.on_abort is not None:
            self.on_abort(self)
        self._closing = self._loop.create_task(self._close(code, reason))

    async def close_now(self, code: int, reason: str) -> None:
        """Close at once, as ``abort``, and wait until the close frame is sent: for the socket's
        own read loop, which ends the connection when it returns."""
        self.abort(code, reason)
        if self._closing is not None:
            with contextlib.suppress(Exception):
                await self._closing

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            if self.websocket.application_state != WebSocketState.DISCONNECTED:
                await self.websocket.close(code=code, reason=reason)

    async def close_after_flush(self, code: int, reason: str) -> None:
        """Send what is queued (e.g. an error frame), then close."""
        if self._writer is not None and not self.closed:
            self._push(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer, timeout=2)
        self.closed = True
        await self._close(code, reason)

    async def finish(self) -> None:
        """Let queued frames go out, then stop the writer."""
        if self._writer is None:
            return
        if not self.closed:
            self._push(None)
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._writer, timeout=2)
        self._writer.cancel()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
