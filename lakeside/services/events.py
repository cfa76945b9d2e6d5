"""Committed events on their way to clients: one wire form, one encoding and one visibility rule
for live delivery (the hub) and catch-up (sync) alike.

A unit of work collects ``(event, audience)`` pairs (``UnitOfWork.emit``). At commit they become
rows of the log (``log_rows``: one per user for a users audience, one for a conversation's), and
after the commit the same rows, with their ids, go over the bus (``bus_payload``). A node's hub
reads them back (``from_bus``), or, when the bus lost some, from the log (``from_log``), as
``Routed`` events: the wire form a client receives and the audience that says who may. Catch-up
encodes a page of the log for one user (``frames_for``). Whatever the path, a client receives
the same frame, and the audience's one rule (``Audience.admits``) decides who sees it.

Message events keep only the message's id in the log; the wire form carries the message, as it
was when sent (live) or as it is now (catch-up and hole-filling, so recalled content never
travels again).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.events import Audience, Event, messaging
from lakeside.services.timeline import message_parts, render
from lakeside.store import stream
from lakeside.store.events import LogRow

# The log's message events, whose wire data is the message itself: type "message", these ops.
_MESSAGE_EVENTS = (messaging.MessageCreated, messaging.MessageEdited, messaging.MessageRecalled)
MESSAGE_TYPE = messaging.MessageCreated.type
MESSAGE_OPS = frozenset(cls.op for cls in _MESSAGE_EVENTS)
assert {cls.type for cls in _MESSAGE_EVENTS} == {MESSAGE_TYPE}


@dataclass(slots=True)
class Routed:
    """A committed event as it travels to clients: its wire form and its audience."""

    wire: dict[str, Any]
    audience: Audience

    def frame(self) -> str:
        return encode(self.wire).decode()


def encode(wire: dict[str, Any]) -> bytes:
    """The one encoding of an event for clients (socket frames, batch frames, HTTP sync)."""
    return orjson.dumps(wire)


def wire_of(
    event_id: int,
    type_: str,
    op: str,
    conversation_id: int | None,
    user_id: int | None,
    data: Any,
    created_at: int,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": type_,
        "op": op,
        "conversation_id": conversation_id,
        "user_id": user_id,
        "data": data,
        "created_at": created_at,
    }


# -- writing: the unit of work's tail --------------------------------------------------------------


@dataclass(slots=True)
class Pending:
    """Rows to append for a unit of work's events, and what to publish once they have ids."""

    rows: list[LogRow]
    live: list[tuple[Any, bytes | None]]  # per row: its live data, its encoded audience extra
    # Memberships that begin with an event: (its row, the conversation, who joins).
    joins: list[tuple[int, int, tuple[int, ...]]]

    def joined(self, ids: Sequence[int]) -> list[tuple[int, int, int]]:
        """(conversation, user, the last position before they joined) once rows have ids: from
        there on the conversation's events are theirs, on catch-up as they were live."""
        return [(cid, uid, ids[row] - 1) for row, cid, users in self.joins for uid in users]


def pending(emitted: Sequence[tuple[Event, Audience]], now: int) -> Pending:
    rows: list[LogRow] = []
    live: list[tuple[Any, bytes | None]] = []
    joins: list[tuple[int, int, tuple[int, ...]]] = []
    for event, audience in emitted:
        data = orjson.dumps(event.data())
        payload = event.live()
        extra = audience.extra()
        encoded_extra = orjson.dumps(extra) if extra else None
        if audience.conversation_id is not None:
            if audience.joining:
                joins.append((len(rows), audience.conversation_id, audience.joining))
            rows.append((event.type, event.op, audience.conversation_id, None, data, encoded_extra, now))
            live.append((payload, encoded_extra))
        elif audience.user_ids:
            for user_id in audience.user_ids:
                rows.append((event.type, event.op, None, user_id, data, None, now))
                live.append((payload, None))
        else:  # nobody: kept for workers, never delivered
            rows.append((event.type, event.op, None, None, data, None, now))
            live.append((payload, None))
    return Pending(rows, live, joins)


