"""Forwarding (转发) messages to other conversations, and opening a merged record's transcript.

``do_forward`` checks what is forwarded and where — the caller is a member of the source
conversation and of every target, no message is recalled or a system line, the targets are open
to them (a direct chat still between friends or colleagues, no mute: the checks a send makes
first) — then hands drafts to the ONE send pipeline, the messages service's writer
(``services/message_writer.py``), which checks membership, blocks and mutes again for the batch
inside the transaction that stores it, answers retries (client ids derived from the forward's own)
and emits ``message.created``. Each target spends one of the caller's ``sends``.

逐条转发 (separate) writes each message as a new message of the forwarder's, in the source's
order: the same text (mentions not re-notified), file (it becomes readable where it is sent, as
any attachment), voice or record; no mark of where it came from. 合并转发 (merged) writes one
message of kind ``forward`` per target, whose transcript is a snapshot (``domain/forwards.py``)
stored with it; the files it shows become readable by the target's members
(``store/files.py``) and by nobody else. A forward is its forwarder's own message: a recall of
the source later leaves it (as in WeChat; docs/api.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import forwards, mutes, text
from lakeside.domain.forwards import FORWARDABLE_KINDS, ForwardMessages
from lakeside.domain.markdown import render_markdown
from lakeside.domain.mentions import find_mentions
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.message_writer import Draft, SendResult
from lakeside.services.messages import Messages
from lakeside.services.timeline import file_view
from lakeside.store import conversations as conversation_store
from lakeside.store import forwards as store
from lakeside.store import messages as message_store
from lakeside.store import users as user_store


def _message_not_found() -> NotFound:
    return NotFound("No such message.", code="MESSAGE_NOT_FOUND")


class Forwards:
    def __init__(self, messages: Messages) -> None:
        self.messages = messages  # the send pipeline, and the access rules of messages
        self.ctx = messages.ctx
        self.conversations = messages.conversations

    async def do_forward(
        self, user: AuthUser, command: ForwardMessages, *, address: str = ""
    ) -> tuple[list[dict[str, Any]], bool]:
        """Forward; the messages written, target by target, and whether any is new (False: a
        retry answered with what the first attempt stored)."""
        base = command.client_msg_id.strip()
        if not base or not base.isprintable() or ":" in base:
            raise Invalid(
                "client_msg_id is 1 to 32 printable characters, no ':'.", code="INVALID_CLIENT_MSG_ID"
            )
        comment = command.comment
        if comment:
            comment = text.clean_body(comment, max_bytes=self.ctx.settings.max_message_bytes)
        targets = list(dict.fromkeys(command.conversation_ids))
        async with self.ctx.db.read() as conn:
            sources = await self._sources(conn, user.id, list(dict.fromkeys(command.message_ids)))
            await self._check_targets(conn, user.id, targets)
            # What each copy copies, transitively: a recall of the original reaches copies of copies.
            inherited = await store.sources_of(conn, [m.id for m in sources])
            copied = {m.id: frozenset({m.id, *inherited.get(m.id, ())}) for m in sources}
            if command.mode == "merged":
                payload = await self._snapshot(conn, sources)
                contents = [_record_draft(user.id, payload, frozenset().union(*copied.values()))]
            else:
                records = await store.get_records(conn, [m.id for m in sources if m.kind == "forward"])
                contents = [_copy(user.id, m, records.get(m.id), copied[m.id]) for m in sources]
        for _ in targets:
            await self.ctx.limits.take("sends", user_id=user.id, address=address)
        drafts = []
        for target in targets:
            parts = [*contents, _comment(user.id, comment)] if comment else contents
            for n, part in enumerate(parts):
                drafts.append(_to(part, target, f"{base}:{target}:{n}"))
        results = await self._submit(drafts)
        for result in results:
            self.messages.activity.message_sent(user.id, created=result.created)
        return [r.message for r in results], any(r.created for r in results)

    async def _submit(self, drafts: list[Draft]) -> list[SendResult]:
        """Queue every draft before awaiting any: the writer keeps their order (and so each
        target's sequence numbers follow the source's order)."""
        tasks = [asyncio.ensure_future(self.messages.writer.submit(d)) for d in drafts]
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return [o for o in outcomes if isinstance(o, SendResult)]

    async def _sources(self, conn: AsyncConnection, user_id: int, message_ids: list[int]) -> list[Any]:
        """The messages to forward, in their conversation's order, once the caller may see them
        all and each may be forwarded."""
        rows = await message_store.get_messages(conn, message_ids)
        if len(rows) != len(message_ids):
            raise _message_not_found()
        conversation_ids = {row.conversation_id for row in rows}
        if len(conversation_ids) != 1:
            raise Invalid("Forward messages of one conversation at a time.", code="MIXED_CONVERSATIONS")
        try:
            await self.conversations.access(conn, user_id, rows[0].conversation_id)
        except NotFound:
            raise _message_not_found() from None
        for row in rows:
            if row.recalled_at is not None:
                raise Invalid(
                    "A recalled message cannot be forwarded.", code="MESSAGE_RECALLED", message_id=row.id
                )
            if row.kind not in FORWARDABLE_KINDS:
                raise Invalid("This message cannot be forwarded.", code="NOT_FORWARDABLE", message_id=row.id)
        return sorted(rows, key=lambda row: row.seq)

    async def _check_targets(self, conn: AsyncConnection, user_id: int, targets: list[int]) -> None:
        """Each target as a send to it would be checked first; the writer checks again."""
        now = now_ms()
        for target in targets:
            conversation, membership = await self.conversations.access(conn, user_id, target)
            if conversation.kind == "direct":
                await self.messages.check_direct_open(conn, user_id, target)
            refusal = mutes.refusal(membership.role, conversation.mute_all, membership.mute_until, now)
            if refusal is not None:
                raise refusal

    async def _snapshot(self, conn: AsyncConnection, sources: list[Any]) -> dict[str, Any]:
        """The transcript of a merged forward, as the messages are now."""
        conversation = await conversation_store.get_conversation(conn, sources[0].conversation_id)
        assert conversation is not None  # the caller's membership was just read
        members = (
            await conversation_store.member_ids(conn, conversation.id)
            if conversation.kind == "direct"
            else []
        )
        people = await user_store.get_users(conn, {*members, *(m.sender_id for m in sources if m.sender_id)})
        records = await store.get_records(conn, [m.id for m in sources if m.kind == "forward"])
        items = []
        for message in sources:
            sender = people.get(message.sender_id) if message.sender_id else None
            item: dict[str, Any] = {
                "source_id": message.id,  # never rendered: lets a recall reach this copy
                "sender_name": sender.display_name if sender else "",
                "sent_at": message.created_at,
                "kind": message.kind,
                "body": message.body if message.kind not in ("voice", "forward") else "",
                "file_id": message.file_id,
                "duration_ms": None,
            }
            if message.kind == "voice":
                item["duration_ms"] = (forwards.decode(message.body) or {}).get("duration_ms")
            elif message.kind == "forward":
                item["record"] = records.get(message.id) or {"source": {"kind": "group"}, "items": []}
            items.append(item)
        names = [people[uid].display_name for uid in sorted(members) if uid in people]
        payload = {"source": forwards.source_of(conversation.kind, names), "items": items}
        if forwards.nesting(payload) > forwards.MAX_NESTING:
            raise Invalid("Records can be forwarded inside records only so deep.", code="FORWARD_TOO_DEEP")
        if len(forwards.encode(payload).encode()) > forwards.MAX_RECORD_BYTES:
            raise Invalid(
                "Too much to forward as one record; forward fewer messages.", code="FORWARD_TOO_LARGE"
            )
        return payload

    # -- reading ------------------------------------------------------------------------------

    async def get_record(self, user: AuthUser, message_id: int) -> dict[str, Any]:
        """The transcript of a merged forward the caller can see, read-only, with its files."""
        async with self.ctx.db.read() as conn:
            row, _, _ = await self.messages.access_message(conn, user.id, message_id)
            if row.kind != "forward" or row.recalled_at is not None:
                raise NotFound("This message is not a chat record.", code="RECORD_NOT_FOUND")
            payload = await store.get_record(conn, message_id)
            if payload is None:
                raise NotFound("This message is not a chat record.", code="RECORD_NOT_FOUND")
            files = await message_store.files_for(conn, sorted(forwards.record_files(payload)))
        return {"message_id": message_id, **_render(payload, files)}


def _render(payload: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
    items = []
    for item in payload["items"]:
        file_id = item.get("file_id")
        items.append(
            {
                "sender_name": item["sender_name"],
                "sent_at": item["sent_at"],
                "kind": item["kind"],
                "body": item["body"],
                "html": render_markdown(item["body"]) if item["kind"] == "markdown" else None,
                "file": file_view(files.get(file_id)) if file_id else None,
                "duration_ms": item.get("duration_ms"),
                "record": _render(item["record"], files) if item.get("record") else None,
            }
        )
    return {"source": payload["source"], "items": items}


def _record_draft(sender_id: int, payload: dict[str, Any], sources: frozenset[int] = frozenset()) -> Draft:
    return Draft(
        sender_id=sender_id,
        conversation_id=0,
        client_msg_id="",
        kind="forward",
        body=forwards.encode(forwards.summary(payload)),
        html=None,
        reply_to_id=None,
        record=payload,
        sources=sources,
    )


def _copy(sender_id: int, message: Any, record: dict[str, Any] | None, sources: frozenset[int]) -> Draft:
    """A message forwarded on its own: the forwarder's new message with the same content. Its
    mentions are not resolved again: forwarding "@张三" does not notify a 张三 of the target."""
    if message.kind == "forward":
        return _record_draft(sender_id, record or {"source": {"kind": "group"}, "items": []}, sources)
    return Draft(
        sender_id=sender_id,
        conversation_id=0,
        client_msg_id="",
        kind=message.kind,
        body=message.body,
        html=render_markdown(message.body) if message.kind == "markdown" else None,
        reply_to_id=None,
        file_id=message.file_id,
        sources=sources,
    )


def _comment(sender_id: int, body: str) -> Draft:
    """The forwarder's own words after the forward: an ordinary text message, mentions and all."""
    mentioned = find_mentions(body)
    return Draft(
        sender_id=sender_id,
        conversation_id=0,
        client_msg_id="",
        kind="text",
        body=body,
        html=None,
        reply_to_id=None,
        mention_names=mentioned.usernames,
        mention_everyone=mentioned.everyone,
    )


def _to(part: Draft, conversation_id: int, client_msg_id: str) -> Draft:
    """A fresh draft of ``part`` for one target (a draft carries its own future)."""
    return Draft(
        sender_id=part.sender_id,
        conversation_id=conversation_id,
        client_msg_id=client_msg_id,
        kind=part.kind,
        body=part.body,
        html=part.html,
        reply_to_id=None,
        mention_names=part.mention_names,
        mention_everyone=part.mention_everyone,
        file_id=part.file_id,
        record=part.record,
        sources=part.sources,
    )
