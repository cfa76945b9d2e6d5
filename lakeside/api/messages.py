"""Messages: send, history, edit, recall, reactions, read cursor.

Sending over HTTP has two routes for one operation. ``send_message`` is the documented FastAPI
route. ``SendRoute``, placed first in the app's route table, answers the common case — a Bearer
token, a JSON body that ``SendIn`` accepts, a well-formed conversation id — without FastAPI's
route walk and dependency solving (most of the CPU of a send). Everything else (a cookie
session, a malformed or invalid body, a bad id) falls through to ``send_message``, so those
answers are FastAPI's own, byte for byte; the fast route's refusals (authentication, rate limit,
the send's rules) are the same exceptions, rendered by the same error handlers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Response, status
from pydantic import Field, ValidationError
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Strict
from lakeside.api.views import MAX_ID, IdField, IdPath, MessageOut, MessagePage, ReadOut

router = APIRouter(prefix="/api/v1", tags=["messages"], responses=ERRORS)


class SendIn(Strict):
    client_msg_id: str = Field(
        min_length=1,
        max_length=64,
        description="Chosen by the client, unique per sender. A retry with the same id returns the original.",
    )
    kind: Literal["text", "markdown", "image", "file"] = "text"
    body: str = Field(default="", max_length=65_536, description="Text, markdown, or a caption.")
    reply_to_id: IdField | None = None
    file_id: str | None = Field(default=None, max_length=32)


class EditIn(Strict):
    body: str = Field(max_length=65_536)


class ReadIn(Strict):
    seq: int = Field(ge=0, le=MAX_ID, description="The highest sequence number the caller has seen.")


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    dependencies=[limited("sends")],
    responses={200: {"model": MessageOut, "description": "A retry: the message stored before."}},
)
async def send_message(
    conversation_id: IdPath, body: SendIn, user: UserDep, services: ServicesDep, response: Response
) -> MessageOut:
    """Send a message. The reply comes after the message is committed (201), or, for a retried
    client_msg_id, is the message stored the first time (200)."""
    result = await services.messages.do_send(user, conversation_id, **body.model_dump())
    services.growth.activity.message_sent(user.id, created=result.created)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return MessageOut(**result.message)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    conversation_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    before_seq: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Older than this sequence number")
    ] = None,
    after_seq: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Newer than this sequence number")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """History in ascending sequence order: the newest page by default, older with before_seq,
    newer with after_seq. has_more says whether more lies in that direction."""
    rows, more = await services.messages.list_history(
        user, conversation_id, before_seq=before_seq, after_seq=after_seq, limit=limit
    )
    return MessagePage(messages=[MessageOut(**row) for row in rows], has_more=more)


@router.get("/messages/{message_id}", response_model=MessageOut)
async def get_message(message_id: IdPath, user: UserDep, services: ServicesDep) -> MessageOut:
    """One message of a conversation the caller belongs to."""
    return MessageOut(**await services.messages.get_message(user, message_id))


@router.patch("/messages/{message_id}", response_model=MessageOut)
async def edit_message(message_id: IdPath, body: EditIn, user: UserDep, services: ServicesDep) -> MessageOut:
    """Edit your own text or markdown message within the edit window."""
    return MessageOut(**await services.messages.do_edit(user, message_id, body.body))


@router.post("/messages/{message_id}/recall", response_model=MessageOut)
async def recall_message(message_id: IdPath, user: UserDep, services: ServicesDep) -> MessageOut:
    """撤回: delete the content from the server; everyone sees a tombstone."""
    return MessageOut(**await services.messages.do_recall(user, message_id))


Emoji = Annotated[str, Path(min_length=1, max_length=32)]


@router.put("/messages/{message_id}/reactions/{emoji}", response_model=MessageOut)
async def add_reaction(message_id: IdPath, emoji: Emoji, user: UserDep, services: ServicesDep) -> MessageOut:
    """React with an emoji (or a short name); reacting twice with the same one counts once."""
    return MessageOut(**await services.messages.do_react(user, message_id, emoji, add=True))


@router.delete("/messages/{message_id}/reactions/{emoji}", response_model=MessageOut)
async def remove_reaction(
    message_id: IdPath, emoji: Emoji, user: UserDep, services: ServicesDep
) -> MessageOut:
    """Take back the caller's reaction; taking back one that is not there changes nothing."""
    return MessageOut(**await services.messages.do_react(user, message_id, emoji, add=False))


