"""The event declarations (lakeside/domain/events) as the reference: each says what it carries
and to whom, docs/protocol.md's table is theirs, each has an emitter, the wire keys of each are
what clients have always received, and an event goes only to an audience of a kind it declares."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lakeside.domain.events import (
    EVENTS,
    NOBODY,
    TABLE_END,
    TABLE_START,
    Audience,
    Event,
    protocol_table,
    to_conversation,
    to_users,
)
from lakeside.domain.events.enterprise import DepartmentDeleted, OrgMemberUpdated
from lakeside.services.context import UnitOfWork
from lakeside.services.orgaccess import emit_to_org

ROOT = Path(__file__).resolve().parent.parent
KINDS: dict[str, Audience] = {
    "conversation": to_conversation(1),
    "users": to_users(1, 2),
    "nobody": NOBODY,
}


def dummy(cls: type[Event]) -> Event:
    """An instance with every field None (the declarations check no types at run time)."""
    return cls(**{f.name: None for f in dataclasses.fields(cls) if f.init})  # type: ignore[arg-type]


@pytest.mark.parametrize("key", list(EVENTS), ids=lambda key: ".".join(key))
def test_each_declaration_says_what_it_carries_and_to_whom(key: tuple[str, str]) -> None:
    cls = EVENTS[key]
    assert (cls.type, cls.op) == key
    assert (cls.__doc__ or "").strip(), f"{cls.__name__} has no docstring (its data, for protocol.md)"
    assert cls.addressed_to.strip(), f"{cls.__name__} says nobody it is addressed to"
    assert cls.audiences and cls.audiences <= set(KINDS), f"{cls.__name__}: audiences {cls.audiences}"


def test_protocol_md_holds_the_generated_table() -> None:
    document = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert document.count(TABLE_START) == 1 and document.count(TABLE_END) == 1
    between = document.split(TABLE_START + "\n", 1)[1].split(TABLE_END, 1)[0]
    assert between == protocol_table(), (
        "docs/protocol.md's event table is not the declarations' (lakeside/domain/events): "
        "run `make events-doc` (python -m lakeside.domain.events) to rewrite it"
    )


def test_the_table_groups_events_by_product() -> None:
    modules = [cls.__module__.rsplit(".", 1)[1] for cls in EVENTS.values()]
    order = ["messaging", "social", "enterprise", "growth", "commands", "approvals", "reports", "todos"]
    assert modules == sorted(modules, key=order.index), "declarations out of product order"


def referenced_names() -> set[str]:
    """Names used (not imported) in lakeside/ outside the declarations themselves."""
    names: set[str] = set()
    for path in (ROOT / "lakeside").rglob("*.py"):
        if (ROOT / "lakeside" / "domain") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
    return names


def test_every_declared_event_has_an_emitter() -> None:
    used = referenced_names()
    idle = sorted(f"{cls.__name__} ({t}.{op})" for (t, op), cls in EVENTS.items() if cls.__name__ not in used)
    assert not idle, f"declared but emitted nowhere in lakeside/: {idle}"


# The keys of each event's data, in order, as the log kept them before the events were declared
# (read from the log of tests/test_authz_matrix.py's world, issue 13): clients rely on them.
# Message events are left out (their wire data is the message itself), and so is
# conversation.settings (only what changed is there).
TODO_KEYS = (
    "id",
    "organization_id",
    "creator_id",
    "creator_name",
    "title",
    "description",
    "html",
    "priority",
    "due_at",
    "remind_at",
    "source",
    "message_id",
    "conversation_id",
    "ding_id",
    "assignees",
    "done_at",
    "created_at",
    "updated_at",
)
WIRE_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("message", "reaction"): ("message_id", "reactions"),
    ("receipt", "read"): ("user_id", "read_seq", "from_seq"),
    ("conversation", "created"): (
        "id",
        "kind",
        "title",
        "avatar_url",
        "member_count",
        "member_cap",
        "last_seq",
        "last_activity_at",
        "created_by",
        "created_at",
        "member_ids",
    ),
    ("conversation", "updated"): (
        "id",
        "kind",
        "title",
        "avatar_url",
        "member_count",
        "member_cap",
        "last_seq",
        "last_activity_at",
        "created_by",
        "created_at",
    ),
    ("conversation", "removed"): ("conversation_id", "by"),
    ("draft", "updated"): ("conversation_id", "updated_at"),
    ("member", "added"): ("user_ids", "by"),
    ("member", "removed"): ("user_id", "by"),
    ("member", "role"): ("user_id", "role"),
    # `bot` added with robots (issue 16): a client that does not know it ignores it.
    ("user", "updated"): ("id", "username", "display_name", "avatar_url", "deleted", "bot"),
    ("session", "revoked"): ("session_id",),
    ("export", "updated"): (
        "id",
        "organization_id",
        "status",
        "size",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
        "download_url",
    ),
    **{
        ("friend_request", op): (
            "id",
            "from_user",
            "to_user",
            "greeting",
            "status",
            "created_at",
            "decided_at",
        )
        for op in ("created", "accepted", "declined", "cancelled")
    },
    **{("friend", op): ("user", "remark", "since") for op in ("added", "removed", "updated")},
    **{("block", op): ("user", "since") for op in ("added", "removed")},
    ("organization", "joined"): (
        "id",
        "name",
        "logo_url",
        "logo_file_id",
        "owner_id",
        "invite_policy",
        "join_approval",
        "recall_window_seconds",
        "edit_window_seconds",
        "members_see_read_receipts",
        "all_staff_conversation_id",
        "member_count",
        "created_at",
        "my_role",
    ),
    ("organization", "removed"): ("organization_id", "by"),
    ("organization", "updated"): (
        "id",
        "name",
        "logo_url",
        "logo_file_id",
        "owner_id",
        "invite_policy",
        "join_approval",
        "recall_window_seconds",
        "edit_window_seconds",
        "members_see_read_receipts",
        "all_staff_conversation_id",
        "member_count",
        "created_at",
        "my_role",
        "organization_id",
    ),
    ("org_member", "added"): ("organization_id", "user_id", "by"),
    ("org_member", "removed"): ("organization_id", "user_id", "by"),
    ("org_member", "updated"): ("user_id", "organization_id"),
    ("org_member", "role"): ("organization_id", "user_id", "role"),
    **{
        ("department", op): (
            "id",
            "organization_id",
            "parent_id",
            "name",
            "depth",
            "sort_order",
            "member_count",
            "leader_ids",
            "conversation_id",
        )
        for op in ("created", "updated")
    },
    ("department", "deleted"): ("id", "organization_id"),
    **{
        ("join_request", op): (
            "id",
            "organization_id",
            "organization_name",
            "user",
            "message",
            "status",
            "decided_by",
            "created_at",
            "decided_at",
        )
        for op in ("created", "decided")
    },
    ("org_invitation", "received"): (
        "id",
        "organization_id",
        "phone",
        "email",
        "name",
        "invited_by",
        "status",
        "user_id",
        "created_at",
        "decided_at",
        "organization_name",
        "organization_logo_url",
    ),
    **{
        ("ding", op): (
            "id",
            "organization_id",
            "sender_id",
            "body",
            "recalled",
            "message_id",
            "conversation_id",
            "announcement_id",
            "status",
            "send_at",
            "sent_at",
            "recipient_count",
            "confirmed_count",
            "created_at",
            "confirmed_at",
        )
        for op in ("created", "scheduled", "renotified")
    },
    ("ding", "cancelled"): ("ding_id",),
    ("ding", "confirmed"): ("ding_id", "user_id", "confirmed_at", "confirmed_count"),
    ("ding", "attempt"): (
        "id",
        "ding_id",
        "user_id",
        "channel",
        "trigger",
        "status",
        "detail",
        "created_at",
        "finished_at",
    ),
    **{
        ("announcement", op): (
            "id",
            "organization_id",
            "author_id",
            "title",
            "body",
            "html",
            "pinned",
            "audience",
            "department_ids",
            "ding_id",
            "created_at",
            "updated_at",
            "read_at",
        )
        for op in ("published", "updated")
    },
    ("announcement", "deleted"): ("id", "organization_id", "audience"),
    ("announcement", "read"): ("announcement_id", "user_id"),
    ("approval", "updated"): ("organization_id", "approval", "action"),
    ("approval_template", "updated"): ("organization_id", "template_id", "name", "enabled", "version"),
    ("campaign", "leaderboard"): ("campaign_id", "organization_id"),
    **{
        ("wallet", op): ("transaction_id", "amount_fen", "balance_fen", "kind")
        for op in ("credited", "debited")
    },
    ("fraud_flag", "changed"): ("campaign_id", "user_id"),
    # Group tools and favourites (issue 14): as declared when they were added.
    ("message_pin", "added"): ("message_id", "seq", "pinned_by", "pinned_at"),
    ("message_pin", "removed"): ("message_id", "by"),
    ("group_notice", "updated"): ("conversation_id", "body", "version", "updated_by", "updated_at"),
    ("group_notice", "cleared"): ("conversation_id", "by"),
    ("group_notice", "acknowledged"): ("user_id", "version", "acked_at"),
    ("conversation", "mute_all"): ("mute_all", "by"),
    ("member", "muted"): ("user_id", "until", "by"),
    ("member", "unmuted"): ("user_id", "by"),
    **{
        ("group_join_request", op): (
            "id",
            "conversation_id",
            "conversation_title",
            "user",
            "message",
            "status",
            "decided_by",
            "created_at",
            "decided_at",
        )
        for op in ("created", "decided")
    },
    ("favorite", "added"): (
        "id",
        "message_id",
        "conversation_id",
        "source",
        "sender",
        "kind",
        "body",
        "recalled",
        "html",
        "file",
        "sent_at",
        "created_at",
    ),
    ("favorite", "removed"): ("id", "message_id"),
    ("message", "played"): ("message_id", "conversation_id", "played_at"),
    ("command", "invoked"): ("invocation_id", "conversation_id", "command", "args", "invoker"),
    ("command", "replied"): ("invocation_id", "conversation_id", "command", "bot_id", "text"),
    ("report", "sent"): ("report",),
    ("report", "read"): ("report_id", "user_id", "read_at"),
    ("report", "commented"): ("report_id", "comment"),
    ("report_template", "changed"): ("organization_id", "template"),
    ("todo", "created"): TODO_KEYS,
    ("todo", "updated"): TODO_KEYS,
    ("todo", "removed"): ("id", "organization_id"),
    ("todo", "deleted"): ("id", "organization_id"),
}
NOT_BY_KEYS = {
    ("message", "created"),
    ("message", "edited"),
    ("message", "recalled"),
    ("conversation", "settings"),
}


def test_wire_keys_are_what_clients_always_received() -> None:
    assert set(WIRE_KEYS) | NOT_BY_KEYS == set(EVENTS), "a new event: add its keys here"
    changed = {
        key: (tuple(dummy(EVENTS[key]).data()), keys)
        for key, keys in WIRE_KEYS.items()
        if tuple(dummy(EVENTS[key]).data()) != keys
    }
    assert not changed, f"(declared, on the wire so far): {changed}"


def test_a_view_becomes_its_event_unchanged() -> None:
    # What the services do: the view's dict, as keyword arguments, is the event's data again.
    view: dict[str, Any] = {"id": 7, "organization_id": 3}
    assert DepartmentDeleted(**view).data() == view
    with pytest.raises(TypeError):  # a key the declaration lacks is refused, not dropped
        DepartmentDeleted(**view, extra=1)  # type: ignore[call-arg]


@pytest.mark.parametrize("key", list(EVENTS), ids=lambda key: ".".join(key))
def test_emit_refuses_an_audience_the_class_does_not_declare(key: tuple[str, str]) -> None:
    cls = EVENTS[key]
    uow = UnitOfWork(None)  # type: ignore[arg-type]  # emit touches no connection
    for kind, audience in KINDS.items():
        if kind in cls.audiences:
            uow.emit(dummy(cls), audience)
            assert uow.emitted[-1][1] is audience
        else:
            with pytest.raises(TypeError, match=f"{cls.type}.{cls.op} goes to"):
                uow.emit(dummy(cls), audience)
    assert len(uow.emitted) == len(cls.audiences)


def test_emit_to_org_chooses_the_all_staff_group_or_nothing() -> None:
    organization = SimpleNamespace(id=3, all_staff_conversation_id=40)
    uow = UnitOfWork(None)  # type: ignore[arg-type]
    event = OrgMemberUpdated(user_id=5, organization_id=3)
    emit_to_org(uow, organization, event)  # type: ignore[arg-type]
    assert uow.emitted == [(event, to_conversation(40))]
    assert event.data() == {"user_id": 5, "organization_id": 3}
    emit_to_org(uow, SimpleNamespace(id=3, all_staff_conversation_id=None), event)  # type: ignore[arg-type]
    assert len(uow.emitted) == 1  # no all-staff group: nobody hears of it
    with pytest.raises(TypeError, match="does not name organization 4"):
        emit_to_org(uow, SimpleNamespace(id=4, all_staff_conversation_id=41), event)  # type: ignore[arg-type]
