"""Queries on users and their sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.pinyin import search_key
from lakeside.store.tables import sessions, users

PUBLIC_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.avatar_file_id,
    users.c.bot_kind,
)


def _with_key(values: dict[str, Any]) -> dict[str, Any]:
    """The values with the display name's search key beside the name, wherever a name is written."""
    if "display_name" in values:
        return {**values, "search_key": search_key(values["display_name"] or "")}
    return values


async def insert_user(conn: AsyncConnection, values: dict[str, Any]) -> int:
    statement = insert(users).values(**_with_key(values)).returning(users.c.id)
    return (await conn.execute(statement)).scalar_one()


async def count_users(conn: AsyncConnection) -> int:
    """People with an account (robots and bots are not counted)."""
    query = select(func.count()).select_from(users).where(users.c.bot_kind.is_(None))
    return (await conn.scalar(query)) or 0


async def get_user(conn: AsyncConnection, user_id: int) -> Row[Any] | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).first()


async def get_users(conn: AsyncConnection, user_ids: set[int] | list[int]) -> dict[int, Row[Any]]:
    if not user_ids:
        return {}
    rows = await conn.execute(select(*PUBLIC_COLUMNS).where(users.c.id.in_(list(user_ids))))
    return {row.id: row for row in rows}


# An e-mail address or phone number identifies its holder only once proved: anyone may type any
# address into their profile.
_EMAIL_PROVED = users.c.email_verified_at.is_not(None)
_PHONE_PROVED = users.c.phone_verified_at.is_not(None)


async def get_user_by_login(conn: AsyncConnection, login: str) -> Row[Any] | None:
    """A user by username, proved e-mail or proved phone (already normalised by the caller)."""
    query = select(users).where(
        or_(
            users.c.username == login,
            and_(users.c.email == login, _EMAIL_PROVED),
            and_(users.c.phone == login, _PHONE_PROVED),
        )
    )
    return (await conn.execute(query)).first()


async def get_user_by_contact(conn: AsyncConnection, phone: str | None, email: str | None) -> Row[Any] | None:
    """The user whose proved phone or e-mail this is."""
    clauses = []
    if phone:
        clauses.append(and_(users.c.phone == phone, _PHONE_PROVED))
    if email:
        clauses.append(and_(users.c.email == email, _EMAIL_PROVED))
    if not clauses:
        return None
    return (await conn.execute(select(users).where(or_(*clauses)))).first()


async def find_users(
    conn: AsyncConnection, *, username: str | None, email: str | None, phone: str | None
) -> list[Row[Any]]:
    clauses = []
    if username:
        clauses.append(users.c.username == username)
    if email:
        clauses.append(and_(users.c.email == email, _EMAIL_PROVED))
    if phone:
        clauses.append(and_(users.c.phone == phone, _PHONE_PROVED))
    if not clauses:
        return []
    # People only: a robot is found in the conversations it posts to, not by a search for people.
    query = (
        select(*PUBLIC_COLUMNS)
        .where(or_(*clauses), users.c.is_active.is_(True), users.c.bot_kind.is_(None))
        .limit(20)
    )
    return list(await conn.execute(query))


async def get_ids_by_usernames(conn: AsyncConnection, usernames: set[str] | frozenset[str]) -> dict[str, int]:
    if not usernames:
        return {}
    rows = await conn.execute(
        select(users.c.username, users.c.id).where(users.c.username.in_(list(usernames)))
    )
    return {row.username: row.id for row in rows}


async def mention_candidates(
    conn: AsyncConnection, usernames: set[str] | frozenset[str], user_ids: set[int] | frozenset[int]
) -> list[Row[Any]]:
    """(id, username, display_name) of the users named by ``usernames`` or ``user_ids``: the
    @usernames and the picked people of a batch of messages, in one query."""
    clauses = []
    if usernames:
        clauses.append(users.c.username.in_(sorted(usernames)))
    if user_ids:
        clauses.append(users.c.id.in_(sorted(user_ids)))
    if not clauses:
        return []
    query = select(users.c.id, users.c.username, users.c.display_name).where(or_(*clauses))
    return list(await conn.execute(query))


async def update_user(conn: AsyncConnection, user_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(**_with_key(values)))


async def insert_session(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(sessions).values(**values).returning(sessions.c.id))
    return result.scalar_one()


# Built once: this look-up runs for every request whose session is not in the session cache.
# Columns by position: session id, expires_at, last_seen_at, user id, username, display_name,
# is_admin, is_active.
_SESSION_BY_HASH = (
    select(
        sessions.c.id,
        sessions.c.expires_at,
        sessions.c.last_seen_at,
        users.c.id,
        users.c.username,
        users.c.display_name,
        users.c.is_admin,
        users.c.is_active,
    )
    .join(users, users.c.id == sessions.c.user_id)
    .where(sessions.c.token_hash == bindparam("token_hash"))
)


async def get_session_by_hash(conn: AsyncConnection, token_hash: str) -> tuple[Any, ...] | None:
    """The session with this token hash and its user, as a plain tuple (see _SESSION_BY_HASH)."""
    row = (await conn.execute(_SESSION_BY_HASH, {"token_hash": token_hash})).first()
    return None if row is None else tuple(row)


async def list_sessions(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = (
        select(
            sessions.c.id,
            sessions.c.user_agent,
            sessions.c.address,
            sessions.c.created_at,
            sessions.c.last_seen_at,
            sessions.c.expires_at,
        )
        .where(sessions.c.user_id == user_id)
        .order_by(sessions.c.last_seen_at.desc())
    )
    return list(await conn.execute(query))


async def delete_session(conn: AsyncConnection, user_id: int, session_id: int) -> bool:
    result = await conn.execute(
        delete(sessions).where(sessions.c.id == session_id, sessions.c.user_id == user_id)
    )
    return result.rowcount > 0


async def delete_user_sessions(conn: AsyncConnection, user_id: int, *, keep: int | None = None) -> list[int]:
    """Delete every session of a user (but ``keep``); the ids of those deleted."""
    statement = delete(sessions).where(sessions.c.user_id == user_id)
    if keep is not None:
        statement = statement.where(sessions.c.id != keep)
    return list((await conn.execute(statement.returning(sessions.c.id))).scalars())


async def delete_expired_sessions(conn: AsyncConnection, now: int) -> int:
    result = await conn.execute(delete(sessions).where(sessions.c.expires_at < now))
    return result.rowcount


async def touch_session(conn: AsyncConnection, session_id: int, now: int, expires_at: int) -> None:
    await conn.execute(
        update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now, expires_at=expires_at)
    )
