"""Read receipts of a message, for its sender."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, UserOut
from lakeside.api.views import IdPath

router = APIRouter(prefix="/api/v1", tags=["messages"], responses=ERRORS)


class ReceiptsOut(BaseModel):
    message_id: int
    read_count: int
    unread_count: int
    read: list[UserOut]
    unread: list[UserOut]


@router.get("/messages/{message_id}/receipts", response_model=ReceiptsOut)
async def get_receipts(message_id: IdPath, user: UserDep, services: ServicesDep) -> ReceiptsOut:
    """Who has and has not read your message (the first 500 of each, with full counts)."""
    return ReceiptsOut(**await services.receipts.get_receipts(user, message_id))
