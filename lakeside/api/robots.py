"""Outgoing robots of a group (services/robots.py): list, add (the AppSecret shown once), change,
revoke, the delivery log; and the session webhook robots post their later replies to, answered
in DingTalk's own envelope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath
from lakeside.domain.inputs import Text, out_of_range, unstorable
from lakeside.errors import Invalid

router = APIRouter(tags=["robots"], responses=ERRORS)
session_router = APIRouter(tags=["robots"], responses={400: ERRORS[400], 422: ERRORS[422]})

Keyword = Annotated[str, Field(min_length=1, max_length=32)]


class RobotIn(Strict):
    name: str = Field(min_length=1, max_length=64, description="Shown as the robot's name in the group.")
    callback_url: str = Field(
        max_length=2048, description="The robot's HTTPS endpoint, called when triggered."
    )
    on_mention: bool = Field(default=True, description="Called when a message @mentions the robot.")
    keywords: list[Keyword] = Field(
        default_factory=list, max_length=10, description="Called when a message contains one of these."
    )
    avatar_file_id: str | None = Field(default=None, max_length=32)


class RobotPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    callback_url: str | None = Field(default=None, max_length=2048)
    on_mention: bool | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=10)
    rotate_secret: bool = Field(default=False, description="A new AppSecret, returned this once.")


class RobotOut(BaseModel):
    id: int
    conversation_id: int
    bot_user_id: int = Field(description="The robot's user: @mention it by this id.")
    name: str
    avatar_file_id: str | None
    callback_url: str
    on_mention: bool
    keywords: list[str]
    created_by: int | None
    created_at: int
    updated_at: int
    revoked_at: int | None
    secret: str | None = Field(
        default=None, description="The AppSecret: only in the answer that created or rotated it."
    )


class AttemptOut(BaseModel):
    attempt: int
    started_at: int
    duration_ms: int
    http_status: int | None
    outcome: str = Field(description="delivered, retry or failed")
    error: str


class DeliveryOut(BaseModel):
    id: int
    event_id: str = Field(description="The idempotency id the receiver may deduplicate on.")
    event_type: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    next_attempt_at: int | None
    last_status: int | None
    last_error: str
    created_at: int
    finished_at: int | None
    tries: list[AttemptOut]


LimitQuery = Annotated[int, Query(ge=1, le=200)]


@router.get("/api/v1/conversations/{conversation_id}/robots", response_model=list[RobotOut])
async def list_robots(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> list[RobotOut]:
    """The group's outgoing robots, revoked ones included (the group's owner and admins)."""
    return [RobotOut(**row) for row in await services.robots.list_robots(user, conversation_id)]


@router.post(
    "/api/v1/conversations/{conversation_id}/robots",
    response_model=RobotOut,
    status_code=status.HTTP_201_CREATED,
)
async def add_robot(conversation_id: IdPath, body: RobotIn, user: UserDep, services: ServicesDep) -> RobotOut:
    """Add an outgoing robot to the group; the answer carries its AppSecret, shown this once."""
    row = await services.robots.do_create(
        user,
        conversation_id,
        name=body.name,
        callback_url=body.callback_url,
        on_mention=body.on_mention,
        keywords=body.keywords,
        avatar_file_id=body.avatar_file_id,
    )
    return RobotOut(**row)


@router.get("/api/v1/robots/{robot_id}", response_model=RobotOut)
async def get_robot(robot_id: IdPath, user: UserDep, services: ServicesDep) -> RobotOut:
    """One robot (its group's owner and admins)."""
    return RobotOut(**await services.robots.get_robot(user, robot_id))


@router.patch("/api/v1/robots/{robot_id}", response_model=RobotOut)
async def update_robot(robot_id: IdPath, body: RobotPatch, user: UserDep, services: ServicesDep) -> RobotOut:
    """Change a robot's name, callback, triggers; or rotate its AppSecret."""
    row = await services.robots.do_update(
        user,
        robot_id,
        name=body.name,
        callback_url=body.callback_url,
        on_mention=body.on_mention,
        keywords=body.keywords,
        rotate_secret=body.rotate_secret,
    )
    return RobotOut(**row)


@router.delete("/api/v1/robots/{robot_id}", response_model=Ok)
async def revoke_robot(robot_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Revoke the robot: it leaves the group and is called no more; its messages stay."""
    await services.robots.do_revoke(user, robot_id)
    return Ok()


@router.get("/api/v1/robots/{robot_id}/deliveries", response_model=list[DeliveryOut])
async def robot_deliveries(
    robot_id: IdPath, user: UserDep, services: ServicesDep, limit: LimitQuery = 50
) -> list[DeliveryOut]:
    """The robot's latest callbacks, newest first, each with its attempts."""
    return [DeliveryOut(**row) for row in await services.robots.delivery_log(user, robot_id, limit)]


class DingTalkAnswer(BaseModel):
    errcode: int = Field(
        description="0: posted; 300001: the session is invalid or expired; 40035: bad message."
    )
    errmsg: str


@session_router.post("/robot/sendBySession", response_model=DingTalkAnswer)
async def send_by_session(
    services: ServicesDep,
    session: Annotated[Text, Query(max_length=100, description="The token of the sessionWebhook URL.")],
    payload: Annotated[
        dict[str, Any], Body(description="A DingTalk robot message (msgtype text, markdown…).")
    ],
) -> DingTalkAnswer:
    """An outgoing robot's later reply into the conversation that called it (the
    ``sessionWebhook`` of the callback, good for a while). DingTalk's envelope, HTTP 200; a
    message with text no database can store (NUL, a lone surrogate) is refused with a 422."""
    if unstorable(payload) or out_of_range(payload):
        raise Invalid("The message holds text or numbers that cannot be stored.", code="INVALID_TEXT")
    code, message = await services.robots.send_by_session(session, payload)
    return DingTalkAnswer(errcode=code, errmsg=message)
