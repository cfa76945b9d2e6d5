"""Files: upload, download, thumbnails, and the caller's avatar.

Uploads are read straight from the request stream: the multipart body is parsed as it arrives and
the file's bytes go on to the service, which writes them to disk and stops at the size limit, so a
huge upload is neither buffered in memory nor spooled whole to a temporary file first. Downloads
carry headers that keep a browser from ever running stored content: nosniff, a sandboxing CSP,
and ``attachment`` for everything but plain images.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request, status
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, Response
from starlette.types import Receive, Scope, Send

from lakeside.api.accounts import ProfileOut
from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.errors import error_body
from lakeside.api.limits import limited
from lakeside.api.responses import JSONResponse
from lakeside.api.schemas import ERRORS, ErrorOut
from lakeside.api.views import FileOut as AttachedFileOut
from lakeside.errors import Invalid
from lakeside.services.files import Download, Upload

router = APIRouter(prefix="/api/v1", tags=["files"], responses=ERRORS)

FILE_FIELD = "file"
# Form fields and part headers that may come before the file; more than this is not an upload form.
MAX_PREAMBLE = 64 * 1024
SANDBOX_CSP = "sandbox; default-src 'none'"
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
BYTES_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "The stored bytes."},
    206: {"content": {"application/octet-stream": {}}, "description": "The bytes of the Range asked for."},
    304: {"description": "Not modified (If-None-Match matched the ETag)."},
    416: {"model": ErrorOut, "description": "RANGE_NOT_SATISFIABLE; `Content-Range: bytes */size`."},
}


class UploadedFileOut(AttachedFileOut):
    """A file as its uploader sees it: as attached to messages, plus when it was uploaded."""

    created_at: int


class _MultipartFile:
    """Pulls one file field out of a multipart/form-data stream, part by part as bytes arrive."""

    def __init__(self, boundary: bytes, field: str) -> None:
        self.field = field.encode()
        self.filename: str | None = None
        self.in_file = False
        self.done = False
        self.data: list[bytes] = []
        self._name = b""
        self._value = b""
        self._disposition = b""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise Invalid("The multipart body is malformed.", code="INVALID_MULTIPART") from exc

    def _part_begin(self) -> None:
        self._disposition = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._name.lower() == b"content-disposition":
            self._disposition = self._value
        self._name = self._value = b""

    def _headers_finished(self) -> None:
        if self.filename is not None:
            return
        _, options = parse_options_header(self._disposition)
        if options.get(b"name") == self.field and b"filename" in options:
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self.in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.data.append(data[start:end])

    def _part_end(self) -> None:
        if self.in_file:
            self.in_file = False
            self.done = True


async def read_upload(request: Request, field: str = FILE_FIELD) -> Upload:
    """The file in form field ``field``; its bytes stay in the request until the service reads them."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise Invalid(f"Send the file as multipart/form-data in the field '{field}'.", code="NOT_MULTIPART")
    try:
        reader = _MultipartFile(params[b"boundary"], field)
    except FormParserError as exc:
        raise Invalid("The multipart boundary is invalid.", code="INVALID_MULTIPART") from exc
    stream = request.stream()
    consumed = 0
    try:
        async for chunk in stream:
            reader.feed(chunk)
            if reader.filename is not None:
                return Upload(reader.filename, _file_bytes(reader, stream))
            consumed += len(chunk)
            if consumed > MAX_PREAMBLE:
                break
    except BaseException:
        await stream.aclose()
        raise
    await stream.aclose()
    raise Invalid(f"Attach the file in the form field '{field}'.", code="FILE_REQUIRED")