@router.post("/conversations/{conversation_id}/read", response_model=ReadOut)
async def mark_read(conversation_id: IdPath, body: ReadIn, user: UserDep, services: ServicesDep) -> ReadOut:
    """Move the caller's read cursor forward; unread counts follow from it."""
    return ReadOut(**await services.messages.do_mark_read(user, conversation_id, body.seq))


# -- the fast route -------------------------------------------------------------------------------

SEND_PATH = "/api/v1/conversations/{conversation_id}/messages"
_SEND_PATH = re.compile(r"/api/v1/conversations/([1-9][0-9]{0,18})/messages")
_FALLBACK = "lakeside.send_fallback"
_TOKEN = "lakeside.send_token"
_JSON = re.compile(rb"application/json\s*(;.*)?", re.IGNORECASE | re.DOTALL)


def _bearer(scope: Scope) -> str | None:
    """The token as FastAPI's HTTPBearer reads it, when the request carries one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            credentials = credentials.strip()
            return credentials if scheme.lower() == "bearer" and credentials else None
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return _JSON.fullmatch(value) is not None
    return False


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()  # as Starlette's Request.body() does
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class SendRoute(BaseRoute):
    """``POST /api/v1/conversations/{conversation_id}/messages`` without FastAPI's machinery for
    the common case; see the module's docstring. Not in the OpenAPI document (``send_message``
    is, with the same path, body and answers)."""

    path = path_format = SEND_PATH
    name = "send_message_direct"
    methods = frozenset({"POST"})

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "POST" or _FALLBACK in scope:
            return Match.NONE, {}
        path = scope["path"]
        root = scope.get("root_path", "")
        if root:
            if not path.startswith(root):
                return Match.NONE, {}
            path = path[len(root) :]
        found = _SEND_PATH.fullmatch(path)
        if found is None:
            return Match.NONE, {}
        conversation_id = int(found.group(1))
        token = _bearer(scope)
        if conversation_id > MAX_ID or token is None or not _is_json(scope):
            return Match.NONE, {}
        return Match.FULL, {
            "endpoint": send_message,
            "path_params": {"conversation_id": conversation_id},
            "route": self,
            _TOKEN: token,
        }

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        token: str = scope.pop(_TOKEN)
        body = await _read_body(receive)
        try:
            fields = SendIn.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError):
            await self._fall_back(scope, body, receive, send)
            return
        services = scope["app"].state.services
        user = await services.accounts.authenticate(token)
        client = scope.get("client")
        await services.ctx.limits.take("sends", user_id=user.id, address=client[0] if client else "")
        conversation_id = scope["path_params"]["conversation_id"]
        # As send_message does: the same fields, the same service call.
        result = await services.messages.do_send(user, conversation_id, **fields.model_dump())
        services.growth.activity.message_sent(user.id, created=result.created)
        payload = _MESSAGE_JSON(MessageOut(**result.message))
        await send(
            {
                "type": "http.response.start",
                "status": status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
                "headers": [
                    (b"content-length", str(len(payload)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    async def _fall_back(scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        """Route the request again, past this route, with the body already read."""
        for key in ("endpoint", "path_params", "route"):
            scope.pop(key, None)
        scope[_FALLBACK] = True
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await scope["router"].app(scope, replay, send)


_MESSAGE_JSON = MessageOut.__pydantic_serializer__.to_json
