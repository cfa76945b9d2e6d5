"""Domain errors. Services raise these; the API edge renders them as JSON in one place.

Each error has an UPPER_SNAKE code that clients may switch on, a human message, an HTTP status
and optional data fields. Nothing here knows about the web framework.
"""

from __future__ import annotations

from typing import Any


class LakesideError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.data = data


class Invalid(LakesideError):
    status = 422
    code = "INVALID"


class Unauthorized(LakesideError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(LakesideError):
    status = 403
    code = "FORBIDDEN"


class NotFound(LakesideError):
    status = 404
    code = "NOT_FOUND"


class Conflict(LakesideError):
    status = 409
    code = "CONFLICT"


class TooLarge(LakesideError):
    status = 413
    code = "TOO_LARGE"


class RateLimited(LakesideError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, retry_after=retry_after)
        self.retry_after = retry_after


class Unavailable(LakesideError):
    status = 503
    code = "UNAVAILABLE"


# Where a parse error happened, in the words of the request: the transport's own location names
# (pydantic's "body", FastAPI's "query"...) are left out.
_LOCATIONS = frozenset({"body", "query", "path", "header"})


def validation_failed(errors: list[Any]) -> Invalid:
    """Errors of a parse (pydantic's ``errors()``: dicts with ``loc`` and ``msg``) as one
    ``Invalid`` with code ``VALIDATION_FAILED``: the first problem in its message, all of them
    in ``fields``. The HTTP edge and the socket render a refused input alike."""
    fields = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ()) if part not in _LOCATIONS) or "body",
            "problem": str(error.get("msg", "")),
        }
        for error in errors
    ]
    first = fields[0] if fields else {"field": "body", "problem": "invalid"}
    return Invalid(f"{first['field']}: {first['problem']}", code="VALIDATION_FAILED", fields=fields)