async def _file_bytes(
    reader: _MultipartFile, stream: AsyncGenerator[bytes, None]
) -> AsyncGenerator[bytes, None]:
    try:
        while True:
            if reader.data:
                data = b"".join(reader.data)
                reader.data.clear()
                if data:
                    yield data
            if reader.done:
                return
            chunk = await anext(stream, None)
            if chunk is None:
                raise Invalid("The upload ended before the file did.", code="INCOMPLETE_UPLOAD")
            reader.feed(chunk)
    finally:
        await stream.aclose()


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266 with an ASCII fallback and the exact name in RFC 5987 form (``filename*``), which
    every current browser prefers, so Chinese names survive."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class StoredFileResponse(FileResponse):
    """A download whose ``Range`` errors are the API's JSON errors: Starlette answers a malformed
    range (400) and one past the end (416, with ``Content-Range: bytes */size``) in plain text."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_headers = Headers(scope=scope)
        http_range = request_headers.get("range")
        if http_range is not None and scope["method"].upper() in ("GET", "HEAD") and self.status_code == 200:
            if self.stat_result is None:
                self.stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
                self.set_stat_headers(self.stat_result)
            if_range = request_headers.get("if-range")
            if if_range is None or self._should_use_range(if_range):
                refusal = _range_refusal(http_range, self.stat_result.st_size)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def _range_refusal(http_range: str, size: int) -> Response | None:
    try:
        FileResponse._parse_range_header(http_range, size)
    except MalformedRangeHeader as exc:
        message = exc.content if exc.content else "Malformed Range header."
        return JSONResponse(error_body("INVALID_RANGE", message), status.HTTP_400_BAD_REQUEST)
    except RangeNotSatisfiable:
        body = error_body("RANGE_NOT_SATISFIABLE", f"The file has {size} bytes.", size=size)
        headers = {"Content-Range": f"bytes */{size}"}
        return JSONResponse(body, status.HTTP_416_RANGE_NOT_SATISFIABLE, headers=headers)
    return None


def send_download(request: Request, download: Download) -> Response:
    # ``no-cache`` with an ETag: a browser may keep the bytes but asks again before each use, so
    # the access check still runs every time (a member who left loses access) at the cost of a 304.
    headers = {
        "Cache-Control": "private, no-cache",
        "ETag": download.etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX_CSP,
    }
    wanted = request.headers.get("if-none-match", "")
    if any(tag.strip().removeprefix("W/") == download.etag for tag in wanted.split(",")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    headers["Content-Disposition"] = content_disposition(
        "inline" if download.inline else "attachment", download.filename
    )
    return StoredFileResponse(download.path, media_type=download.content_type, headers=headers)


@router.post(
    "/files",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadedFileOut,
    openapi_extra=UPLOAD_BODY,
    dependencies=[limited("uploads")],
)
async def upload_file(request: Request, user: UserDep, services: ServicesDep) -> UploadedFileOut:
    """Upload a file (multipart field `file`) to attach to a message. The type is read from the
    content, never from the name or the client; images get dimensions and a thumbnail."""
    upload = await read_upload(request)
    return UploadedFileOut(**await services.files.do_upload(user, upload))


@router.get("/files/{file_id}", response_class=FileResponse, responses=BYTES_RESPONSE)
async def download_file(file_id: str, request: Request, user: UserDep, services: ServicesDep) -> Response:
    """The file's bytes, for its uploader, for members of a conversation where it was sent, and for
    anyone logged in when it is an avatar. Only JPEG, PNG, GIF and WebP display inline."""
    return send_download(request, await services.files.get_download(user, file_id))


@router.get("/files/{file_id}/thumbnail", response_class=FileResponse, responses=BYTES_RESPONSE)
async def download_thumbnail(
    file_id: str, request: Request, user: UserDep, services: ServicesDep
) -> Response:
    """An image's thumbnail (at most 320×320); 404 `NO_THUMBNAIL` for files that are not images."""
    return send_download(request, await services.files.get_thumbnail(user, file_id))


@router.put(
    "/me/avatar", response_model=ProfileOut, openapi_extra=UPLOAD_BODY, dependencies=[limited("uploads")]
)
async def set_avatar(request: Request, user: UserDep, services: ServicesDep) -> ProfileOut:
    """Upload an image (multipart field `file`) as the caller's avatar; returns the updated profile."""
    return ProfileOut(**await services.files.do_set_avatar(user, await read_upload(request)))
