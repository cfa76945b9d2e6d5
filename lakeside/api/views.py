"""Response models for conversations and messages (the shapes in docs/api.md and docs/protocol.md),
and the id types their routes accept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, Field

from lakeside.api.schemas import UserOut
from lakeside.domain.inputs import MAX_ID, Id

# Ids are 64-bit in storage (lakeside.domain.inputs): a larger number is refused at the edge.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
IdField = Id
AfterQuery = Annotated[int, Query(ge=0, le=MAX_ID, description="The last id of the previous page")]


class FileOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    url: str
    thumbnail_url: str | None


class QuoteOut(BaseModel):
    id: int
    seq: int | None
    sender_id: int | None
    kind: str | None
    body: str
    recalled: bool


class ReactionOut(BaseModel):
    emoji: str
    count: int
    user_ids: list[int]


class RecordSourceOut(BaseModel):
    kind: str = Field(description="direct: a chat of the two people named; group: a group chat (unnamed).")
    names: list[str] | None = None


class RecordLineOut(BaseModel):
    name: str
    kind: str
    text: str = Field(description="A text's first characters; empty for other kinds (the client names them).")


class RecordCardOut(BaseModel):
    source: RecordSourceOut
    count: int
    preview: list[RecordLineOut]


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    seq: int
    sender_id: int | None
    client_msg_id: str | None
    kind: str
    body: str
    html: str | None
    mentions: list[int]
    mention_all: bool
    reply_to: QuoteOut | None
    file: FileOut | None
    reactions: list[ReactionOut]
    created_at: int
    edited_at: int | None
    recalled: bool
    recalled_at: int | None
    recalled_by: int | None
    unread_count: int | None = Field(
        default=None, description="On your own messages in history: how many members have not read it yet."
    )
    duration_ms: int | None = Field(default=None, description="A voice message's length in milliseconds.")
    record: RecordCardOut | None = Field(
        default=None, description="A merged forward's card; open it with GET /api/v1/messages/{id}/record."
    )
    card: dict[str, Any] | None = Field(
        default=None,
        description=(
            "A card a robot or bot posted (kind card): blocks of markdown (with its safe rendering in html), "
            "sections, buttons, links and images; see docs/integrations.md. The body holds its plain text."
        ),
    )
    played: bool | None = Field(
        default=None,
        description=(
            "A voice message someone else sent, in history and GET /api/v1/messages/{id}: whether you "
            "have played it (the red dot). Absent elsewhere (live events are the same for everyone)."
        ),
    )


class PreviewOut(BaseModel):
    id: int
    sender_id: int | None
    kind: str
    body: str
    recalled: bool
    created_at: int


class DraftOut(BaseModel):
    conversation_id: int
    text: str = Field(description="Your unsent text; empty once cleared (or never written).")
    updated_at: int = Field(description="When it was written (ms); the last writer wins. 0: never.")


class MuteOut(BaseModel):
    until: int | None = Field(description="When the mute ends (ms); null: until an owner or admin lifts it.")


class ConversationOut(BaseModel):
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
    role: str
    read_seq: int
    unread: int
    pinned: bool
    muted: bool = Field(description="Your own notification setting (免打扰).")
    mute_all: bool = Field(description="全员禁言: only the owner and admins may send.")
    my_mute: MuteOut | None = Field(description="禁言: whether you may not send here, and until when.")
    join_approval: bool = Field(description="入群验证: joining through the invite link needs approval.")
    peer: UserOut | None
    peer_read_seq: int | None
    last_message: PreviewOut | None
    draft: DraftOut | None = Field(default=None, description="Your draft here, if you ever saved one.")
    recall_window_seconds: int = Field(
        description="How long after sending a member may recall (撤回) their message here: the "
        "server's setting, or in an organization's conversation the organization's. Owners and "
        "admins of an organization's group may recall any message at any time."
    )
    edit_window_seconds: int = Field(description="How long after sending a message may be edited here.")


class ConversationPage(BaseModel):
    conversations: list[ConversationOut]
    next_cursor: str | None


class MemberOut(BaseModel):
    user: UserOut
    role: str
    joined_at: int
    mute: MuteOut | None = Field(description="禁言: the member may not send until then.")


class MessagePage(BaseModel):
    messages: list[MessageOut]
    has_more: bool


class ReadOut(BaseModel):
    conversation_id: int
    read_seq: int
    unread: int
