"""The store's queries where PostgreSQL differs (see lakeside.store.dialects).

Writers run side by side, so order is kept with locks: rows are locked in id order (two nodes'
batches cannot deadlock), and named, transaction-scoped advisory locks serialise what must not
interleave — appends to the event log, so that event ids become visible in commit order (a reader
never sees id 11 committed while id 10 is still in flight, which would make a resuming client skip
10), and one leaderboard worker at a time. Lists travel as one array parameter (``= ANY``).
asyncpg is cheap per statement, so the statements stay Core, built once where they are on the
send path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    any_,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.text import SearchTerm
from lakeside.store.dialects import EVENT_FIELDS, LOG_FIELDS, SendContext
from lakeside.store.tables import (
    blocks,
    conversation_members,
    conversations,
    events,
    friendships,
    message_search,
    messages,
    org_members,
    organizations,
)

NAME = "postgresql"
_EVENT_COLUMNS = tuple(events.c[name] for name in EVENT_FIELDS)
# A literal configuration, not a bind parameter: the planner matches the GIN index expressions
# to_tsvector('simple', words|chars) only against the same constant.
_SIMPLE: ColumnElement[str] = literal_column("'simple'")


def _in_param(target: Any, name: str, item_type: Any) -> ColumnElement[bool]:
    return target == any_(bindparam(name, type_=postgresql.ARRAY(item_type)))


_PREBUILT: dict[str, Any] = {}


def _prebuilt(build: Callable[[], Any]) -> Any:
    """The statement ``build`` makes, built once: on the send path building a statement and
    computing its cache key cost more than running it."""
    statement = _PREBUILT.get(build.__name__)
    if statement is None:
        statement = _PREBUILT[build.__name__] = build()
    return statement


def _send_context_statement() -> Any:
    return (
        select(
            conversation_members.c.conversation_id,
            conversation_members.c.user_id,
            conversations.c.kind,
            conversation_members.c.role,
            organizations.c.members_see_read_receipts,
            conversations.c.mute_all,
            conversation_members.c.mute_until,
        )
        .join(conversations, conversations.c.id == conversation_members.c.conversation_id)
        .outerjoin(organizations, organizations.c.id == conversations.c.organization_id)
        .where(
            _in_param(conversation_members.c.conversation_id, "cids", BigInteger),
            _in_param(conversation_members.c.user_id, "uids", BigInteger),
        )
    )


def _direct_standing_statement() -> Any:
    peer = conversation_members.alias("peer")
    member = conversation_members
    mine = org_members.alias("mine")
    theirs = org_members.alias("theirs")
    blocked = exists().where(
        or_(
            and_(blocks.c.user_id == member.c.user_id, blocks.c.blocked_id == peer.c.user_id),
            and_(blocks.c.user_id == peer.c.user_id, blocks.c.blocked_id == member.c.user_id),
        )
    )
    friends = exists().where(
        friendships.c.user_id == member.c.user_id, friendships.c.friend_id == peer.c.user_id
    )
    colleagues = (
        exists()
        .select_from(mine.join(theirs, theirs.c.organization_id == mine.c.organization_id))
        .where(
            mine.c.user_id == member.c.user_id,
            mine.c.status == "active",
            theirs.c.user_id == peer.c.user_id,
            theirs.c.status == "active",
        )
    )
    return (
        select(member.c.conversation_id, member.c.user_id, peer.c.user_id, blocked, or_(friends, colleagues))
        .join(
            peer, and_(peer.c.conversation_id == member.c.conversation_id, peer.c.user_id > member.c.user_id)
        )
        .where(_in_param(member.c.conversation_id, "cids", BigInteger))
    )


def _by_client_ids_statement() -> Any:
    return select(messages).where(
        _in_param(messages.c.sender_id, "senders", BigInteger),
        _in_param(messages.c.client_msg_id, "client_ids", String),
    )


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsqueries(terms: Sequence[SearchTerm]) -> tuple[str, str]:
    """The tsquery texts for the ``words`` and the ``chars`` stream ('' when a stream has none).
    Every token is quoted, so user input can only ever be text to look for, never syntax."""
    words = []
    chars = []
    for term in terms:
        if term.kind == "phrase":
            words.append("(" + " <-> ".join(_lexeme(token) for token in term.tokens) + ")")
        elif term.kind == "prefix":
            words.append(_lexeme(term.tokens[0]) + ":*")
        else:
            chars.append(_lexeme(term.tokens[0]))
    return " & ".join(words), " & ".join(chars)


def _tsmatch(stream: ColumnElement[Any], query: str) -> ColumnElement[bool]:
    return func.to_tsvector(_SIMPLE, stream).bool_op("@@")(func.to_tsquery(_SIMPLE, query))


def tsvector_conditions(terms: Sequence[SearchTerm]) -> list[ColumnElement[bool]]:
    """The conditions on message_search that its two GIN indexes answer."""
    words, chars = tsqueries(terms)
    conditions = []
    if words:
        conditions.append(_tsmatch(message_search.c.words, words))
    if chars:
        conditions.append(_tsmatch(message_search.c.chars, chars))
    return conditions


class PostgreSQL:
    name = NAME

    def insert(self, table: Any) -> Any:
        return postgresql.insert(table)

    def id_in(self, target: Any, ids: Sequence[int]) -> ColumnElement[bool]:
        return target == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(BigInteger)))

    def in_param(self, target: Any, name: str, item_type: Any) -> ColumnElement[bool]:
        return _in_param(target, name, item_type)

    def listed(self, values: Sequence[Any]) -> Any:
        return list(values)

    def least(self, *values: Any) -> Any:
        return func.least(*values)

    def greatest(self, *values: Any) -> Any:
        return func.greatest(*values)

    def position(self, text: Any, part: Any) -> Any:
        return func.strpos(text, part)

    async def lock(self, conn: AsyncConnection, key: int) -> None:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    async def try_lock(self, conn: AsyncConnection, key: int) -> bool:
        return bool(await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))

    async def lock_rows(self, conn: AsyncConnection, table: Any, ids: Iterable[int]) -> None:
        ordered = sorted(set(ids))
        if ordered:
            query = (
                select(table.c.id)
                .where(table.c.id.in_(ordered))
                .order_by(table.c.id)
                .with_for_update(key_share=True)
            )
            await conn.execute(query)

    async def append_events(self, conn: AsyncConnection, rows: Sequence[tuple[Any, ...]]) -> list[int]:
        result = await conn.execute(
            insert(events).returning(events.c.id), [dict(zip(LOG_FIELDS, row, strict=True)) for row in rows]
        )
        return [row.id for row in result.all()]

    async def events_for_user(
        self, conn: AsyncConnection, user_id: int, since: int, upto: int | None, limit: int
    ) -> list[Any]:
        members = conversation_members
        mine = select(members.c.conversation_id).where(members.c.user_id == user_id)
        joined = (
            select(members.c.joined_event_id)
            .where(members.c.conversation_id == events.c.conversation_id, members.c.user_id == user_id)
            .scalar_subquery()
        )
        own = select(*_EVENT_COLUMNS).where(events.c.user_id == user_id, events.c.id > since)
        shared = select(*_EVENT_COLUMNS).where(
            events.c.user_id.is_(None),
            events.c.conversation_id.in_(mine),
            events.c.id > since,
            events.c.id > joined,
        )
        if upto is not None:
            own = own.where(events.c.id <= upto)
            shared = shared.where(events.c.id <= upto)
        merged = union_all(own, shared).subquery()
        return (await conn.execute(select(*merged.c).order_by(merged.c.id).limit(limit))).all()

    async def messages_by_id(self, conn: AsyncConnection, message_ids: list[int]) -> list[Any]:
        return (await conn.execute(select(messages).where(self.id_in(messages.c.id, message_ids)))).all()

    async def reserve_seqs(
        self, conn: AsyncConnection, counts: dict[int, int], now: int
    ) -> dict[int, tuple[int, int]]:
        """One UPDATE per conversation, in id order, so that two nodes' batches lock rows in the
        same order and cannot deadlock."""
        reserved = {}
        for cid in sorted(counts):
            result = await conn.execute(
                update(conversations)
                .where(conversations.c.id == cid)
                .values(last_seq=conversations.c.last_seq + counts[cid], last_activity_at=now, updated_at=now)
                .returning(conversations.c.last_seq, conversations.c.member_count)
            )
            last, members = result.one()
            reserved[cid] = (int(last) - counts[cid] + 1, int(members))
        return reserved

    async def send_context(
        self, conn: AsyncConnection, pairs: set[tuple[int, int]]
    ) -> dict[tuple[int, int], SendContext]:
        parameters = {
            "cids": sorted({cid for cid, _ in pairs}),
            "uids": sorted({uid for _, uid in pairs}),
        }
        return {
            (cid, uid): SendContext(
                kind, role, see_receipts is not None and not see_receipts, mute_all, mute_until
            )
            for cid, uid, kind, role, see_receipts, mute_all, mute_until in (
                await conn.execute(_prebuilt(_send_context_statement), parameters)
            ).all()
            if (cid, uid) in pairs
        }

    async def direct_standing(
        self, conn: AsyncConnection, conversation_ids: set[int]
    ) -> dict[int, tuple[int, int, bool, bool]]:
        rows = await conn.execute(_prebuilt(_direct_standing_statement), {"cids": sorted(conversation_ids)})
        return {cid: (a, b, bool(blocked), bool(talk)) for cid, a, b, blocked, talk in rows.all()}

    async def find_by_client_ids(
        self, conn: AsyncConnection, keys: set[tuple[int, str]]
    ) -> dict[tuple[int, str], Row[Any]]:
        parameters = {
            "senders": sorted({sender for sender, _ in keys}),
            "client_ids": sorted({client_id for _, client_id in keys}),
        }
        rows = (await conn.execute(_prebuilt(_by_client_ids_statement), parameters)).all()
        found = {(row.sender_id, row.client_msg_id): row for row in rows}
        return {key: row for key, row in found.items() if key in keys}

    async def insert_messages(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
        result = await conn.execute(
            insert(messages).returning(messages.c.id, messages.c.conversation_id, messages.c.seq), rows
        )
        ids = {(row.conversation_id, row.seq): row.id for row in result.all()}
        return [ids[(row["conversation_id"], row["seq"])] for row in rows]

    async def insert_search_rows(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        await conn.execute(insert(message_search), rows)

    async def advance_read_cursors(self, conn: AsyncConnection, cursors: list[dict[str, int]]) -> None:
        await conn.execute(
            update(conversation_members)
            .where(
                conversation_members.c.conversation_id == bindparam("cid"),
                conversation_members.c.user_id == bindparam("uid"),
                conversation_members.c.read_seq < bindparam("seq"),
            )
            .values(read_seq=bindparam("seq")),
            cursors,
        )

    def match_search(self, query: Select[Any], terms: Sequence[SearchTerm]) -> tuple[Select[Any], Any]:
        """Two GIN indexes over ``to_tsvector('simple', …)``, one per token stream."""
        return query.where(*tsvector_conditions(terms)), message_search.c.message_id

    async def compact_search(self, conn: AsyncConnection) -> None:
        """Nothing to do through SQL: GIN entries of deleted rows are never returned, and their
        dead row versions leave the data files with (auto)vacuum (docs/security.md)."""
