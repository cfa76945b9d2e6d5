"""Opaque random tokens (sessions, file ids) and the hash under which a token is stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(secret: str, session_token: str) -> str:
    """The web client's CSRF token for a session: an HMAC of the session's token under the server's
    secret, so that it is good for that session only (a token read or planted elsewhere does not
    carry over to another session) and needs no storage."""
    digest = hmac.new(secret.encode(), b"csrf:" + session_token.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_file_id() -> str:
    return secrets.token_urlsafe(16)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
