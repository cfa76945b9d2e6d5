"""Messages: send, history, edit, recall, reactions, read cursor.

The send is one route, ``send_message``, served by ``SendRoute``: FastAPI's route, documented in
the OpenAPI document like any other, whose ``handle`` answers the common request itself — a
Bearer token, a well-formed conversation id, a JSON body that ``SendMessage`` accepts — by
doing what FastAPI's dependency solving would (authenticate, parse the body, call the endpoint,
serialise its answer) without the generic machinery, which was most of the CPU of a send.
Everything else (a cookie session, a malformed or invalid body, a bad id) is handed to FastAPI's
own handling of the same route, so those answers are FastAPI's, byte for byte.
tests/test_send_route.py holds the two ways to the same answers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import Field, ValidationError
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from lakeside.api import scopes
from lakeside.api.deps import ServicesDep, UserDep, client_address
from lakeside.api.schemas import ERRORS, Strict
from lakeside.api.views import MAX_ID, IdPath, MessageOut, MessagePage, ReadOut
from lakeside.domain.inputs import Text
from lakeside.domain.mentions import MAX_MENTION_IDS
from lakeside.domain.messages import MAX_BODY_CHARS, SendMessage

router = APIRouter(prefix="/api/v1", tags=["messages"], responses=ERRORS)


class EditIn(Strict):
    body: str = Field(max_length=MAX_BODY_CHARS)
    mention_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None,
        max_length=MAX_MENTION_IDS,
        description=(
            "People picked by name, as in a send. Left out: those the message mentioned before, while "
            "their name stands in the new text."
        ),
    )


class ReadIn(Strict):
    seq: int = Field(ge=0, le=MAX_ID, description="The highest sequence number the caller has seen.")


# -- the send route ------------------------------------------------------------------------------

SEND_PATH = "/conversations/{conversation_id}/messages"
_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,18}")
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


def _replayed(body: bytes, receive: Receive) -> Receive:
    """``receive`` with the body, already read, handed out again first."""
    replayed = False

    async def replay() -> Any:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SendRoute(APIRoute):
    """The route of ``send_message``; see the module's docstring. ``fast`` off hands every
    request to FastAPI's handling (the parity test compares the two)."""

    fast = True

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast and scope["method"] == "POST":
            raw_id = scope["path_params"].get("conversation_id", "")
            token = _bearer(scope)
            if token is not None and _CANONICAL_ID.fullmatch(raw_id) and _is_json(scope):
                conversation_id = int(raw_id)
                body = await _read_body(receive)
                command = _command(body) if conversation_id <= MAX_ID else None
                if command is not None:
                    await self._answer(scope, receive, send, conversation_id, token, command)
                    return
                receive = _replayed(body, receive)
        await super().handle(scope, receive, send)

    @staticmethod
    async def _answer(
        scope: Scope, receive: Receive, send: Send, conversation_id: int, token: str, command: SendMessage
    ) -> None:
        """What FastAPI's solving would do for this request, then the endpoint itself."""
        services = scope["app"].state.services
        user = await services.accounts.authenticate(token)
        if user.is_token:  # as api/deps.py would: a bot token needs messages:write here
            scopes.check(user, "POST", scope.get("route"), scope["path_params"])
        response = Response(status_code=status.HTTP_201_CREATED)
        out = await send_message(conversation_id, command, user, services, Request(scope, receive), response)
        payload = _MESSAGE_JSON(out)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (b"content-length", str(len(payload)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _command(body: bytes) -> SendMessage | None:
    """The body as the command, or None when FastAPI should answer it (its own error)."""
    try:
        return SendMessage.model_validate(orjson.loads(body))
    except (orjson.JSONDecodeError, ValidationError):
        return None


async def send_message(
    conversation_id: IdPath,
    body: SendMessage,
    user: UserDep,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> MessageOut:
    """Send a message. The reply comes after the message is committed (201), or, for a retried
    client_msg_id, is the message stored the first time (200)."""
    result = await services.messages.do_send(user, conversation_id, body, address=client_address(request))
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return MessageOut(**result.message)


router.add_api_route(
    SEND_PATH,
    send_message,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses={200: {"model": MessageOut, "description": "A retry: the message stored before."}},
    route_class_override=SendRoute,
)


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
    return MessageOut(**await services.messages.do_edit(user, message_id, body.body, body.mention_ids))


@router.post("/messages/{message_id}/recall", response_model=MessageOut)
async def recall_message(message_id: IdPath, user: UserDep, services: ServicesDep) -> MessageOut:
    """撤回: delete the content from the server; everyone sees a tombstone."""
    return MessageOut(**await services.messages.do_recall(user, message_id))


Emoji = Annotated[Text, Path(min_length=1, max_length=32)]


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


_MESSAGE_JSON = MessageOut.__pydantic_serializer__.to_json
