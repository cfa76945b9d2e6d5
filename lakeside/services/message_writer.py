"""The send path's writer: group commit, with the rules checked for a whole batch at once.

``Messages.check_send`` turns a send command into a draft (checking, for replies and
attachments, what they point to); the common send (text or markdown) reaches the writer without
a read of its own. One writer task per process drains whatever has gathered and, in ONE
transaction, checks the batch against the rules with one query each — memberships (with each
conversation's kind, the sender's role, whether receipts are hidden, the sender's mute:
domain/mutes.py), whether the two people of each direct chat may still talk (no block; friends or
colleagues), the users mentioned (by @username or picked by name) and which of them are members —
then looks up retries by (sender, client message id; a different message under a used id is a
conflict; a retry is answered with its original even if the sender was muted since), reserves
gapless sequence numbers (one UPDATE per batch on SQLite, one per conversation on PostgreSQL),
inserts the messages, their search tokens and their events (last, as every unit of work appends
them) with multi-row INSERTs, and moves the senders' read cursors.
Only after the commit is each sender answered and are the events published. The number of
statements a batch costs does not grow with its size (tests/test_query_counts.py pins it).

The batch is one unit of work run in one hop (``Context.run_transaction``): on SQLite over the
database's dedicated writer connection, so it never queues behind readers for a pooled
connection and pays no thread hand-off per statement. A batch that fails is retried message by message, so
one bad draft cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from lakeside.domain import cards, mutes, text
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import MessageCreated
from lakeside.domain.mentions import mentioned_ids
from lakeside.domain.messages import EDITABLE_KINDS
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, LakesideError, NotFound
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.conversations import MANAGERS, not_friends
from lakeside.services.receipts import unread_counts
from lakeside.services.timeline import new_message_view, render_messages
from lakeside.store import conversations as conversation_store
from lakeside.store import forwards as forward_store
from lakeside.store import messages as store
from lakeside.store import users as user_store

log = logging.getLogger(__name__)


@dataclass
class Draft:
    """A validated message waiting for the writer. ``mention_names`` and ``mention_everyone``
    are what the body says; ``mentions`` and ``mention_all`` what the writer resolved them to."""

    sender_id: int
    conversation_id: int
    client_msg_id: str
    kind: str
    body: str
    html: str | None
    reply_to_id: int | None
    mention_names: frozenset[str] = frozenset()
    mention_everyone: bool = False
    mention_ids: tuple[int, ...] = ()  # people picked by name (SendMessage.mention_ids)
    file_id: str | None = None
    mentions: list[int] = field(default_factory=list)
    mention_all: bool = False
    # A merged forward's transcript (domain/forwards.py), stored with the message in its transaction.
    record: dict[str, Any] | None = None
    # The messages a forwarded copy copies (services/scrub.py reaches the copy through them).
    sources: frozenset[int] = frozenset()
    # A robot may notify everyone (DingTalk's isAtAll) though it is no group manager: the robot's
    # creator was one (services/bots.py), and the robot's own limits stand in for the role.
    everyone_allowed: bool = False
    future: asyncio.Future[SendResult] | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[int, str]:
        return (self.sender_id, self.client_msg_id)


@dataclass(frozen=True)
class SendResult:
    message: dict[str, Any]
    created: bool  # False when this was a retry of a message already stored


class MessageWriter:
    """One writer per process: batches drafts into single transactions (group commit)."""

    # Told the size of each committed batch when set (lakeside.metrics): a callable taking an int.
    on_batch: Any = None

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.batch_max = ctx.settings.send_batch_max
        self._queue: asyncio.Queue[Draft | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="lakeside-message-writer")

    async def stop(self) -> None:
        if self._task is not None:
            # Sends that arrive from now on commit inline instead of queueing behind the end.
            task, self._task = self._task, None
            self._queue.put_nowait(None)  # drains what is queued before it, then ends
            await task

    async def submit(self, draft: Draft) -> SendResult:
        draft.future = asyncio.get_running_loop().create_future()
        if self._task is None:  # not started (e.g. a one-off CLI task): commit inline
            await self._commit([draft])
        else:
            self._queue.put_nowait(draft)
        return await draft.future

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.batch_max and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
            await self._commit(batch)
            if stop:
                return

    async def _commit(self, batch: list[Draft]) -> None:
        try:
            outcomes = await self._write(batch)
            if self.on_batch is not None:
                self.on_batch(len(batch))
        except Exception as exc:
            if len(batch) > 1:
                for draft in batch:
                    await self._commit([draft])
                return
            if isinstance(exc, LakesideError):
                log.warning("send failed: %s", exc)
            else:
                log.exception("send failed")
            _settle(batch[0], exc)
            return
        for draft, outcome in zip(batch, outcomes, strict=True):
            _settle(draft, outcome)

    async def _write(self, batch: list[Draft]) -> list[SendResult | Exception]:
        return await self.ctx.run_transaction(lambda uow: write_batch(uow, batch, now_ms()))


async def write_batch(uow: UnitOfWork, batch: list[Draft], now: int) -> list[SendResult | Exception]:
    """Check and store a batch of drafts inside ``uow``'s transaction; one outcome per draft.
    Awaits nothing but the connection (it may run inside ``Database.run_write``)."""
    conn = uow.conn
    outcomes: dict[int, SendResult | Exception] = {}
    pairs = {(d.conversation_id, d.sender_id) for d in batch}
    # Locked before membership is read: a removal that commits first is then seen here.
    await conversation_store.lock_conversations(conn, {cid for cid, _ in pairs})
    context = await store.send_context(conn, pairs)
    # The rule for opening a direct chat holds for writing in it (``check_can_talk``): no block
    # between the two, and friends or colleagues. The history stays either way.
    standing = await store.direct_standing(
        conn, {cid for (cid, _), sender in context.items() if sender.kind == "direct"}
    )
    admitted: list[Draft] = []
    for draft in batch:
        pair = standing.get(draft.conversation_id)
        if (draft.conversation_id, draft.sender_id) not in context:
            outcomes[id(draft)] = NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
        elif pair is not None and pair[2]:
            outcomes[id(draft)] = Forbidden("You cannot message this person.", code="BLOCKED")
        elif pair is not None and not pair[3]:
            outcomes[id(draft)] = not_friends(pair[1] if pair[0] == draft.sender_id else pair[0])
        else:
            admitted.append(draft)
    existing = await store.find_by_client_ids(conn, {d.key for d in admitted})
    primary: dict[tuple[int, str], Draft] = {}
    fresh: list[Draft] = []
    for draft in admitted:
        stored = existing.get(draft.key)
        if stored is not None:
            if not _same_message(draft, stored):
                # The original's id only where the sender may see it: the id may name a message
                # of a conversation they have left.
                same_place = stored.conversation_id == draft.conversation_id
                outcomes[id(draft)] = _idempotency_conflict(stored.id if same_place else None)
            continue  # a retry: answered below with the original, muted or not
        first = primary.get(draft.key)
        if first is not None:
            if not _same_message(draft, first):
                outcomes[id(draft)] = _idempotency_conflict(None)
            continue  # a duplicate within this batch: answered below as its first copy
        sender = context[(draft.conversation_id, draft.sender_id)]
        muted = mutes.refusal(sender.role, sender.mute_all, sender.mute_until, now)
        if muted is not None:
            outcomes[id(draft)] = muted
            continue
        primary[draft.key] = draft
        fresh.append(draft)
    fresh = await _check_sources(conn, fresh, outcomes)
    await _resolve_mentions(conn, fresh, context)
    by_conversation: dict[int, list[Draft]] = defaultdict(list)
    for draft in fresh:
        by_conversation[draft.conversation_id].append(draft)
    reserved = await store.reserve_seqs_many(conn, {cid: len(ds) for cid, ds in by_conversation.items()}, now)
    # Rows are grouped by conversation, so ``written`` keeps the draft of each row: the batch's
    # arrival order interleaves conversations.
    rows: list[dict[str, Any]] = []
    written: list[Draft] = []
    for conversation_id in sorted(by_conversation):
        drafts = by_conversation[conversation_id]
        first_seq, _ = reserved[conversation_id]
        rows.extend(_row(d, first_seq + i, now) for i, d in enumerate(drafts))
        written.extend(drafts)
    ids = await store.insert_messages(conn, rows)
    search_rows = []
    cursors: dict[tuple[int, int], int] = {}
    for row, message_id in zip(rows, ids, strict=True):
        row["id"] = message_id
        cursors[(row["conversation_id"], row["sender_id"])] = row["seq"]
        searchable = row["body"] if row["kind"] in EDITABLE_KINDS else None
        if row["kind"] == "card":  # a robot's card is found by its words (domain/cards.py)
            searchable = cards.plain_text(cards.decode(row["body"]) or {})
        if searchable:
            words, chars = text.index_tokens(searchable)
            search_rows.append(
                {
                    "message_id": message_id,
                    "conversation_id": row["conversation_id"],
                    "sender_id": row["sender_id"],
                    "created_at": now,
                    "words": words,
                    "chars": chars,
                }
            )
    await store.insert_search_rows(conn, search_rows)
    records = [(row["id"], d.record) for d, row in zip(written, rows, strict=True) if d.record is not None]
    if records:
        await forward_store.insert_records(conn, records)
    await forward_store.link_sources(
        conn,
        [(row["id"], source) for d, row in zip(written, rows, strict=True) for source in sorted(d.sources)],
    )
    await store.advance_read_cursors(
        conn, [{"cid": cid, "uid": uid, "seq": seq} for (cid, uid), seq in cursors.items()]
    )
    # New messages have no reactions yet: only attachments and quoted messages are read.
    files = await store.files_for(conn, sorted({r["file_id"] for r in rows if r["file_id"]}))
    replies = {
        r.id: r for r in await store.get_messages(conn, [r["reply_to_id"] for r in rows if r["reply_to_id"]])
    }
    for draft, row in zip(written, rows, strict=True):
        view = new_message_view(
            row,
            file=files.get(row["file_id"]) if row["file_id"] else None,
            reply=replies.get(row["reply_to_id"]) if row["reply_to_id"] else None,
        )
        # The event carries the message as everyone sees it; "N unread" is the sender's alone
        # (nobody else has read a message that was just written), in the sender's answer only.
        uow.emit(
            MessageCreated(message_id=view["id"], seq=view["seq"], message=view),
            to_conversation(draft.conversation_id),
        )
        hidden = context[(draft.conversation_id, draft.sender_id)].receipts_hidden
        unread = None if hidden else max(0, reserved[draft.conversation_id][1] - 1)
        outcomes[id(draft)] = SendResult({**view, "unread_count": unread}, created=True)
    retried = {d.key for d in admitted if d.key in existing and id(d) not in outcomes}
    originals = await _originals(conn, [existing[key] for key in retried])
    results: list[SendResult | Exception] = []
    for draft in batch:
        if id(draft) in outcomes:
            results.append(outcomes[id(draft)])
        elif draft.key in originals:
            results.append(SendResult(originals[draft.key], created=False))
        else:  # a duplicate within this batch: the same answer as its first copy
            first = outcomes[id(primary[draft.key])]
            results.append(
                SendResult(first.message, created=False) if isinstance(first, SendResult) else first
            )
    return results


async def _check_sources(
    conn: Any, drafts: list[Draft], outcomes: dict[int, SendResult | Exception]
) -> list[Draft]:
    """Forwarded copies whose sources are still there and not recalled. The forward read them in
    a transaction of its own; a recall, an account deletion or the retention worker may have
    scrubbed them since, and a copy written now would keep what they removed (or, for a deleted
    row, break the copy's link). Locked here as the scrub locks them (``lock_sources``)."""
    wanted = sorted({source for draft in drafts for source in draft.sources})
    if not wanted:
        return drafts
    state = await forward_store.lock_sources(conn, wanted)
    admitted = []
    for draft in drafts:
        if any(source not in state for source in draft.sources):
            outcomes[id(draft)] = NotFound("No such message.", code="MESSAGE_NOT_FOUND")
        elif any(state[source] for source in draft.sources):
            outcomes[id(draft)] = Invalid("A recalled message cannot be forwarded.", code="MESSAGE_RECALLED")
        else:
            admitted.append(draft)
    return admitted


async def _resolve_mentions(
    conn: Any, drafts: list[Draft], context: dict[tuple[int, int], store.SendContext]
) -> None:
    """The members each body mentions (never the sender), by @username or picked by name, and
    whether it notifies everyone: two queries for the whole batch (the users named, which of them
    are members), none when nobody is mentioned."""
    names = frozenset().union(*(d.mention_names for d in drafts))
    picked = frozenset().union(*(d.mention_ids for d in drafts))
    rows = await user_store.mention_candidates(conn, names, picked)
    people = {row.id: (row.username, row.display_name) for row in rows}
    found = {
        id(d): mentioned_ids(d.body, d.mention_names, d.mention_ids, people) if people else set()
        for d in drafts
    }
    wanted = {(d.conversation_id, uid) for d in drafts for uid in found[id(d)]}
    members = await conversation_store.memberships_among(conn, wanted)
    for draft in drafts:
        sender = context[(draft.conversation_id, draft.sender_id)]
        draft.mentions = sorted(
            uid
            for uid in found[id(draft)]
            if (draft.conversation_id, uid) in members and uid != draft.sender_id
        )
        # As in DingTalk, only a group's owner and admins may notify everyone.
        draft.mention_all = (
            draft.mention_everyone
            and sender.kind != "direct"
            and (sender.role in MANAGERS or draft.everyone_allowed)
        )


def _same_message(draft: Draft, stored: Any) -> bool:
    """Whether a draft is a retry of ``stored`` (a stored row or the batch's first draft with
    the same key) rather than another message under a reused client message id: the same
    conversation, kind, reply target, and, while the original still holds them, body (both
    normalised by ``check_send``) and file. A recalled original keeps neither its body nor its
    file, and an edited one not its first body: those are not compared, and the retry is
    answered with the message as it is now (a recalled one with its tombstone)."""
    if (draft.conversation_id, draft.kind, draft.reply_to_id) != (
        stored.conversation_id,
        stored.kind,
        stored.reply_to_id,
    ):
        return False
    if getattr(stored, "recalled_at", None) is not None:
        return True
    if getattr(stored, "edited_at", None) is None and draft.body != stored.body:
        return False
    return bool(draft.file_id == stored.file_id)


def _idempotency_conflict(message_id: int | None) -> Conflict:
    data = {"message_id": message_id} if message_id is not None else {}
    return Conflict(
        "This client_msg_id was already used for a different message; use a new id for a new message.",
        code="IDEMPOTENCY_CONFLICT",
        **data,
    )


async def _originals(conn: Any, rows: list[Any]) -> dict[tuple[int, str], dict[str, Any]]:
    """Retries are answered with the stored original, with "N unread" as its sender sees it."""
    if not rows:
        return {}
    views = await render_messages(conn, rows)
    by_sender: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for view in views:
        by_sender[view["sender_id"]].append(view)
    for sender_id, own in by_sender.items():
        await unread_counts(conn, sender_id, own)
    return {(view["sender_id"], view["client_msg_id"]): view for view in views}


def _row(draft: Draft, seq: int, now: int) -> dict[str, Any]:
    return {
        "conversation_id": draft.conversation_id,
        "seq": seq,
        "sender_id": draft.sender_id,
        "client_msg_id": draft.client_msg_id,
        "kind": draft.kind,
        "body": draft.body,
        "html": draft.html,
        "reply_to_id": draft.reply_to_id,
        "mentions": orjson.dumps(draft.mentions).decode() if draft.mentions else None,
        "mention_all": draft.mention_all,
        "file_id": draft.file_id,
        "created_at": now,
    }


def _settle(draft: Draft, outcome: SendResult | Exception) -> None:
    if draft.future is None or draft.future.done():
        return
    if isinstance(outcome, Exception):
        draft.future.set_exception(outcome)
    else:
        draft.future.set_result(outcome)
