"""Friends and blocks: friend requests with a greeting, the friend list with remark names,
unfriending, and the caller's block list."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Ok, Strict, UserOut

router = APIRouter(prefix="/api/v1", tags=["friends"], responses=ERRORS)

MAX_ID = 2**63 - 1
UserIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
RequestIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


class FriendRequestIn(Strict):
    user_id: int = Field(ge=1, le=MAX_ID, description="Whom to ask.")
    greeting: str | None = Field(default=None, max_length=256, examples=["我是张三，一起钓鱼吧"])


class RemarkIn(Strict):
    remark: str | None = Field(max_length=256, description="Your private name for the friend; null clears.")


class FriendRequestOut(BaseModel):
    id: int
    from_user: UserOut
    to_user: UserOut
    greeting: str
    status: Literal["pending", "accepted", "declined", "cancelled"]
    created_at: int
    decided_at: int | None


class FriendOut(BaseModel):
    user: UserOut
    remark: str | None = Field(description="Seen only by the caller.")
    since: int


class AcceptedOut(BaseModel):
    request: FriendRequestOut
    friend: FriendOut


class BlockOut(BaseModel):
    user: UserOut
    since: int


@router.post(
    "/friends/requests",
    status_code=status.HTTP_201_CREATED,
    response_model=FriendRequestOut,
    dependencies=[limited("friend_requests")],
    responses={200: {"model": FriendRequestOut, "description": "An existing request (see above)."}},
)
async def send_request(
    body: FriendRequestIn, response: Response, user: UserDep, services: ServicesDep
) -> FriendRequestOut:
    """Ask someone to be friends (201). Asking again returns the pending request (200); asking
    someone who has already asked you accepts their request (200, status `accepted`)."""
    request, created = await services.friends.do_send_request(user.id, body.user_id, body.greeting)
    if not created:
        response.status_code = status.HTTP_200_OK
    return FriendRequestOut(**request)


@router.get("/friends/requests", response_model=list[FriendRequestOut])
async def list_requests(
    user: UserDep,
    services: ServicesDep,
    direction: Annotated[Literal["incoming", "outgoing"], Query()] = "incoming",
) -> list[FriendRequestOut]:
    """Pending requests to you (`incoming`) or from you (`outgoing`), newest first."""
    return [FriendRequestOut(**row) for row in await services.friends.list_requests(user.id, direction)]


@router.post("/friends/requests/{request_id}/accept", response_model=AcceptedOut)
async def accept_request(request_id: RequestIdPath, user: UserDep, services: ServicesDep) -> AcceptedOut:
    """Accept a request sent to you; you become friends."""
    return AcceptedOut(**await services.friends.do_accept_request(user.id, request_id))


@router.post("/friends/requests/{request_id}/decline", response_model=FriendRequestOut)
async def decline_request(
    request_id: RequestIdPath, user: UserDep, services: ServicesDep
) -> FriendRequestOut:
    """Decline a request sent to you."""
    return FriendRequestOut(**await services.friends.do_decline_request(user.id, request_id))


@router.post("/friends/requests/{request_id}/cancel", response_model=FriendRequestOut)
async def cancel_request(request_id: RequestIdPath, user: UserDep, services: ServicesDep) -> FriendRequestOut:
    """Withdraw a request you sent."""
    return FriendRequestOut(**await services.friends.do_cancel_request(user.id, request_id))


@router.get("/friends", response_model=list[FriendOut])
async def list_friends(user: UserDep, services: ServicesDep) -> list[FriendOut]:
    """Your friends, sorted by remark or display name."""
    return [FriendOut(**row) for row in await services.friends.list_friends(user.id)]


@router.patch("/friends/{user_id}", response_model=FriendOut)
async def set_remark(user_id: UserIdPath, body: RemarkIn, user: UserDep, services: ServicesDep) -> FriendOut:
    """Set or clear your remark name for a friend."""
    return FriendOut(**await services.friends.do_set_remark(user.id, user_id, body.remark))


@router.delete("/friends/{user_id}", response_model=Ok)
async def unfriend(user_id: UserIdPath, user: UserDep, services: ServicesDep) -> Ok:
    """End a friendship, for both sides."""
    await services.friends.do_unfriend(user.id, user_id)
    return Ok()


@router.get("/blocks", response_model=list[BlockOut])
async def list_blocks(user: UserDep, services: ServicesDep) -> list[BlockOut]:
    """The users you have blocked, most recent first."""
    return [BlockOut(**row) for row in await services.friends.list_blocks(user.id)]


@router.put("/blocks/{user_id}", response_model=BlockOut)
async def block(user_id: UserIdPath, user: UserDep, services: ServicesDep) -> BlockOut:
    """Block a user: they can no longer message you or ask to be friends. Ends any friendship and
    pending requests between you. Blocking again changes nothing."""
    return BlockOut(**await services.friends.do_block(user.id, user_id))


@router.delete("/blocks/{user_id}", response_model=Ok)
async def unblock(user_id: UserIdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Lift a block. An ended friendship is not restored."""
    await services.friends.do_unblock(user.id, user_id)
    return Ok()
