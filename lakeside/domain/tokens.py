"""Opaque random tokens (sessions, file ids) and the hash under which a token is stored."""

from __future__ import annotations

import hashlib
import secrets
import time


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_file_id() -> str:
    return secrets.token_urlsafe(16)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
