"""Request and response models shared by several route modules.

Requests are strict, refuse unknown fields and text no database can store (``StrictInput``,
lakeside.domain.inputs).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from lakeside.domain.inputs import StrictInput

Strict = StrictInput


class Ok(BaseModel):
    ok: bool = True


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    avatar_url: str | None
    deleted: bool = False
    bot: str | None = Field(
        default=None,
        description="null for a person; webhook, robot or app for a robot or bot (shown with a badge).",
    )


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
