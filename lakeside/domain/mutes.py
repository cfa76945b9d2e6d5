"""Mute (禁言): who may not send in a conversation, and until when.

An owner or admin mutes a member for a while or until lifted (``conversation_members.mute_until``:
the end in ms, ``FOREVER`` for "until lifted"), or mutes everyone at once (全员禁言,
``conversations.mute_all``), which never silences the owner or the admins. A mute that has run
out needs no write: it is over once ``now`` passes its end. The send path applies
``refusal`` to a whole batch with what it reads in one query (store ``send_context``).
"""

from __future__ import annotations

from lakeside.errors import Forbidden

FOREVER = 2**63 - 1  # ``mute_until`` of a mute that lasts until lifted
MANAGERS = ("owner", "admin")
MIN_SECONDS = 60
MAX_SECONDS = 30 * 86_400


def active_until(mute_until: int | None, now: int) -> int | None:
    """The end of a member's mute if it is on at ``now`` (``FOREVER`` until lifted), else None."""
    return mute_until if mute_until is not None and mute_until > now else None


def public_until(mute_until: int) -> int | None:
    """A mute's end as clients see it: null for "until lifted"."""
    return None if mute_until >= FOREVER else mute_until


def refusal(role: str, mute_all: bool, mute_until: int | None, now: int) -> Forbidden | None:
    """Why a member with ``role`` may not send now (403 ``MUTED``), or None if they may.

    Mute-all comes first: it has no end, so a member muted for ten minutes while everyone is
    muted learns that the whole group is, not a time after which they still could not send."""
    if mute_all and role not in MANAGERS:
        return Forbidden(
            "Everyone is muted in this group: only the owner and admins may send.",
            code="MUTED",
            scope="all",
            until=None,
        )
    until = active_until(mute_until, now)
    if until is not None:
        return Forbidden(
            "You are muted in this conversation until an owner or admin lifts it."
            if until >= FOREVER
            else "You are muted in this conversation until the time in `until` (ms).",
            code="MUTED",
            scope="member",
            until=public_until(until),
        )
    return None
