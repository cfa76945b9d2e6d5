"""The scrub: every stored copy of a message's content, removed in one place.

A recall (撤回), an account deletion and the retention worker all end here; a secret chat's
destruction will too. ``STORES`` is the list of every place where the server keeps a message's
content or a copy of it, each with the step that empties it; a feature that starts copying
message content somewhere (a forward, a merged forward's snapshot, a notification outbox) adds
its store to that list, and ``tests/adversarial/test_scrub_everywhere.py`` greps every column of
every table of both engines for the recalled text, so a copy left behind fails it.

Forwards (转发) are copies too: ``forward_sources`` links every copy to the messages it copies,
transitively, so ``scrub_messages`` first widens its set by the copies — a message forwarded one
by one, or a whole record forwarded again, is scrubbed with its original (its conversation hears
``message.recalled``) — and a merged record that shows the message among others keeps its place
in the record as "recalled" (its conversation hears ``message.edited`` with the new card).

Places that need no step, because they hold no copy: reply quotes and conversation previews
(rendered from the quoted or last message as it is now), message events in the log (they keep
only ids and are rendered on read), edit history (an edit overwrites: nothing older is kept),
drafts (only what their owner typed, never another message), pins (a reference, removed below).

What the scrub cannot reach from SQL is said in docs/security.md: on SQLite the FTS5 index keeps
deleted tokens in its segments until housekeeping merges them (``Housekeeping.do_compact_search``);
on PostgreSQL dead row versions stay in the data files until VACUUM.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import forwards, text
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import MessageEdited, MessageRecalled, MessageUnpinned
from lakeside.services.context import UnitOfWork
from lakeside.services.timeline import render_messages
from lakeside.store import forwards as forward_store
from lakeside.store import messages as message_store
from lakeside.store import scrub as store


@dataclass
class Scrubbed:
    """What a scrub found, for the caller to finish after the commit: attachments to delete from
    disk once nothing refers to them (``Files.do_forget``)."""

    files: set[str] = field(default_factory=set)
    favorites: list[tuple[int, int]] = field(default_factory=list)  # (user, favourite)
    events_rewritten: int = 0


# -- the event log's payloads that copy content ------------------------------------------------


def _ding(data: dict[str, Any], ids: set[int]) -> dict[str, Any] | None:
    if data.get("message_id") in ids and (data.get("body") or not data.get("recalled")):
        return {**data, "body": "", "recalled": True}
    return None


def _favorite(data: dict[str, Any], ids: set[int]) -> dict[str, Any] | None:
    if data.get("message_id") in ids and not data.get("recalled"):
        return {**data, "body": "", "html": None, "file": None, "recalled": True}
    return None


# (type, op) -> the payload without the content of ``ids`` (None: nothing of theirs in it).
EVENT_SCRUBBERS: dict[tuple[str, str], Callable[[dict[str, Any], set[int]], dict[str, Any] | None]] = {
    ("ding", "created"): _ding,
    ("ding", "scheduled"): _ding,
    ("ding", "renotified"): _ding,
    ("favorite", "added"): _favorite,
}


# -- the stores --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    name: str
    holds: str
    step: Callable[[UnitOfWork, list[Any], Scrubbed, int, int | None], Awaitable[None]]


async def _messages(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    out.files.update(row.file_id for row in rows if row.file_id)
    await store.tombstone_messages(uow.conn, [row.id for row in rows], by=by, now=now)


async def _search(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    await store.delete_search_rows(uow.conn, [row.id for row in rows])


async def _reactions(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    await store.delete_reactions(uow.conn, [row.id for row in rows])


async def _pins(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    for conversation_id, message_id in await store.delete_pins(uow.conn, [row.id for row in rows]):
        uow.emit(MessageUnpinned(message_id=message_id, by=by), to_conversation(conversation_id))


async def _favorites(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    # The entry stays, shown as recalled; its search keeps the sender's and the source's names.
    for fav in await store.favorites_of(uow.conn, [row.id for row in rows]):
        words, chars = text.index_tokens(f"{fav.sender_name} {fav.conversation_title}")
        await store.scrub_favorite(uow.conn, fav.id, words, chars, now)
        out.favorites.append((fav.user_id, fav.id))
        if fav.file_id:
            out.files.add(fav.file_id)


async def _records(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    for row in rows:
        if row.kind == "forward":
            out.files.update(await forward_store.delete_record(uow.conn, row.id))


async def _dings(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    await store.empty_ding_bodies(uow.conn, [row.id for row in rows])


async def _events(uow: UnitOfWork, rows: list[Any], out: Scrubbed, now: int, by: int | None) -> None:
    out.events_rewritten += await scrub_event_log(uow.conn, rows)


STORES: tuple[Store, ...] = (
    Store("messages", "the body, rendered HTML, mentions and attachment link (a tombstone stays)", _messages),
    Store("message_search", "the full-text tokens (SQLite: and the FTS5 index through its trigger)", _search),
    Store("reactions", "reactions to it", _reactions),
    Store("message_pins", "its pin (members hear message_pin.removed)", _pins),
    Store("favorites", "members' saved copies: body, HTML, file, search tokens (entry stays)", _favorites),
    Store("merged_records", "a merged forward's transcript and the files it shows", _records),
    Store("dings", "the body of a DING made from it", _dings),
    Store("events", "stored payloads that copy it (EVENT_SCRUBBERS: ding.*, favorite.added)", _events),
)


async def scrub_event_log(conn: AsyncConnection, rows: Sequence[Any]) -> int:
    """Rewrite every stored event payload that copies the messages' content; how many."""
    ids = {row.id for row in rows}
    after = await store.first_message_event(conn, rows) - 1
    kinds = sorted(EVENT_SCRUBBERS)
    rewritten = 0
    while True:
        page = await store.content_events(conn, kinds, after=after)
        for event_id, type_, op, data in page:
            clean = EVENT_SCRUBBERS[(type_, op)](orjson.loads(data), ids)
            if clean is not None:
                await store.rewrite_event(conn, event_id, orjson.dumps(clean))
                rewritten += 1
        if len(page) < store.EVENT_PAGE:
            return rewritten
        after = page[-1][0]


