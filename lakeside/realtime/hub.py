"""The hub: takes committed events off the bus, puts them back in stream order, and hands each to
the local connections it is addressed to. Also keeps presence across nodes and relays typing.

Ordering. Event ids commit in order (one writer on SQLite; an advisory lock on PostgreSQL), but
they are published after commit by whichever task or node wrote them, so the bus may bring 12
before 11, and may lose events altogether (Redis pub/sub is at-most-once). The hub therefore
dispatches strictly in id order: an event that arrives early waits; if the hole before it is
still open a moment later, the hub reads the missing range from the database, which holds the
truth (anything below a committed id is committed or never will be). The same read runs after
the bus reconnects and, as a safety net, when the log has grown past what the bus delivered.
Each event is encoded once, whatever the number of receivers.

Routing. Each event comes with the audience its service chose (lakeside.domain.events): users,
reached through their connections, or a conversation, reached through the connections of its
members, narrowed by the audience's one rule (``Audience.admits``, the rule catch-up applies
too). The hub's map of who is in which conversation starts from the database when a connection
opens and then follows the audiences, which say whose membership an event changes (``joining``
before it is delivered, ``leaving`` after): the hub knows no event types, except that a revoked
session's sockets are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson

from lakeside.domain.bot_scopes import admits_event
from lakeside.domain.events import event_class
from lakeside.domain.events.messaging import SessionRevoked
from lakeside.realtime.connection import CLOSE_SESSION_REVOKED, CLOSE_SLOW_CONSUMER, Connection
from lakeside.services.container import Services
from lakeside.services.events import Routed

log = logging.getLogger(__name__)

HOLE_WAIT = 0.02  # seconds an early event waits for the one before it before the database is asked
POLL_INTERVAL = 1.0  # safety net: compare with the log this often when the bus is quiet
PRESENCE_REFRESH = 20.0  # nodes re-announce their users this often ...
PRESENCE_EXPIRY = 60.0  # ... and forget another node's users after this long without news
STATUS_RANK = {"offline": 0, "away": 1, "online": 2}
TYPING_EXPIRY_MS = 6000  # "started": shown this long unless renewed, stopped or a message arrives
STOPPED_EXPIRY_MS = 1  # "stopped": 1, not 0, which a client may read as "no expiry given"
SEND_CONCURRENCY = 512  # sends over WebSocket in progress at once on one node (see gateway._read)


class Hub:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.node_id = secrets.token_hex(6)
        self.by_user: dict[int, set[Connection]] = defaultdict(set)
        self.by_conversation: dict[int, set[Connection]] = defaultdict(set)
        self.watermark = 0
        self._pending: dict[int, Routed] = {}
        # Connections registered whose memberships are being read (see ``settle``): the
        # membership changes dispatched meanwhile, as (event id, conversation, joined).
        self._unsettled: dict[Connection, list[tuple[int, int, bool]]] = {}
        self._fill_lock = asyncio.Lock()
        self._hole_task: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # user -> node -> (status, monotonic time of the news)
        self._presence: dict[int, dict[str, tuple[str, float]]] = defaultdict(dict)
        self.send_slots = asyncio.Semaphore(SEND_CONCURRENCY)
        self._stopping = False
        # Plain counters, read by lakeside.metrics at scrape time.
        self.delivered = 0
        self.dispatched = 0
        self.slow_consumers_closed = 0

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        # Subscribe first, then read the log's position: an event committed in between is then
        # either at or below the watermark (already history) or arrives on the subscription.
        events = await self.services.sync.subscribe()
        ephemeral = await self.services.presence.subscribe()
        self.watermark = await self.services.sync.position()
        self._tasks = [
            asyncio.create_task(self._consume_events(events), name="hub-events"),
            asyncio.create_task(self._consume_ephemeral(ephemeral), name="hub-ephemeral"),
            asyncio.create_task(self._poll(), name="hub-poll"),
            asyncio.create_task(self._announce_presence(), name="hub-presence"),
        ]

    async def stop(self) -> None:
        # No presence news from here on: the bus is about to go, and other nodes expire this
        # node's users by themselves (PRESENCE_EXPIRY).
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for connections in list(self.by_user.values()):
            for connection in list(connections):
                connection.abort(1001, "server shutting down")

    # -- connections --------------------------------------------------------------------------

    def register(self, connection: Connection) -> None:
        """From here on the connection receives its user's events (into its buffer until it is
        live). Its conversations' events follow once ``settle`` has given it its memberships."""
        connection.registered = True
        connection.on_abort = self.unregister
        was_online = self.local_status(connection.user_id)
        self.by_user[connection.user_id].add(connection)
        self._unsettled[connection] = []
        self._local_presence_changed(connection.user_id, was_online)

    def settle(self, connection: Connection, conversations: set[int], position: int) -> None:
        """Give a registered connection its memberships, read from the database as of log
        ``position``, brought up to date with the membership changes the hub dispatched since it
        registered (a change after ``position`` that the read could not see). Events of its
        conversations dispatched before this reach it through the replay, which reads the log
        from ``position`` on (gateway)."""
        changes = self._unsettled.pop(connection, None)
        if changes is None or not connection.registered:
            return
        for event_id, conversation_id, joined in changes:
            if event_id > position:
                if joined:
                    conversations.add(conversation_id)
                else:
                    conversations.discard(conversation_id)
        if connection.allowed is not None:
            conversations &= connection.allowed
        connection.conversations = conversations
        for conversation_id in conversations:
            self.by_conversation[conversation_id].add(connection)

    def unregister(self, connection: Connection) -> None:
        if not connection.registered:
            return
        connection.registered = False
        self._unsettled.pop(connection, None)
        if connection.close_code == CLOSE_SLOW_CONSUMER:
            self.slow_consumers_closed += 1
        was = self.local_status(connection.user_id)
        connections = self.by_user.get(connection.user_id)
        if connections is not None:
            connections.discard(connection)
            if not connections:
                del self.by_user[connection.user_id]
        for conversation_id in connection.conversations:
            members = self.by_conversation.get(conversation_id)
            if members is not None:
                members.discard(connection)
                if not members:
                    del self.by_conversation[conversation_id]
        self._local_presence_changed(connection.user_id, was)

    def set_status(self, connection: Connection, status: str) -> None:
        was = self.local_status(connection.user_id)
        connection.status = status
        self._local_presence_changed(connection.user_id, was)

    def release_send_slot(self, _: object = None) -> None:
        self.send_slots.release()

    @property
    def connection_count(self) -> int:
        return sum(len(c) for c in self.by_user.values())

    # -- durable events -------------------------------------------------------------------------

    async def _consume_events(self, stream: AsyncIterator[list[Routed] | None]) -> None:
        while True:
            try:
                events = await anext(stream)
                if events is None:  # the bus may have lost some: the log holds them
                    await self._fill()
                    continue
                for event in events:
                    self._accept(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub: event handling failed; back-filling from the log")
                await asyncio.sleep(0.1)
                with contextlib.suppress(Exception):
                    await self._fill()

    def _accept(self, event: Routed) -> None:
        event_id = event.wire["id"]
        if event_id <= self.watermark:
            return
        self._pending[event_id] = event
        self._drain()
        if self._pending and (self._hole_task is None or self._hole_task.done()):
            self._hole_task = asyncio.get_running_loop().create_task(self._fill_hole_later())

    def _drain(self) -> None:
        while self.watermark + 1 in self._pending:
            self.watermark += 1
            self._dispatch(self._pending.pop(self.watermark))

    async def _fill_hole_later(self) -> None:
        await asyncio.sleep(HOLE_WAIT)
        if self._pending:
            await self._fill()

    async def _fill(self) -> None:
        """Dispatch, from the database, everything after the watermark up to the newest event."""
        async with self._fill_lock:
            while True:
                events, newest, more = await self.services.sync.routed_after(self.watermark)
                for event in events:
                    event_id = event.wire["id"]
                    if event_id > self.watermark:
                        self.watermark = event_id
                        self._pending.pop(event_id, None)
                        self._dispatch(event)
                if not more:
                    # Ids below ``newest`` that are not in the log were never committed.
                    self.watermark = max(self.watermark, newest)
                    for stale in [i for i in self._pending if i <= self.watermark]:
                        del self._pending[stale]
                    self._drain()
                    return

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            try:
                if self._pending or await self.services.sync.position() > self.watermark:
                    await asyncio.sleep(HOLE_WAIT)  # let the bus deliver what it is about to
                    if self._pending or await self.services.sync.position() > self.watermark:
                        await self._fill()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub: polling the log failed")

    def _dispatch(self, event: Routed) -> None:
        self.dispatched += 1
        wire, audience = event.wire, event.audience
        frame = event.frame()
        event_id: int = wire["id"]
        if audience.user_ids:
            if event_class(wire["type"], wire["op"]) is SessionRevoked:
                session_id = wire["data"]["session_id"]
                for user_id in audience.user_ids:
                    for connection in list(self.by_user.get(user_id, ())):
                        if connection.session_id == session_id:
                            connection.abort(CLOSE_SESSION_REVOKED, "session revoked")
            for user_id in audience.user_ids:
                reached: Any = self.by_user.get(user_id, ())
                if any(c.allowed is not None for c in reached):  # a bot token's allowlist
                    reached = [c for c in reached if admits_event(wire, c.allowed)]
                self._deliver(reached, event_id, frame)
            return
        conversation_id = audience.conversation_id
        if conversation_id is None:
            return  # addressed to nobody: kept in the log for workers
        self._join(audience.joining, conversation_id, event_id)
        receivers: Any = self.by_conversation.get(conversation_id, ())
        if audience.only is not None:
            receivers = [c for c in receivers if audience.admits(c.user_id)]
        self._deliver(receivers, event_id, frame)
        for user_id in audience.leaving:
            self._leave(user_id, conversation_id, event_id)

    def _deliver(self, connections: Any, event_id: int, frame: str) -> None:
        receivers = list(connections)  # a copy: a slow consumer's abort leaves the set meanwhile
        for connection in receivers:
            connection.offer(event_id, frame)
        self.delivered += len(receivers)

    def _join(self, user_ids: Iterable[int], conversation_id: int, event_id: int) -> None:
        for user_id in user_ids:
            for connection in self.by_user.get(user_id, ()):
                unsettled = self._unsettled.get(connection)
                if unsettled is not None:
                    unsettled.append((event_id, conversation_id, True))
                    continue
                if connection.allowed is not None and conversation_id not in connection.allowed:
                    continue
                connection.conversations.add(conversation_id)
                self.by_conversation[conversation_id].add(connection)

    def _leave(self, user_id: int, conversation_id: int, event_id: int) -> None:
        for connection in self.by_user.get(user_id, ()):
            unsettled = self._unsettled.get(connection)
            if unsettled is not None:
                unsettled.append((event_id, conversation_id, False))
                continue
            connection.conversations.discard(conversation_id)
            members = self.by_conversation.get(conversation_id)
            if members is not None:
                members.discard(connection)

    # -- typing and presence (ephemeral: never stored, never replayed) ------------------------

    async def publish_typing(
        self, connection: Connection, conversation_id: int, *, stopped: bool = False
    ) -> None:
        news = {"kind": "typing", "conversation_id": conversation_id, "user_id": connection.user_id}
        if stopped:
            news["stopped"] = True
        await self.services.presence.publish(news)

    async def _consume_ephemeral(self, stream: AsyncIterator[dict[str, Any]]) -> None:
        async for item in stream:
            try:
                if item["kind"] == "typing":
                    self._relay_typing(item)
                elif item["kind"] == "presence":
                    self._remote_presence(item)
            except Exception:
                log.exception("hub: bad ephemeral message")

    def _relay_typing(self, item: dict[str, Any]) -> None:
        stopped = bool(item.get("stopped"))
        frame = orjson.dumps(
            {
                "type": "typing",
                "op": "stopped" if stopped else "started",
                "conversation_id": item["conversation_id"],
                # A client that reads only the expiry (as clients before "stopped" did) lets a
                # stop lapse at once.
                "data": {
                    "user_id": item["user_id"],
                    "expires_in_ms": STOPPED_EXPIRY_MS if stopped else TYPING_EXPIRY_MS,
                },
            }
        ).decode()
        for connection in list(self.by_conversation.get(item["conversation_id"], ())):
            if connection.user_id != item["user_id"]:
                connection.offer_ephemeral(frame)

    def local_status(self, user_id: int) -> str:
        connections = self.by_user.get(user_id)
        if not connections:
            return "offline"
        return "online" if any(c.status == "online" for c in connections) else "away"

    def status(self, user_id: int) -> str:
        now = time.monotonic()
        best = self.local_status(user_id)
        for node, (status, at) in self._presence.get(user_id, {}).items():
            if (
                node != self.node_id
                and now - at < PRESENCE_EXPIRY
                and STATUS_RANK[status] > STATUS_RANK[best]
            ):
                best = status
        return best

    def _local_presence_changed(self, user_id: int, was: str) -> None:
        now_status = self.local_status(user_id)
        if now_status == was or self._stopping:
            return
        asyncio.get_running_loop().create_task(self._announce(user_id, now_status))

    async def _announce(self, user_id: int, status: str) -> None:
        if status == "offline":
            # Recorded before anyone hears "offline", so a look-up right after sees the time.
            await self.services.presence.do_mark_seen(user_id)
        audience = await self.services.presence.audience(user_id)
        message = {
            "kind": "presence",
            "node": self.node_id,
            "users": [[user_id, status]],
            "audience": {str(user_id): audience},
        }
        await self.services.presence.publish(message)

    async def _announce_presence(self) -> None:
        """Re-announce this node's users so that other nodes (and new ones) converge."""
        while True:
            await asyncio.sleep(PRESENCE_REFRESH)
            users = [[user_id, self.local_status(user_id)] for user_id in list(self.by_user)]
            if users:
                message = {"kind": "presence", "node": self.node_id, "users": users, "audience": {}}
                with contextlib.suppress(Exception):
                    await self.services.presence.publish(message)

    def _remote_presence(self, item: dict[str, Any]) -> None:
        now = time.monotonic()
        for user_id, status in item["users"]:
            before = self.status(user_id)
            if item["node"] != self.node_id:
                self._presence[user_id][item["node"]] = (status, now)
            after = self.status(user_id)
            audience = item["audience"].get(str(user_id))
            if audience is None or (before == after and item["node"] != self.node_id):
                continue
            frame = orjson.dumps(
                {"type": "presence", "op": "changed", "data": {"user_id": user_id, "status": after}}
            ).decode()
            for receiver in audience:
                for connection in list(self.by_user.get(receiver, ())):
                    connection.offer_ephemeral(frame)
