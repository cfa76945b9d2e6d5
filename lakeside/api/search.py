"""Search: full text over the messages the caller may see; conversations and contacts by name,
pinyin or initials; files by name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, UserOut
from lakeside.api.views import MAX_ID, ConversationOut, FileOut, MessageOut
from lakeside.domain.inputs import Text

router = APIRouter(prefix="/api/v1", tags=["search"], responses=ERRORS)


class SearchHitOut(BaseModel):
    message: MessageOut
    conversation_id: int
    snippet: str = Field(description="Plain text around the first match, at most 80 characters.")


class SearchPage(BaseModel):
    results: list[SearchHitOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; null on the last.")


@router.get("/search/messages", response_model=SearchPage)
async def search_messages(
    user: UserDep,
    services: ServicesDep,
    q: Annotated[Text, Query(description="Words or Chinese text, at most 200 characters; all must match.")],
    conversation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sender_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Sent at or after this time (ms).")
    ] = None,
    before: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Sent before this time (ms).")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the previous page.")
    ] = None,
) -> SearchPage:
    """Messages matching every word of `q` in conversations the caller is a member of, newest
    first. Chinese matches as written (contiguous), Latin words by prefix, case-insensitively."""
    hits, next_cursor = await services.search.search_messages(
        user,
        q,
        conversation_id=conversation_id,
        sender_id=sender_id,
        after=after,
        before=before,
        limit=limit,
        cursor=cursor,
    )
    return SearchPage(results=[SearchHitOut(**hit) for hit in hits], next_cursor=next_cursor)


NameQuery = Annotated[
    Text,
    Query(max_length=200, description="A name as written, in full pinyin, or by initials (zs finds 张三)."),
]


class ConversationHits(BaseModel):
    results: list[ConversationOut]


class ContactOrganizationOut(BaseModel):
    id: int
    name: str
    member_name: str = Field(description="The person's name in that organization.")
    title: str | None


class ContactHitOut(BaseModel):
    user: UserOut
    remark: str | None = Field(description="Your remark for a friend.")
    is_friend: bool
    organizations: list[ContactOrganizationOut] = Field(description="Organizations you share, where found.")


class ContactHits(BaseModel):
    results: list[ContactHitOut]


class FileHitOut(BaseModel):
    file: FileOut
    message_id: int
    conversation_id: int
    seq: int
    sender_id: int | None
    sent_at: int


class FileHitPage(BaseModel):
    results: list[FileHitOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; null on the last.")


@router.get("/search/conversations", response_model=ConversationHits)
async def search_conversations(
    user: UserDep, services: ServicesDep, q: NameQuery, limit: Annotated[int, Query(ge=1, le=50)] = 20
) -> ConversationHits:
    """The caller's conversations by name: group titles, and direct chats by the other person's
    name, username or your remark, each as written, in full pinyin or by initials."""
    views = await services.search.search_conversations(user, q, limit=limit)
    return ConversationHits(results=[ConversationOut(**view) for view in views])


@router.get("/search/contacts", response_model=ContactHits)
async def search_contacts(
    user: UserDep, services: ServicesDep, q: NameQuery, limit: Annotated[int, Query(ge=1, le=50)] = 20
) -> ContactHits:
    """Friends and colleagues (the organizations you are in) by name, pinyin or initials; friends first."""
    hits = await services.search.search_contacts(user, q, limit=limit)
    return ContactHits(results=[ContactHitOut(**hit) for hit in hits])


@router.get("/search/files", response_model=FileHitPage)
async def search_files(
    user: UserDep,
    services: ServicesDep,
    q: Annotated[Text, Query(description="Words of the file name, Chinese included; all must match.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the previous page.")
    ] = None,
) -> FileHitPage:
    """Files sent in the conversations the caller is in now, by file name, newest first."""
    hits, next_cursor = await services.search.search_files(user, q, limit=limit, cursor=cursor)
    return FileHitPage(results=[FileHitOut(**hit) for hit in hits], next_cursor=next_cursor)
