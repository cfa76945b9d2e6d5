"""Favourites (收藏): messages a user saves for later — text, markdown (a link is a text message),
images and files — listed newest first, searchable, and kept as copies.

Saving copies what the message says, who sent it and where (the group's title, or the other
person's name in a direct chat) at that moment, so a favourite stays readable after the saver
leaves the conversation. A recall reaches the copies too (services/scrub.py): the entry stays,
shown as recalled (``recalled``, no body, no file), because 撤回 deletes the content from the
server, copies included. A message recalled before saving cannot be saved. An attached file stays
downloadable for the saver while the message stands: ``store/files.py`` lets a user read a file
one of their favourites names.

Search matches the saved text, the file name, the sender's and the source's names with the
tokeniser and the query rules of message search (``services/search.check_query``): ``钉钉``
finds ``我们明天都用钉钉开会``. Adding and removing reach the user's other devices
(``favorite.added`` / ``removed``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from lakeside.domain import text
from lakeside.domain.events import to_users
from lakeside.domain.events.messaging import FavoriteAdded, FavoriteRemoved
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import Conversations
from lakeside.services.files import Files
from lakeside.services.search import check_query
from lakeside.store import conversations as conversation_store
from lakeside.store import favorites as store
from lakeside.store import files as file_store
from lakeside.store import messages as message_store
from lakeside.store import users as user_store
from lakeside.store.engine import UniqueViolation

FAVORABLE_KINDS = ("text", "markdown", "image", "file")
MAX_LIMIT = 100


def _no_message() -> NotFound:
    return NotFound("No such message.", code="MESSAGE_NOT_FOUND")


def favorite_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "conversation_id": row.conversation_id,
        "source": {"kind": row.conversation_kind, "title": row.conversation_title},
        "sender": {"id": row.sender_id, "name": row.sender_name},
        "kind": row.kind,
        "body": row.body,
        "recalled": row.recalled_at is not None,
        "html": row.html,
        "file": _file(row),
        "sent_at": row.sent_at,
        "created_at": row.created_at,
    }


def _file(row: Row[Any]) -> dict[str, Any] | None:
    """The saved file, as messages show theirs (null once the file is gone)."""
    if not row.file_id or row.filename is None:
        return None
    url = f"/api/v1/files/{row.file_id}"
    return {
        "id": row.file_id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "width": row.width,
        "height": row.height,
        "url": url,
        "thumbnail_url": f"{url}/thumbnail" if row.has_thumbnail else None,
    }


class Favorites:
    def __init__(self, ctx: Context, conversations: Conversations, files: Files) -> None:
        self.ctx = ctx
        self.conversations = conversations
        self.files = files

    async def do_add(self, user: AuthUser, message_id: int) -> tuple[dict[str, Any], bool]:
        """Save a message the caller can see; (the favourite, whether it is new). Saving one
        saved already answers the favourite made then."""
        try:
            return await self._add(user, message_id)
        except UniqueViolation:
            # Saved twice at once (two devices) and the other commit won: it is saved.
            return await self._add(user, message_id)

    async def _add(self, user: AuthUser, message_id: int) -> tuple[dict[str, Any], bool]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            existing = await store.get_by_message(uow.conn, user.id, message_id)
            if existing is not None:
                return favorite_view(existing), False
            message = await message_store.get_message(uow.conn, message_id)
            if message is None:
                raise _no_message()
            try:
                conversation, _ = await self.conversations.access(uow.conn, user.id, message.conversation_id)
            except NotFound:
                raise _no_message() from None
            if message.recalled_at is not None:
                raise Invalid("A recalled message cannot be saved.", code="MESSAGE_RECALLED")
            if message.kind not in FAVORABLE_KINDS:
                raise Invalid("Only text, markdown, images and files can be saved.", code="NOT_FAVORABLE")
            title = conversation.title or ""
            if conversation.kind == "direct":
                peer = (await conversation_store.direct_peers(uow.conn, [conversation.id], user.id)).get(
                    conversation.id
                )
                title = peer.display_name if peer is not None else ""
            sender = await user_store.get_user(uow.conn, message.sender_id) if message.sender_id else None
            sender_name = sender.display_name if sender is not None else ""
            attached = await file_store.get_file(uow.conn, message.file_id) if message.file_id else None
            words, chars = text.index_tokens(
                " ".join([message.body, attached.filename if attached else "", sender_name, title])
            )
            favorite_id = await store.insert_favorite(
                uow.conn,
                {
                    "user_id": user.id,
                    "message_id": message.id,
                    "conversation_id": conversation.id,
                    "conversation_kind": conversation.kind,
                    "conversation_title": title[:64],
                    "sender_id": message.sender_id,
                    "sender_name": sender_name[:64],
                    "kind": message.kind,
                    "body": message.body,
                    "html": message.html,
                    "file_id": message.file_id,
                    "sent_at": message.created_at,
                    "created_at": now,
                    "words": words,
                    "chars": chars,
                },
            )
            row = await store.get_favorite(uow.conn, user.id, favorite_id)
            assert row is not None
            view = favorite_view(row)
            uow.emit(FavoriteAdded(**view), to_users(user.id))
        return view, True

    async def list_favorites(
        self, user: AuthUser, *, query: str | None, before: int | None, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """The caller's favourites, newest first, matching ``query`` when given (as message search
        matches); and the cursor of the next page (None on the last)."""
        terms = check_query(query) if query is not None and query.strip() else []
        limit = max(1, min(limit, MAX_LIMIT))
        async with self.ctx.db.read() as conn:
            rows = await store.page(conn, user.id, terms, before=before, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return [favorite_view(row) for row in rows], (rows[-1].id if more else None)

    async def do_remove(self, user: AuthUser, favorite_id: int) -> None:
        """Remove one of the caller's favourites; its file goes too if nothing else refers to it."""
        async with self.ctx.transaction() as uow:
            row = await store.get_favorite(uow.conn, user.id, favorite_id)
            if row is None or not await store.delete_favorite(uow.conn, user.id, favorite_id):
                raise NotFound("No such favourite.", code="FAVORITE_NOT_FOUND")
            uow.emit(FavoriteRemoved(id=row.id, message_id=row.message_id), to_users(user.id))
        if row.file_id:
            await self.files.do_forget(row.file_id)
