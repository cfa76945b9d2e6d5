"""The HTTP edge: what every request and response passes through, in one ASGI layer.

One layer rather than four (security headers, request ids, the client address, the body limit):
each layer costs a coroutine and a wrapped ``send`` per request, and on the hot send path
these were a sizeable part of what a request cost beyond the work itself.

- **Request ids.** Taken from the caller's ``X-Request-ID`` when it is a sane token, otherwise
  generated (``observability.accept_request_id``); set for the log lines written while the request
  (or WebSocket) is handled, and echoed in the response's ``X-Request-ID`` (any the app set is
  replaced).
- **Security headers** on every HTTP response; a route that set one of them keeps its own.
- **Client address** of the request, for ``audit.record`` (``services.audit.request_address``).
- **Body limit.** Bodies over ``limit`` bytes are refused with 413 ``TOO_LARGE`` before a route
  reads them, except on the upload routes (``streamed``), which stream their bodies and enforce
  their own, larger limits. Other bodies are read here and handed on as one message.
- **Unstorable text in the address.** A path or query string holding U+0000 (``%00``) is refused
  with 400 ``INVALID_CHARACTERS`` before routing: no route could look such a name up, and
  PostgreSQL refuses it outright (request bodies are checked by their models:
  lakeside.domain.inputs).
- **Compression.** A text response (HTML, JSON, JavaScript, CSS, CSV, SVG, plain text) of at
  least ``GZIP_MIN_BYTES``, sent in one piece with status 200, is gzipped when the client accepts
  it. Streamed responses (a body in several messages: file downloads, exports) and responses that
  already carry a ``Content-Encoding`` (the web client's assets, compressed once at start) pass
  untouched, as do WebSockets, which never come through here as HTTP.
- **Unhandled errors.** An exception that escapes the app would otherwise be answered by
  Starlette's outermost middleware, past this one; it is answered here instead (the same
  ``INTERNAL`` body as the API's error handler), so a 500 carries the request id and the security
  headers too. The exception is then re-raised so the error handler still logs it and the
  server still sees it.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakeside.api.errors import error_body
from lakeside.observability import REQUEST_ID_HEADER, accept_request_id, request_id
from lakeside.services.audit import request_address

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
PAYLOAD_TOO_LARGE = 413
# Below about one packet, compressing saves no round trip and costs the server time.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
COMPRESSIBLE_TYPES = (
    b"text/",
    b"application/json",
    b"application/javascript",
    b"application/problem+json",
    b"image/svg+xml",
)
INTERNAL_ERROR = orjson.dumps(error_body("INTERNAL", "Something went wrong on the server."))


def websocket_context(scope: Scope) -> None:
    """What a socket's log lines carry: the request id (the client's, if well-formed)."""
    request_id.set(accept_request_id(_header(scope, REQUEST_ID_HEADER)))


class Edge:
    def __init__(self, app: ASGIApp, limit: int, streamed: frozenset[str]) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed
        self._too_large = orjson.dumps(
            error_body("TOO_LARGE", f"The request body is larger than {limit} bytes.", limit=limit)
        )
        self._nul = orjson.dumps(
            error_body("INVALID_CHARACTERS", "The address contains a NUL character (%00).")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                websocket_context(scope)
            await self.app(scope, receive, send)
            return
        rid = accept_request_id(_header(scope, REQUEST_ID_HEADER))
        request_id.set(rid)
        client = scope.get("client")
        request_address.set(client[0] if client else "")
        rid_header = (REQUEST_ID_HEADER, rid.encode())
        started = False
        held: Message | None = None  # a response start waiting for its body: compress or not

        async def send_edge(message: Message) -> None:
            nonlocal started, held
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", ()) if h[0].lower() != REQUEST_ID_HEADER]
                headers.append(rid_header)
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in SECURITY_HEADERS if item[0] not in present)
                message["headers"] = headers
                if message.get("status") == 200 and _compressible(headers):
                    held = message
                    return
            elif held is not None:
                start, held = held, None
                body = message.get("body", b"")
                if not message.get("more_body", False) and len(body) >= GZIP_MIN_BYTES:
                    start["headers"] = _vary(start["headers"])
                    if accepts_gzip(_header(scope, b"accept-encoding") or b""):
                        body = _gzip(body)
                        start["headers"] = [h for h in start["headers"] if h[0].lower() != b"content-length"]
                        start["headers"] += [
                            (b"content-encoding", b"gzip"),
                            (b"content-length", str(len(body)).encode()),
                        ]
                        message = {"type": "http.response.body", "body": body}
                await send(start)
            await send(message)

        try:
            if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
                await _answer(send_edge, 400, self._nul)
                return
            if scope["path"] not in self.streamed:
                declared = _header(scope, b"content-length", last=True)
                if declared is not None and declared.isdigit() and int(declared) > self.limit:
                    await _answer(send_edge, PAYLOAD_TOO_LARGE, self._too_large, close=True)
                    return
                # Read the body here (it is small or refused), then hand it on as one message.
                chunks: list[bytes] = []
                size = 0
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        receive = _replay(message, receive)
                        break
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.limit:
                        await _answer(send_edge, PAYLOAD_TOO_LARGE, self._too_large, close=True)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                        receive = _replay({"type": "http.request", "body": body, "more_body": False}, receive)
                        break
            await self.app(scope, receive, send_edge)
        except Exception:
            if held is not None:  # the response's start was held back, so it never left
                held, started = None, False
            if not started:
                await send_edge(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(INTERNAL_ERROR)).encode()),
                        ],
                    }
                )
                await send_edge({"type": "http.response.body", "body": INTERNAL_ERROR})
            raise


async def _answer(send: Send, status: int, body: bytes, *, close: bool = False) -> None:
    """An error answered here, before any route: a JSON body, its length, maybe ``Connection: close``."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:  # the rest of an oversized body is not read: the connection cannot be reused
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def accepts_gzip(value: bytes | str) -> bool:
    """Whether an Accept-Encoding header takes gzip (``gzip``, or ``*``, without ``q=0``)."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    for item in text.lower().split(","):
        name, _, params = item.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            quality = params.replace(" ", "")
            return not re.fullmatch(r"q=0(\.0*)?", quality)
    return False


def _compressible(headers: list[tuple[bytes, bytes]]) -> bool:
    """A text type, not encoded yet, not a range and not a file (FileResponse offers ranges)."""
    kind = b""
    for name, value in headers:
        lower = name.lower()
        if lower in (b"content-encoding", b"content-range", b"accept-ranges"):
            return False
        if lower == b"content-type":
            kind = value.lower()
    return kind.startswith(COMPRESSIBLE_TYPES)


def _vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"accept-encoding" not in value.lower():
                headers[index] = (name, value + b", Accept-Encoding")
            return headers
    return [*headers, (b"vary", b"Accept-Encoding")]


def _gzip(body: bytes) -> bytes:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    return compressor.compress(body) + compressor.flush()


def _header(scope: Scope, name: bytes, *, last: bool = False) -> bytes | None:
    """The first (or last) value of a header; ASGI servers give names in lower case."""
    found = None
    for key, value in scope.get("headers", ()):
        if key == name:
            if not last:
                return value  # type: ignore[no-any-return]
            found = value
    return found


def _replay(first: Message, receive: Receive) -> Any:
    pending: Message | None = first

    async def replay() -> Any:
        nonlocal pending
        if pending is not None:
            message, pending = pending, None
            return message
        return await receive()

    return replay
