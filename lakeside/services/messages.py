"""Messages: send (group-committed), history, edit, recall, reactions, read cursors.

The send path. Every transport parses a send into one command (``SendMessage``,
lakeside.domain.messages) and makes one call, ``do_send``, which owns the rest: the rate limit,
the rules (``check_send``: the body, the file, the reply target — a reply or an attachment is
checked against what it points to in a read transaction, with the sender's access), the
idempotent write, and the sender's activity for the growth engine. The rules every send shares —
membership, blocks in direct chats, mentions — are checked by the ``MessageWriter``
(lakeside.services.message_writer) for a whole batch at once, inside the one transaction that
stores it: a plain text send costs no read of its own. One transaction per batch instead of per
message is what lets SQLite (one writer at a time) and PostgreSQL (one fsync per commit) carry
thousands of messages a second.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import forwards, mutes, text
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import (
    MessageEdited,
    MessageRecalled,
    MessagesRead,
    ReactionsChanged,
)
from lakeside.domain.markdown import render_markdown
from lakeside.domain.mentions import find_mentions, mentioned_ids
from lakeside.domain.messages import EDITABLE_KINDS, MAX_VOICE_MS, MIN_VOICE_MS, SendMessage
from lakeside.domain.tokens import now_ms
from lakeside.errors import Forbidden, Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import MANAGERS, Conversations, message_windows
from lakeside.services.files import AUDIO_FORMATS, MAX_VOICE_BYTES, Files
from lakeside.services.growth.activity import Activity
from lakeside.services.message_writer import Draft, MessageWriter, SendResult
from lakeside.services.receipts import unread_counts
from lakeside.services.scrub import scrub_messages
from lakeside.services.timeline import render_messages
from lakeside.store import conversations as conversation_store
from lakeside.store import forwards as forward_store
from lakeside.store import messages as store
from lakeside.store import organizations as org_store
from lakeside.store import receipts as receipt_store
from lakeside.store import users as user_store

log = logging.getLogger(__name__)

__all__ = ["Draft", "MessageWriter", "Messages", "SendResult"]

MAX_PAGE = 200


async def played_flags(conn: AsyncConnection, user_id: int, views: list[dict[str, Any]]) -> None:
    """Mark each voice message someone else sent with whether ``user_id`` has played it."""
    theirs = [v for v in views if v["kind"] == "voice" and not v["recalled"] and v["sender_id"] != user_id]
    played = await forward_store.played_among(conn, user_id, [v["id"] for v in theirs])
    for view in theirs:
        view["played"] = view["id"] in played


def _message_not_found() -> NotFound:
    return NotFound("No such message.", code="MESSAGE_NOT_FOUND")


def _voice_body(command: SendMessage) -> str:
    """A voice message's body: its duration, as the server's JSON (the sender writes no text)."""
    if command.body.strip():
        raise Invalid("A voice message carries no text.", code="UNEXPECTED_BODY")
    duration = command.duration_ms
    if duration is None:
        raise Invalid("A voice message needs its duration_ms.", code="DURATION_REQUIRED")
    if not MIN_VOICE_MS <= duration <= MAX_VOICE_MS:
        raise Invalid(
            f"A voice message lasts {MIN_VOICE_MS // 1000} to {MAX_VOICE_MS // 1000} seconds.",
            code="INVALID_DURATION",
            min=MIN_VOICE_MS,
            max=MAX_VOICE_MS,
        )
    return forwards.encode({"duration_ms": duration})


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600} hours"
    if seconds % 60 == 0 and seconds:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


class Messages:
    def __init__(self, ctx: Context, conversations: Conversations, files: Files, activity: Activity) -> None:
        self.ctx = ctx
        self.conversations = conversations
        self.files = files
        self.activity = activity
        self.writer = MessageWriter(ctx)

    # -- sending ------------------------------------------------------------------------------

    async def do_send(
        self, user: AuthUser, conversation_id: int, command: SendMessage, *, address: str = ""
    ) -> SendResult:
        """Send a message: the one call behind every transport (HTTP, the socket). Spends one of
        the sender's and the address's ``sends``, checks the rules, and answers after the commit;
        a retry with the same client_msg_id answers with the stored original and ``created``
        false (and counts once in the sender's activity)."""
        await self.ctx.limits.take("sends", user_id=user.id, address=address)
        if user.is_token:  # a bot's API token: its allowlist, and the bots' own limit
            if not user.may_touch(conversation_id):
                raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
            await self.ctx.limits.take("bot_sends", user_id=user.id)
        draft = await self.check_send(user, conversation_id, command)
        result = await self.writer.submit(draft)
        if not user.is_token:  # growth counts people's activity, not bots'
            self.activity.message_sent(user.id, created=result.created)
        return result

    async def check_send(self, user: AuthUser, conversation_id: int, command: SendMessage) -> Draft:
        """The command as a draft for the writer, once the rules that do not need the batch hold."""
        client_msg_id = command.client_msg_id.strip()
        if not client_msg_id or not client_msg_id.isprintable():
            raise Invalid("client_msg_id is 1 to 64 printable characters.", code="INVALID_CLIENT_MSG_ID")
        kind, body, file_id, reply_to_id = command.kind, command.body, command.file_id, command.reply_to_id
        max_bytes = self.ctx.settings.max_message_bytes
        if kind == "voice":
            body = _voice_body(command)
            if file_id is None:
                raise Invalid(
                    "A voice message needs a file_id from POST /api/v1/files.", code="FILE_REQUIRED"
                )
        elif command.duration_ms is not None:
            raise Invalid("Only voice messages have a duration.", code="UNEXPECTED_DURATION")
        elif kind in EDITABLE_KINDS:
            body = text.clean_body(body, max_bytes=max_bytes)
            if file_id is not None:
                raise Invalid("Text messages carry no file; use kind image or file.", code="UNEXPECTED_FILE")
        else:
            body = text.clean_body(body, max_bytes=max_bytes) if body.strip() else ""
            if file_id is None:
                raise Invalid(
                    f"A {kind} message needs a file_id from POST /api/v1/files.", code="FILE_REQUIRED"
                )
        if reply_to_id is not None or file_id is not None:
            # What a reply or an attachment points to is checked here, after the sender's access
            # (so that a non-member learns nothing about it); the writer checks access again.
            async with self.ctx.db.read() as conn:
                conversation, _ = await self.conversations.access(conn, user.id, conversation_id)
                if conversation.kind == "direct":
                    await self.check_direct_open(conn, user.id, conversation_id)
                if reply_to_id is not None:
                    target = await store.get_message(conn, reply_to_id)
                    if target is None or target.conversation_id != conversation_id:
                        raise NotFound(
                            "The message replied to is not in this conversation.", code="REPLY_NOT_FOUND"
                        )
                if file_id is not None:
                    await self._check_file(conn, user.id, file_id, kind)
        mentioned = find_mentions(body) if kind in EDITABLE_KINDS else None
        picked = tuple(dict.fromkeys(command.mention_ids)) if kind in EDITABLE_KINDS else ()
        return Draft(
            sender_id=user.id,
            conversation_id=conversation_id,
            client_msg_id=client_msg_id,
            kind=kind,
            body=body,
            html=render_markdown(body) if kind == "markdown" else None,
            reply_to_id=reply_to_id,
            mention_names=mentioned.usernames if mentioned else frozenset(),
            mention_everyone=mentioned.everyone if mentioned else False,
            mention_ids=picked,
            file_id=file_id,
        )

    @staticmethod
    async def _mentions(
        conn: AsyncConnection, conversation: Any, membership: Any, body: str, picked: tuple[int, ...]
    ) -> tuple[list[int], bool]:
        """The members a body mentions (never the sender), and whether it notifies everyone."""
        mentioned = find_mentions(body)
        rows = await user_store.mention_candidates(conn, mentioned.usernames, frozenset(picked))
        people = {row.id: (row.username, row.display_name) for row in rows}
        ids = mentioned_ids(body, mentioned.usernames, picked, people)
        members = await conversation_store.existing_members(conn, conversation.id, ids)
        # As in DingTalk, only a group's owner and admins may notify everyone.
        everyone = mentioned.everyone and conversation.kind != "direct" and membership.role in MANAGERS
        return sorted(members - {membership.user_id}), everyone

    async def check_direct_open(self, conn: AsyncConnection, user_id: int, conversation_id: int) -> None:
        """The writer's rule for a direct chat, for the paths that read first (replies,
        attachments, edits): the rule for opening one (``check_can_talk``)."""
        peers = await conversation_store.member_ids(conn, conversation_id)
        for peer in peers:
            if peer != user_id:
                await self.conversations.check_can_talk(conn, user_id, peer)

    async def _check_file(self, conn: AsyncConnection, user_id: int, file_id: str, kind: str) -> None:
        from lakeside.store import files as file_store

        row = await file_store.get_owned_attachment(conn, file_id, user_id)
        if row is None:
            raise NotFound("No such file of yours.", code="FILE_NOT_FOUND")
        if kind == "image" and row.width is None:
            raise Invalid("That file is not an image; send it as kind file.", code="NOT_AN_IMAGE")
        if kind == "voice":
            if row.content_type not in AUDIO_FORMATS:
                raise Invalid(
                    "A voice message is WebM/Opus, Ogg, MP4/AAC or MP3 audio.",
                    code="NOT_AUDIO",
                    accepted=AUDIO_FORMATS,
                )
            if row.size > MAX_VOICE_BYTES:
                raise Invalid("The recording is too large for a voice message.", code="VOICE_TOO_LARGE")

    # -- reading ------------------------------------------------------------------------------

    async def list_history(
        self,
        user: AuthUser,
        conversation_id: int,
        *,
        before_seq: int | None,
        after_seq: int | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], bool]:
        limit = max(1, min(limit, MAX_PAGE))
        async with self.ctx.db.read() as conn:
            await self.conversations.access(conn, user.id, conversation_id)
            rows = await store.page(
                conn, conversation_id, before_seq=before_seq, after_seq=after_seq, limit=limit + 1
            )
            if len(rows) > limit:
                # One row too many tells there is more in the paging direction.
                rows = rows[1:] if after_seq is None else rows[:-1]
                more = True
            else:
                more = False
            views = await render_messages(conn, rows)
            await unread_counts(conn, user.id, views)
            await played_flags(conn, user.id, views)
            return views, more

    async def access_message(self, conn: AsyncConnection, user_id: int, message_id: int) -> Any:
        row = await store.get_message(conn, message_id)
        if row is None:
            raise _message_not_found()
        try:
            conversation, membership = await self.conversations.access(conn, user_id, row.conversation_id)
        except NotFound:
            raise _message_not_found() from None
        return row, conversation, membership

    async def get_message(self, user: AuthUser, message_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            row, _, _ = await self.access_message(conn, user.id, message_id)
            return await self._as_seen_by(conn, user.id, (await render_messages(conn, [row]))[0])

    @staticmethod
    async def _as_seen_by(conn: AsyncConnection, user_id: int, view: dict[str, Any]) -> dict[str, Any]:
        """A copy of a message view for one reader: with "N unread" if it is their own message.
        (Views shared by everyone, such as live event payloads, carry no count.)"""
        mine = dict(view)
        await unread_counts(conn, user_id, [mine])
        await played_flags(conn, user_id, [mine])
        return mine

    async def _own_view(self, user_id: int, view: dict[str, Any]) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            return await self._as_seen_by(conn, user_id, view)

    # -- changing -----------------------------------------------------------------------------

    async def do_edit(
        self, user: AuthUser, message_id: int, body: str, mention_ids: list[int] | None = None
    ) -> dict[str, Any]:
        """Edit the text of one's own message. Mentions follow the new text: its @usernames, and
        the people picked by name (``mention_ids``; when left out, those the message mentioned
        before) whose name is still written in it."""
        body = text.clean_body(body, max_bytes=self.ctx.settings.max_message_bytes)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row, conversation, membership = await self.access_message(uow.conn, user.id, message_id)
            if row.sender_id != user.id:
                raise Forbidden("Only the sender may edit a message.", code="NOT_SENDER")
            # An edit says something new: a muted member may not (domain/mutes.py).
            muted = mutes.refusal(membership.role, conversation.mute_all, membership.mute_until, now)
            if muted is not None:
                raise muted
            if row.recalled_at is not None:
                raise Invalid("A recalled message cannot be edited.", code="MESSAGE_RECALLED")
            if row.kind not in EDITABLE_KINDS:
                raise Invalid("Only text and markdown messages can be edited.", code="NOT_EDITABLE")
            _, window = await self.message_windows(uow.conn, conversation)
            # The window is open while less than ``window`` has passed: zero means never.
            if now - row.created_at >= window * 1000:
                raise Forbidden(
                    f"Messages can be edited for {_duration(window)} after sending.",
                    code="EDIT_WINDOW_PASSED",
                )
            if conversation.kind == "direct":
                # An edit reaches the other side like a new message, so a block stops it too.
                await self.check_direct_open(uow.conn, user.id, conversation.id)
            if mention_ids is None:
                picked = tuple(orjson.loads(row.mentions)) if row.mentions else ()
            else:
                picked = tuple(dict.fromkeys(mention_ids))
            mentions, mention_all = await self._mentions(uow.conn, conversation, membership, body, picked)
            values = {
                "body": body,
                "html": render_markdown(body) if row.kind == "markdown" else None,
                "mentions": orjson.dumps(mentions).decode() if mentions else None,
                "mention_all": mention_all,
                "edited_at": now,
            }
            await store.update_message(uow.conn, message_id, values)
            words, chars = text.index_tokens(body)
            await store.replace_search_row(uow.conn, message_id, words, chars)
            updated = await store.get_message(uow.conn, message_id)
            assert updated is not None  # the row is locked by this transaction's update
            view = (await render_messages(uow.conn, [updated]))[0]
            uow.emit(MessageEdited(message_id=message_id, message=view), to_conversation(row.conversation_id))
        return await self._own_view(user.id, view)

    async def message_windows(self, conn: AsyncConnection, conversation: Any) -> tuple[int, int]:
        """(recall, edit) windows in seconds (``conversations.message_windows``)."""
        organization_id = getattr(conversation, "organization_id", None)
        recall, edit = (None, None)
        if organization_id:
            recall, edit = await org_store.message_windows(conn, organization_id)
        return message_windows(self.ctx.settings, organization_id, recall, edit)

    async def do_recall(self, user: AuthUser, message_id: int) -> dict[str, Any]:
        """撤回: the content leaves storage — every copy the scrub knows (services/scrub.py:
        search tokens, reactions, the pin, favourites, DINGs, stored event payloads) — and the
        attachment is deleted; a tombstone with who recalled it and when stays in the timeline."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row, conversation, membership = await self.access_message(uow.conn, user.id, message_id)
            if row.kind == "system":
                raise Invalid("System messages cannot be recalled.", code="NOT_RECALLABLE")
            # As in DingTalk, an organization group's owner and admins may recall anyone's
            # message at any time; everyone else recalls their own, within the window.
            moderator = bool(getattr(conversation, "organization_id", None)) and membership.role in MANAGERS
            if row.sender_id != user.id and not moderator:
                raise Forbidden("Only the sender may recall a message.", code="NOT_SENDER")
            if row.recalled_at is not None:  # a retried recall: the same tombstone
                return await self._as_seen_by(uow.conn, user.id, (await render_messages(uow.conn, [row]))[0])
            window, _ = await self.message_windows(uow.conn, conversation)
            if not moderator and now - row.created_at >= window * 1000:
                raise Forbidden(
                    f"Messages can be recalled for {_duration(window)} after sending.",
                    code="RECALL_WINDOW_PASSED",
                )
            # Every stored copy goes: the row, search, reactions, the pin, favourites, DINGs, the
            # event log's payloads (services/scrub.py).
            scrubbed = await scrub_messages(uow, [message_id], by=user.id, now=now)
            updated = await store.get_message(uow.conn, message_id)
            assert updated is not None  # the row is locked by this transaction's update
            view = (await render_messages(uow.conn, [updated]))[0]
            uow.emit(
                MessageRecalled(message_id=message_id, message=view), to_conversation(row.conversation_id)
            )
        for file_id in sorted(scrubbed.files):
            await self.files.do_forget(file_id)
        return view

    async def do_react(self, user: AuthUser, message_id: int, emoji: str, *, add: bool) -> dict[str, Any]:
        emoji = emoji.strip()
        if not 1 <= len(emoji) <= 32 or any(c.isspace() for c in emoji) or not emoji.isprintable():
            raise Invalid("A reaction is an emoji or a short name without spaces.", code="INVALID_REACTION")
        async with self.ctx.transaction() as uow:
            row, _, _ = await self.access_message(uow.conn, user.id, message_id)
            if row.recalled_at is not None or row.kind == "system":
                raise Invalid("This message takes no reactions.", code="NOT_REACTABLE")
            if add:
                changed = await store.add_reaction(uow.conn, message_id, user.id, emoji, now_ms())
            else:
                changed = await store.remove_reaction(uow.conn, message_id, user.id, emoji)
            view = (await render_messages(uow.conn, [row]))[0]
            if changed:
                uow.emit(
                    ReactionsChanged(message_id=message_id, reactions=view["reactions"]),
                    to_conversation(row.conversation_id),
                )
        return await self._own_view(user.id, view)

    async def do_mark_read(self, user: AuthUser, conversation_id: int, seq: int) -> dict[str, Any]:
        """Move the caller's read cursor forward to ``seq`` (capped at the newest message)."""
        async with self.ctx.transaction() as uow:
            conversation, membership = await self.conversations.access(uow.conn, user.id, conversation_id)
            target = min(max(seq, 0), conversation.last_seq)
            read_seq = membership.read_seq
            if target > read_seq:
                previous = read_seq
                read_seq = await conversation_store.advance_read(uow.conn, conversation_id, user.id, target)
                # Told only to the senders of the messages just read (their "N unread" falls)
                # and to the reader's own devices: nobody else learns who reads what.
                senders = await receipt_store.senders_between(uow.conn, conversation_id, previous, read_seq)
                if await receipt_store.receipts_hidden(uow.conn, {conversation_id}):
                    senders = []  # the organization turned read receipts off: only the reader's devices
                uow.emit(
                    MessagesRead(user_id=user.id, read_seq=read_seq, from_seq=previous),
                    to_conversation(conversation_id, only={*senders, user.id}),
                )
        return {
            "conversation_id": conversation_id,
            "read_seq": read_seq,
            "unread": max(0, conversation.last_seq - read_seq),
        }
