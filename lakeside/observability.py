"""Structured logs and request ids: every log line is one JSON object, and every line written while
a request is handled carries that request's id.

A request id comes from the caller's ``X-Request-ID`` header when it is a sane token (so a proxy's
id follows the request through), otherwise it is generated; it is echoed in the response's
``X-Request-ID`` header so a user's report can be matched to the server's lines (both at the HTTP
edge, ``lakeside.api.edge``). What never reaches a log: session tokens (they travel in headers and
WebSocket frames, which are not logged; secret query parameters are blanked by the CLI's filter)
and message bodies (no code logs them, and the database driver's bound parameters, which would
contain them, are cut from every exception traceback here).
"""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID_HEADER = b"x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")

# Set per request. An ASGI server runs each request (and each WebSocket) in its own task, whose
# context is a copy, so the id never leaks from one request into another; it is deliberately not
# reset on the way out, so the error handler outside the edge middleware still logs with it.
request_id: ContextVar[str | None] = ContextVar("lakeside_request_id", default=None)

# SQLAlchemy puts a failed statement's bound values in its exception text: a message body, a
# password hash, a session token's hash. They are cut from every traceback a log line carries.
_BOUND_PARAMETERS = re.compile(r"^\[parameters: .*$", re.MULTILINE)


def scrub(text: str) -> str:
    return _BOUND_PARAMETERS.sub("[parameters: redacted]", text)


def accept_request_id(raw: bytes | None) -> str:
    """The caller's id when it is a plain token (no spaces, quotes or line breaks that could forge
    log lines), else a new one."""
    if raw:
        try:
            value = raw.decode("ascii")
        except UnicodeDecodeError:
            value = ""
        if _SANE_ID.fullmatch(value):
            return value
    return new_request_id()


_RANDOM_POOL = 4096  # bytes drawn from the OS at a time: 256 request ids
_random = b""
_taken = _RANDOM_POOL


def new_request_id() -> str:
    """32 random hex digits (as ``uuid4().hex`` gave, at a tenth of the cost: one draw from the
    OS for 256 ids instead of one each; requests are served on one thread)."""
    global _random, _taken
    if _taken >= len(_random):
        _random, _taken = os.urandom(_RANDOM_POOL), 0
    start = _taken
    _taken += 16
    return _random[start:_taken].hex()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and for uvicorn's access
    log the request's parts as fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            entry.update(client=client, method=method, path=path, http_version=version, status=status)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = scrub(record.exc_text)
        if record.stack_info:
            entry["stack"] = record.stack_info
        return orjson.dumps(entry, default=str).decode()


def json_log_config(config: dict[str, Any]) -> dict[str, Any]:
    """Turns a ``logging.config.dictConfig`` dictionary (uvicorn's, with its handlers) into one that
    writes JSON lines, and sends every other library's warnings through the same handler."""
    config["formatters"] = {"json": {"()": JsonFormatter}}
    for handler in config["handlers"].values():
        handler["formatter"] = "json"
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