def bus_payload(batch: Pending, ids: Sequence[int]) -> bytes:
    """The committed events as one bus message: their wire forms, each with its audience's extra
    under ``"audience"`` when it has one (the hub takes it off before encoding for clients)."""
    out = []
    for (type_, op, conversation_id, user_id, _data, _extra, created_at), (payload, extra), event_id in zip(
        batch.rows, batch.live, ids, strict=True
    ):
        wire = wire_of(event_id, type_, op, conversation_id, user_id, payload, created_at)
        if extra is not None:
            wire["audience"] = orjson.Fragment(extra)
        out.append(wire)
    return orjson.dumps(out)


def from_bus(payload: bytes) -> list[Routed]:
    out = []
    for wire in orjson.loads(payload):
        extra = wire.pop("audience", None)
        out.append(Routed(wire, Audience.from_log(wire["conversation_id"], wire["user_id"], extra)))
    return out


# -- reading: the log back into wire forms ---------------------------------------------------------


async def from_log(conn: AsyncConnection, rows: Sequence[Any]) -> list[Routed]:
    """The log rows (``stream.EVENT_COLUMNS`` order) as routed events, message events carrying
    the message as it is now. Awaits nothing but ``conn`` (it runs inside ``run_read``)."""
    return [
        Routed(
            wire, Audience.from_log(wire["conversation_id"], wire["user_id"], extra and orjson.loads(extra))
        )
        for wire, extra in await _wire_events(conn, rows)
    ]


async def frames_for(conn: AsyncConnection, rows: Sequence[Any], user_id: int) -> list[tuple[int, bytes]]:
    """(id, frame) for the log rows that ``user_id`` may see, each frame encoded at once: a
    catch-up of a hundred thousand events keeps nothing of a page alive but its rows and the
    finished bytes (see services.sync). The rows are the user's own events and those of their
    conversations; the audience decides among the latter."""
    frames: list[tuple[int, bytes]] = []
    append = frames.append
    for wire, extra in await _wire_events(conn, rows):
        if extra is not None and wire["user_id"] is None:
            audience = Audience.from_log(wire["conversation_id"], None, orjson.loads(extra))
            if not audience.admits(user_id):
                continue
        append((wire["id"], encode(wire)))
    return frames


async def _wire_events(conn: AsyncConnection, rows: Sequence[Any]) -> Iterator[tuple[dict[str, Any], Any]]:
    """(wire form, encoded audience extra) for the rows, one at a time (so that an encoder keeps
    none of them alive), after reading the messages they name in one go."""
    loads = orjson.loads
    payloads = [loads(row[5]) for row in rows]
    wanted = {
        payload["message_id"]
        for payload, row in zip(payloads, rows, strict=True)
        if row[1] == MESSAGE_TYPE and row[2] in MESSAGE_OPS
    }
    found = await stream.messages_by_id(conn, sorted(wanted)) if wanted else []
    parts = await message_parts(conn, found)
    return _each(rows, payloads, {values[0]: values for values in found}, parts)


def _each(
    rows: Sequence[Any], payloads: list[Any], found: dict[int, Any], parts: Any
) -> Iterator[tuple[dict[str, Any], Any]]:
    for (event_id, type_, op, conversation_id, user_id, _data, created_at, extra), payload in zip(
        rows, payloads, strict=True
    ):
        if type_ == MESSAGE_TYPE and op in MESSAGE_OPS:
            values = found.get(payload["message_id"])
            if values is not None:
                payload = render(values, parts)
        # The wire form (``wire_of``), spelled out: this runs once per event of a catch-up.
        wire = {
            "id": event_id,
            "type": type_,
            "op": op,
            "conversation_id": conversation_id,
            "user_id": user_id,
            "data": payload,
            "created_at": created_at,
        }
        yield wire, extra
