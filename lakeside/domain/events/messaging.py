"""Events of the messaging core: messages, conversations and their members, read receipts,
accounts and sessions."""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import Event, declare, live_only, shared

CONVERSATION = "conversation"
MESSAGE_DOC = "the message, as `GET /api/v1/messages/{id}` returns it"


class MessageEvent(Event):
    """A message event keeps only the message's id in the log; live delivery sends the message
    itself, and catch-up reads it back as it is then (a message recalled since replays as its
    tombstone, so recalled content is never sent again)."""

    message_id: int
    message: dict[str, Any] | None

    def live(self) -> Any:
        return self.message if self.message is not None else self.data()


@declare("message", "created", to="conversation", addressed_to=CONVERSATION)
class MessageCreated(MessageEvent):
    """the message (the log keeps `{message_id, seq}`)"""

    message_id: int
    seq: int
    message: dict[str, Any] | None = live_only()

    def data(self) -> dict[str, Any]:  # the send path's hot spot: no generic field walk
        return {"message_id": self.message_id, "seq": self.seq}


@declare("message", "edited", to="conversation", addressed_to=CONVERSATION)
class MessageEdited(MessageEvent):
    """the message as it is now"""

    message_id: int
    message: dict[str, Any] | None = live_only()


@declare("message", "recalled", to="conversation", addressed_to=CONVERSATION)
class MessageRecalled(MessageEvent):
    """the tombstone (`recalled: true`, empty body, no file)"""

    message_id: int
    message: dict[str, Any] | None = live_only()


@declare("message", "reaction", to="conversation", addressed_to=CONVERSATION)
class ReactionsChanged(Event):
    """`{message_id, reactions: [{emoji, count, user_ids}]}`"""

    message_id: int
    reactions: list[dict[str, Any]]


@declare(
    "receipt", "read", to="conversation", addressed_to="the senders of the messages read, and the reader"
)
class MessagesRead(Event):
    """`{user_id, read_seq, from_seq}`: the reader's cursor moved from `from_seq` to `read_seq`"""

    user_id: int
    read_seq: int
    from_seq: int


@shared
class ConversationSummary(Event):
    """What every member may know of a conversation (``conversation_summary``)."""

    id: int
    kind: str
    title: str | None
    avatar_url: str | None
    member_count: int
    member_cap: int
    last_seq: int
    last_activity_at: int
    created_by: int | None
    created_at: int


@declare("conversation", "created", to="conversation", addressed_to=CONVERSATION)
class ConversationCreated(ConversationSummary):
    """the conversation summary and `member_ids`"""

    member_ids: list[int]


@declare("conversation", "updated", to="conversation", addressed_to=CONVERSATION)
class ConversationUpdated(ConversationSummary):
    """the conversation summary (title, avatar...)"""


@declare("conversation", "removed", to="users", addressed_to="the removed user")
class ConversationRemoved(Event):
    """`{conversation_id, by}`: you are no longer a member"""

    conversation_id: int
    by: int | None


@declare("conversation", "settings", to="users", addressed_to="the user")
class ConversationSettingsChanged(Event):
    """`{conversation_id, pinned?, muted?}` (your other devices); only what changed is there"""

    conversation_id: int
    pinned: bool | None = None
    muted: bool | None = None

    def data(self) -> dict[str, Any]:
        return {k: v for k, v in super().data().items() if v is not None}


@declare("draft", "updated", to="users", addressed_to="the user")
class DraftUpdated(Event):
    """`{conversation_id, updated_at, text}`: your draft in the conversation (your other devices;
    empty text: cleared). The log keeps `{conversation_id, updated_at}`: an event read back from it
    (a replay) has no `text`; fetch `GET /api/v1/conversations/{id}/draft`"""

    conversation_id: int
    updated_at: int
    text: str | None = live_only()

    def live(self) -> Any:
        return {**self.data(), "text": self.text}


@declare("member", "added", to="conversation", addressed_to=CONVERSATION)
class MembersAdded(Event):
    """`{user_ids, by}`"""

    user_ids: list[int]
    by: int | None


@declare("member", "removed", to="conversation", addressed_to=CONVERSATION)
class MemberRemoved(Event):
    """`{user_id, by}`"""

    user_id: int
    by: int | None


@declare("member", "role", to="conversation", addressed_to=CONVERSATION)
class MemberRoleChanged(Event):
    """`{user_id, role}`"""

    user_id: int
    role: str


@declare("user", "updated", to="users", addressed_to="the user")
class UserUpdated(Event):
    """the public profile `{id, username, display_name, avatar_url, deleted, bot}`"""

    id: int
    username: str
    display_name: str
    avatar_url: str | None
    deleted: bool = False
    bot: str | None = None  # a bot's kind (services/bots.py), as in every user view


@declare("session", "revoked", to="users", addressed_to="the user")
class SessionRevoked(Event):
    """`{session_id}`; the socket of that session is closed (4001)"""

    session_id: int


