"""Queries on favourites: each user's own rows, found by id only together with the user's id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.text import SearchTerm
from lakeside.store.search import token_conditions
from lakeside.store.tables import favorites, files


def _query() -> Any:
    """Favourites with their file's columns (null without one), as the views need them."""
    return select(
        favorites,
        files.c.filename,
        files.c.content_type,
        files.c.size,
        files.c.width,
        files.c.height,
        files.c.has_thumbnail,
    ).outerjoin(files, files.c.id == favorites.c.file_id)


async def insert_favorite(conn: AsyncConnection, values: dict[str, Any]) -> int:
    return (await conn.execute(insert(favorites).values(**values).returning(favorites.c.id))).scalar_one()


async def get_favorite(conn: AsyncConnection, user_id: int, favorite_id: int) -> Row[Any] | None:
    query = _query().where(favorites.c.id == favorite_id, favorites.c.user_id == user_id)
    return (await conn.execute(query)).first()


async def get_by_message(conn: AsyncConnection, user_id: int, message_id: int) -> Row[Any] | None:
    query = _query().where(favorites.c.user_id == user_id, favorites.c.message_id == message_id)
    return (await conn.execute(query)).first()


async def delete_favorite(conn: AsyncConnection, user_id: int, favorite_id: int) -> bool:
    result = await conn.execute(
        delete(favorites).where(favorites.c.id == favorite_id, favorites.c.user_id == user_id)
    )
    return result.rowcount > 0


async def page(
    conn: AsyncConnection, user_id: int, terms: Sequence[SearchTerm], *, before: int | None, limit: int
) -> list[Row[Any]]:
    """The user's favourites matching every term (all of them without terms), newest first, with
    ids below ``before``. A user's favourites are read through (user_id, id) and matched on their
    token streams: no full-text index is needed for one person's saved messages."""
    query = _query().where(
        favorites.c.user_id == user_id, *token_conditions(favorites.c.words, favorites.c.chars, terms)
    )
    if before is not None:
        query = query.where(favorites.c.id < before)
    return list(await conn.execute(query.order_by(favorites.c.id.desc()).limit(limit)))
