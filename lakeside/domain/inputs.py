"""What every parsed input shares: strict types, no unknown fields, and only text a database stores.

Strict: ``false`` is not an integer and ``"1"`` is not a number (pydantic's lax mode accepted
both; an API fuzzer found it). No unknown fields: a typo in a client is an error rather than a
silently ignored field. Storable text: U+0000 and lone surrogates (``"\\ud800"`` in JSON) are
valid in a Python string but not in PostgreSQL's text nor in UTF-8 at all; refused here, at the
parse, the same on both engines, instead of reaching the driver (where they answered 500 on
PostgreSQL and were stored on SQLite).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: Any) -> bool:
    """Whether a parsed value holds text that cannot be stored (searched through lists and dicts)."""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, list | tuple | set | frozenset):
        return any(unstorable(item) for item in value)
    if isinstance(value, dict):
        return any(unstorable(key) or unstorable(item) for key, item in value.items())
    return False


class StrictInput(BaseModel):
    """The base of request bodies and commands."""

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if unstorable(value):
            raise ValueError("contains a NUL character or a lone surrogate")
        return value
