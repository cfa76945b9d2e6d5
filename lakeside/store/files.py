"""Queries on uploaded files: recording an upload, and fetching a file only for those who may see it.

Who may download a file is decided in one query (``get_accessible_file``), so that the rule lives in
one place and a download costs one round trip.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, exists, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.text import index_tokens
from lakeside.store.tables import (
    approval_ccs,
    approval_files,
    approval_requests,
    approval_tasks,
    conversation_members,
    conversations,
    favorites,
    files,
    merged_record_files,
    messages,
    org_members,
    report_files,
    report_receivers,
    reports,
)


async def insert_file(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Record an upload, with its name as search tokens beside it (file search reads those)."""
    words, chars = index_tokens(values["filename"])
    await conn.execute(insert(files).values(**values, name_words=words, name_chars=chars))


async def get_file(conn: AsyncConnection, file_id: str) -> Row[Any] | None:
    return (await conn.execute(select(files).where(files.c.id == file_id))).first()


async def get_accessible_file(conn: AsyncConnection, file_id: str, user_id: int) -> Row[Any] | None:
    """The file if ``user_id`` may download it, else None (missing and forbidden look the same).

    Allowed: the uploader; anyone logged in for an avatar; a current member of a conversation in
    which a message that has not been recalled carries the file, or shows it in a merged forward's
    transcript, or whose group avatar it is; a user with a favourite that names the file (the
    saver keeps what they saved); a receiver of a sent daily report that carries it. A forward
    opens a file to the conversation it was sent to, and nothing else of the conversation it came
    from.
    """
    shared_with_user = exists().where(
        messages.c.file_id == files.c.id,
        messages.c.recalled_at.is_(None),
        conversation_members.c.conversation_id == messages.c.conversation_id,
        conversation_members.c.user_id == user_id,
    )
    in_record = exists().where(
        merged_record_files.c.file_id == files.c.id,
        messages.c.id == merged_record_files.c.message_id,
        messages.c.recalled_at.is_(None),
        conversation_members.c.conversation_id == messages.c.conversation_id,
        conversation_members.c.user_id == user_id,
    )
    group_avatar = exists().where(
        conversations.c.avatar_file_id == files.c.id,
        conversation_members.c.conversation_id == conversations.c.id,
        conversation_members.c.user_id == user_id,
    )
    saved_by_user = exists().where(favorites.c.file_id == files.c.id, favorites.c.user_id == user_id)
    in_approval = _in_visible_approval(user_id)
    # A sent daily report's attachments and images open to its receivers.
    in_report = exists().where(
        report_files.c.file_id == files.c.id,
        reports.c.id == report_files.c.report_id,
        reports.c.status == "sent",
        report_receivers.c.report_id == reports.c.id,
        report_receivers.c.user_id == user_id,
    )
    query = select(files).where(
        files.c.id == file_id,
        or_(
            files.c.owner_id == user_id,
            files.c.purpose == "avatar",
            shared_with_user,
            in_record,
            group_avatar,
            saved_by_user,
            in_approval,
            in_report,
        ),
    )
    return (await conn.execute(query)).first()


def _in_visible_approval(user_id: int) -> Any:
    """A file that an approval request (审批) the user sees names: its applicant's, its admins',
    and, unless the file is in a field hidden from approvers, its approvers' and copies' (while
    they are active members of its organization)."""
    member = exists().where(
        org_members.c.organization_id == approval_requests.c.organization_id,
        org_members.c.user_id == user_id,
        org_members.c.status == "active",
    )
    manager = exists().where(
        org_members.c.organization_id == approval_requests.c.organization_id,
        org_members.c.user_id == user_id,
        org_members.c.status == "active",
        org_members.c.role.in_(("owner", "admin")),
    )
    approver = exists().where(
        approval_tasks.c.request_id == approval_requests.c.id,
        approval_tasks.c.user_id == user_id,
        approval_tasks.c.status != "waiting",
    )
    copied = exists().where(
        approval_ccs.c.request_id == approval_requests.c.id, approval_ccs.c.user_id == user_id
    )
    return exists().where(
        approval_files.c.file_id == files.c.id,
        approval_requests.c.id == approval_files.c.request_id,
        or_(
            and_(approval_requests.c.applicant_id == user_id, member),
            manager,
            and_(~approval_files.c.hidden, member, or_(approver, copied)),
        ),
    )


async def get_owned_attachment(conn: AsyncConnection, file_id: str, owner_id: int) -> Row[Any] | None:
    """An attachment uploaded by ``owner_id``, or None: a sender may only attach their own uploads."""
    query = select(files).where(
        and_(files.c.id == file_id, files.c.owner_id == owner_id, files.c.purpose == "attachment")
    )
    return (await conn.execute(query)).first()


async def delete_if_unused(conn: AsyncConnection, file_id: str) -> bool:
    """Delete a file's row when no message, no merged forward, no conversation, no favourite and
    no approval request refers to it any more."""
    in_use = select(messages.c.id).where(messages.c.file_id == file_id).limit(1)
    as_avatar = select(conversations.c.id).where(conversations.c.avatar_file_id == file_id).limit(1)
    saved = select(favorites.c.id).where(favorites.c.file_id == file_id).limit(1)
    in_record = (
        select(merged_record_files.c.message_id).where(merged_record_files.c.file_id == file_id).limit(1)
    )
    in_approval = select(approval_files.c.request_id).where(approval_files.c.file_id == file_id).limit(1)
    for reference in (in_use, in_record, as_avatar, saved, in_approval):
        if (await conn.execute(reference)).first():
            return False
    result = await conn.execute(delete(files).where(files.c.id == file_id))
    return result.rowcount > 0
