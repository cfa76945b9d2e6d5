"""Organization groups: the all-staff group and one group per department, kept in step with the
directory. They are conversations of kind ``org_all`` and ``department`` with ``organization_id``
set; nobody joins or leaves them by hand: joining the organization adds a person to all-staff,
sitting in a department adds them to its group, and leaving takes them out again.

Every function here runs inside the caller's unit of work, writes the same system messages and
emits the same events as ``services/conversations.py`` does for ordinary groups, so clients need
no special case: a ``member.added`` brings the group to a new member's list, a
``conversation.removed`` takes it away from a departed one (whose history of it stays stored).
"""

from __future__ import annotations

from lakeside.domain.events import to_conversation, to_users
from lakeside.domain.events.messaging import (
    ConversationCreated,
    ConversationRemoved,
    ConversationUpdated,
    MemberRemoved,
    MemberRoleChanged,
    MembersAdded,
)
from lakeside.services.context import UnitOfWork
from lakeside.services.conversations import conversation_summary
from lakeside.services.timeline import append_system_message
from lakeside.store import conversations as store


async def create_group(
    uow: UnitOfWork,
    *,
    organization_id: int,
    kind: str,
    title: str,
    actor_id: int,
    member_cap: int,
    now: int,
) -> int:
    conversation_id = await store.insert_conversation(
        uow.conn,
        {
            "kind": kind,
            "title": title[:64],
            "member_cap": member_cap,
            "last_activity_at": now,
            "created_by": actor_id,
            "created_at": now,
            "updated_at": now,
            "organization_id": organization_id,
        },
    )
    await append_system_message(
        uow, conversation_id, actor_id, {"action": "group_created", "title": title, "user_ids": []}, now
    )
    conversation = await store.get_conversation(uow.conn, conversation_id)
    assert conversation is not None
    uow.emit(
        ConversationCreated(**conversation_summary(conversation), member_ids=[]),
        to_conversation(conversation_id),
    )
    return conversation_id


async def join(
    uow: UnitOfWork, conversation_id: int, roles: dict[int, str], *, by: int, now: int
) -> list[int]:
    """Add whoever of ``roles`` is not a member yet; returns the ids added."""
    conversation = await store.get_conversation(uow.conn, conversation_id, for_update=True)
    if conversation is None:
        return []
    already = await store.existing_members(uow.conn, conversation_id, roles)
    new = {user_id: role for user_id, role in roles.items() if user_id not in already}
    if not new:
        return []
    await store.add_members(uow.conn, conversation_id, new, joined_seq=conversation.last_seq, now=now)
    added = sorted(new)
    # The newcomers join the audience first, so the system message reaches them live too.
    uow.emit(MembersAdded(user_ids=added, by=by), to_conversation(conversation_id, joining=added))
    await append_system_message(uow, conversation_id, by, {"action": "members_added", "user_ids": added}, now)
    return added


async def leave(uow: UnitOfWork, conversation_id: int, user_id: int, *, by: int, now: int) -> bool:
    """Take one person out of an organization group, if they are in it."""
    conversation = await store.get_conversation(uow.conn, conversation_id, for_update=True)
    if conversation is None or await store.get_membership(uow.conn, conversation_id, user_id) is None:
        return False
    action = "member_left" if by == user_id else "member_removed"
    await append_system_message(uow, conversation_id, by, {"action": action, "user_ids": [user_id]}, now)
    # As in conversations.py: to the group while the person is still in it, and to the person.
    uow.emit(MemberRemoved(user_id=user_id, by=by), to_conversation(conversation_id, leaving=[user_id]))
    uow.emit(ConversationRemoved(conversation_id=conversation_id, by=by), to_users(user_id))
    await store.remove_member(uow.conn, conversation_id, user_id, now)
    return True


async def set_role(uow: UnitOfWork, conversation_id: int, user_id: int, role: str) -> None:
    membership = await store.get_membership(uow.conn, conversation_id, user_id)
    if membership is None or membership.role == role:
        return
    await store.set_role(uow.conn, conversation_id, user_id, role)
    uow.emit(MemberRoleChanged(user_id=user_id, role=role), to_conversation(conversation_id))


async def rename(uow: UnitOfWork, conversation_id: int, title: str, *, by: int, now: int) -> None:
    conversation = await store.get_conversation(uow.conn, conversation_id, for_update=True)
    if conversation is None or conversation.title == title[:64]:
        return
    await store.update_conversation(uow.conn, conversation_id, {"title": title[:64], "updated_at": now})
    await append_system_message(uow, conversation_id, by, {"action": "group_renamed", "title": title}, now)
    updated = await store.get_conversation(uow.conn, conversation_id)
    assert updated is not None
    uow.emit(ConversationUpdated(**conversation_summary(updated)), to_conversation(conversation_id))


def group_role(org_role: str) -> str:
    """An organization's owner and admins manage its all-staff group."""
    return org_role if org_role in ("owner", "admin") else "member"