@declare(
    "export", "updated", to="users", addressed_to="the user who asked for the export (their own devices)"
)
class ExportUpdated(Event):
    """the export job `{id, organization_id, status, size, error, created_at, started_at,
    finished_at, expires_at, download_url}` as `GET …/exports` lists it: `running`, then `ready`
    (download it from `download_url` until `expires_at`) or `failed`"""

    id: int
    organization_id: int | None
    status: str
    size: int | None
    error: str
    created_at: int
    started_at: int | None
    finished_at: int | None
    expires_at: int | None
    download_url: str | None


# -- group tools: pinned messages, the group notice, mute, joining by link ---------------------

MANAGERS_AND_ACTOR = "the group's owner and admins"


@declare("message_pin", "added", to="conversation", addressed_to=CONVERSATION)
class MessagePinned(Event):
    """`{message_id, seq, pinned_by, pinned_at}`: a message pinned at the top of the chat (read the
    list from `GET /api/v1/conversations/{id}/pins`)"""

    message_id: int
    seq: int
    pinned_by: int
    pinned_at: int


@declare("message_pin", "removed", to="conversation", addressed_to=CONVERSATION)
class MessageUnpinned(Event):
    """`{message_id, by}`: unpinned, or recalled (`by` the one who recalled it)"""

    message_id: int
    by: int | None


@declare("group_notice", "updated", to="conversation", addressed_to=CONVERSATION)
class GroupNoticeUpdated(Event):
    """the notice `{conversation_id, body, version, updated_by, updated_at}`: a new `version` asks
    every member to acknowledge it again"""

    conversation_id: int
    body: str
    version: int
    updated_by: int | None
    updated_at: int


@declare("group_notice", "cleared", to="conversation", addressed_to=CONVERSATION)
class GroupNoticeCleared(Event):
    """`{conversation_id, by}`: the group has no notice any more"""

    conversation_id: int
    by: int


@declare(
    "group_notice",
    "acknowledged",
    to="conversation",
    addressed_to=f"{MANAGERS_AND_ACTOR}, and the member who acknowledged",
)
class GroupNoticeAcknowledged(Event):
    """`{user_id, version, acked_at}`"""

    user_id: int
    version: int
    acked_at: int


@declare("conversation", "mute_all", to="conversation", addressed_to=CONVERSATION)
class MuteAllChanged(Event):
    """`{mute_all, by}`: 全员禁言 on or off; the owner and admins may still send"""

    mute_all: bool
    by: int


@declare("member", "muted", to="conversation", addressed_to=CONVERSATION)
class MemberMuted(Event):
    """`{user_id, until, by}`: the member may not send until `until` (ms; null: until lifted); no
    event marks a mute running out"""

    user_id: int
    until: int | None
    by: int


@declare("member", "unmuted", to="conversation", addressed_to=CONVERSATION)
class MemberUnmuted(Event):
    """`{user_id, by}`: the member's mute was lifted"""

    user_id: int
    by: int


@shared
class GroupJoinRequest(Event):
    """A request to join a group through its invite link (``group_invites.request_view``)."""

    id: int
    conversation_id: int
    conversation_title: str | None
    user: dict[str, Any]
    message: str
    status: str
    decided_by: int | None
    created_at: int
    decided_at: int | None


@declare("group_join_request", "created", to="conversation", addressed_to=MANAGERS_AND_ACTOR)
class GroupJoinRequestCreated(GroupJoinRequest):
    """the request `{id, conversation_id, conversation_title, user, message, status, decided_by,
    created_at, decided_at}`, `status` pending"""


@declare(
    "group_join_request",
    "decided",
    to=("users", "conversation"),
    addressed_to=f"the requester, and {MANAGERS_AND_ACTOR}",
)
class GroupJoinRequestDecided(GroupJoinRequest):
    """the request, `status` approved or rejected (an approved requester also gets `member.added`
    with the group)"""


# -- favourites ------------------------------------------------------------------------------


@declare("favorite", "added", to="users", addressed_to="the user")
class FavoriteAdded(Event):
    """the favourite, as `GET /api/v1/favorites` lists it (your other devices)"""

    id: int
    message_id: int
    conversation_id: int
    source: dict[str, Any]
    sender: dict[str, Any]
    kind: str
    body: str
    recalled: bool
    html: str | None
    file: dict[str, Any] | None
    sent_at: int
    created_at: int


@declare("favorite", "removed", to="users", addressed_to="the user")
class FavoriteRemoved(Event):
    """`{id, message_id}` (your other devices)"""

    id: int
    message_id: int


# -- voice messages --------------------------------------------------------------------------


@declare("message", "played", to="users", addressed_to="the user")
class VoicePlayed(Event):
    """`{message_id, conversation_id, played_at}`: you played a voice message (your other devices
    clear its red dot); nobody else learns who listened"""

    message_id: int
    conversation_id: int
    played_at: int
