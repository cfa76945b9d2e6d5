"""What every parsed input shares: strict types, no unknown fields, and only text a database stores.

Strict: ``false`` is not an integer and ``"1"`` is not a number (pydantic's lax mode accepted
both; an API fuzzer found it). No unknown fields: a typo in a client is an error rather than a
silently ignored field. Storable text: U+0000 and lone surrogates (``"\\ud800"`` in JSON) are
valid in a Python string but not in PostgreSQL's text nor in UTF-8 at all; refused here, at the
parse, the same on both engines, instead of reaching the driver (where they answered 500 on
PostgreSQL and were stored on SQLite).

Numbers that fit their column: ids and times are 64-bit (``Id``, ``Int64``), counters and
settings kept in 32-bit columns are ``Int32`` (PostgreSQL's ``integer`` overflows from 2^31).
A larger number is a 422 at the parse, never an overflow in a driver. Every integer a request
model, a path or a query parameter accepts is one of these types (or tighter), and
``StrictInput`` refuses any integer beyond 64 bits wherever it hides (lists, nested objects) as
a backstop. Query parameters use ``Text`` (or ``TextQuery``) for the same storable-text rule.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

MAX_ID = 2**63 - 1
INT64_MIN = -(2**63)
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id: 1 to 2^63 − 1 (ids are 64-bit in storage)."""
Int64 = Annotated[int, Field(ge=INT64_MIN, le=MAX_ID)]
"""A 64-bit number (times in ms, positions)."""
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""A number kept in a 32-bit column (orders, counters, minutes, versions)."""


def unstorable(value: Any) -> bool:
    """Whether a parsed value holds text that cannot be stored (searched through lists and dicts)."""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, list | tuple | set | frozenset):
        return any(unstorable(item) for item in value)
    if isinstance(value, dict):
        return any(unstorable(key) or unstorable(item) for key, item in value.items())
    return False


def out_of_range(value: Any) -> bool:
    """Whether a parsed value holds an integer beyond 64 bits (searched through lists and dicts)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not INT64_MIN <= value <= MAX_ID
    if isinstance(value, list | tuple | set | frozenset):
        return any(out_of_range(item) for item in value)
    if isinstance(value, dict):
        return any(out_of_range(item) for item in value.values())
    return False


def storable_text(value: str) -> str:
    if UNSTORABLE.search(value) is not None:
        raise ValueError("contains a NUL character or a lone surrogate")
    return value


Text = Annotated[str, AfterValidator(storable_text)]
"""Text a database can store: no NUL, no lone surrogate (for query parameters; models check it all)."""


class StrictInput(BaseModel):
    """The base of request bodies and commands."""

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if unstorable(value):
            raise ValueError("contains a NUL character or a lone surrogate")
        if out_of_range(value):
            raise ValueError("holds a number beyond 64 bits")
        return value