async def scrub_messages(
    uow: UnitOfWork, message_ids: Sequence[int], *, by: int | None, now: int
) -> Scrubbed:
    """Empty every store of the messages' content inside ``uow``; the caller emits what the
    action means (``message.recalled``…) and, after the commit, forgets ``Scrubbed.files``."""
    out = Scrubbed()
    ids = set(message_ids)
    await store.lock_messages(uow.conn, sorted(ids))
    copies, records = await _copies(uow, ids)
    rows = await store.message_rows(uow.conn, sorted(ids | {c.id for c in copies}))
    if not rows:
        return out
    for entry in STORES:
        await entry.step(uow, rows, out, now, by)
    await _rewrite_records(uow, records, ids | {c.id for c in copies}, out)
    if copies:
        tombstones = await message_store.get_messages(uow.conn, [c.id for c in copies])
        for view in await render_messages(uow.conn, tombstones):
            uow.emit(
                MessageRecalled(message_id=view["id"], message=view), to_conversation(view["conversation_id"])
            )
    return out


async def _copies(uow: UnitOfWork, ids: set[int]) -> tuple[list[Any], list[tuple[Any, dict[str, Any]]]]:
    """The forwarded copies of ``ids`` to scrub whole, and the merged records (with their
    transcripts) that show them among other messages."""
    whole: list[Any] = []
    shown: list[tuple[Any, dict[str, Any]]] = []
    found = [c for c in await forward_store.copies_of(uow.conn, sorted(ids)) if c.id not in ids]
    payloads = await forward_store.get_records(uow.conn, [c.id for c in found if c.kind == "forward"])
    for copy in found:
        payload = payloads.get(copy.id)
        # A record forwarded again whole copies no item of the original one by one: it goes whole.
        if payload is None or forwards.without(payload, ids) is None:
            whole.append(copy)
        else:
            shown.append((copy, payload))
    return whole, shown


async def _rewrite_records(
    uow: UnitOfWork, records: list[tuple[Any, dict[str, Any]]], ids: set[int], out: Scrubbed
) -> None:
    for copy, payload in records:
        clean = forwards.without(payload, ids)
        assert clean is not None  # _copies kept only records that show one of ids
        out.files.update(forwards.record_files(payload) - forwards.record_files(clean))
        await forward_store.replace_record(uow.conn, copy.id, clean, forwards.encode(forwards.summary(clean)))
    if records:
        rows = await message_store.get_messages(uow.conn, [copy.id for copy, _ in records])
        for view in await render_messages(uow.conn, rows):
            uow.emit(
                MessageEdited(message_id=view["id"], message=view), to_conversation(view["conversation_id"])
            )
