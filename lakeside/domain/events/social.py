"""Events of the social products: friend requests, friendships and blocks (services/friends.py).

Each goes to users, never to a conversation. A block is private: the blocked person is never sent
a ``block`` event, and what they do see (a friendship ending, their request declined) looks
exactly like an ordinary unfriend or decline.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import Event, declare, shared

BOTH = "sender and recipient"
BLOCKER = "the blocker only"


@shared
class FriendRequest(Event):
    """A friend request as both sides see it (``friends.request_out``); the users are public
    profiles ``{id, username, display_name, avatar_url}``."""

    id: int
    from_user: dict[str, Any]
    to_user: dict[str, Any]
    greeting: str
    status: str
    created_at: int
    decided_at: int | None


@declare("friend_request", "created", to="users", addressed_to=BOTH)
class FriendRequestCreated(FriendRequest):
    """the request `{id, from_user, to_user, greeting, status, created_at, decided_at}` (users as
    public profiles)"""


@declare("friend_request", "accepted", to="users", addressed_to=BOTH)
class FriendRequestAccepted(FriendRequest):
    """the request, `status` accepted (each side also gets `friend.added`)"""


@declare("friend_request", "declined", to="users", addressed_to=BOTH)
class FriendRequestDeclined(FriendRequest):
    """the request, `status` declined (also when the recipient blocks the sender)"""


@declare("friend_request", "cancelled", to="users", addressed_to=BOTH)
class FriendRequestCancelled(FriendRequest):
    """the request, `status` cancelled (also when the sender blocks the recipient)"""


@shared
class FriendEntry(Event):
    """One side's entry for a friend (``friends.friend_out``): the friend's public profile, the
    remark this side gave them, and since when."""

    user: dict[str, Any]
    remark: str | None
    since: int


@declare("friend", "added", to="users", addressed_to="both new friends")
class FriendAdded(FriendEntry):
    """the friend entry `{user, remark, since}`: each of the two gets the other as `user`"""


@declare("friend", "removed", to="users", addressed_to="both former friends")
class FriendRemoved(FriendEntry):
    """the friend entry `{user, remark, since}` as it was: unfriended or blocked, by either side"""


@declare("friend", "updated", to="users", addressed_to="the user who set the remark")
class FriendUpdated(FriendEntry):
    """the friend entry `{user, remark, since}` with its new remark (your other devices)"""


@shared
class BlockEntry(Event):
    """A block as the blocker sees it (``friends.block_out``)."""

    user: dict[str, Any]
    since: int


@declare("block", "added", to="users", addressed_to=BLOCKER)
class BlockAdded(BlockEntry):
    """the block `{user, since}` (`user` the blocked person's public profile)"""


@declare("block", "removed", to="users", addressed_to=BLOCKER)
class BlockRemoved(BlockEntry):
    """the block `{user, since}` that was lifted"""
