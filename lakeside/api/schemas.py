"""Request and response models shared by several route modules.

Requests are strict (``false`` is not an integer, ``"1"`` is not a number) and refuse unknown
fields, so a typo in a client is an error rather than a silently ignored field.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Ok(BaseModel):
    ok: bool = True


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    avatar_url: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
