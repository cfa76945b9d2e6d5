"""Files: uploads streamed to local disk under a size limit, types sniffed from content, image
dimensions and thumbnails, avatars, and the access check behind every download.

Content lives under ``settings.files_dir`` at ``<id[:2]>/<id>``, a thumbnail beside it at
``<id>.thumb.webp`` (``.thumb.jpg`` where Pillow lacks WebP). Every file is written under a temporary
name in its final directory, synced and then renamed, so nobody ever reads half a file; the row is
inserted only once the content is in place, so a row never points at nothing (a crash in between
leaves an orphan file, never a broken row). The client's content type and file extension are
ignored: the type comes from the first bytes, and what is not recognised is
``application/octet-stream``, which browsers never render. Blocking I/O and Pillow run in threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import filetype
from sqlalchemy.engine import Row

from lakeside.domain import text
from lakeside.domain.tokens import new_file_id, now_ms
from lakeside.errors import Invalid, LakesideError, NotFound, TooLarge
from lakeside.services.accounts import Accounts, AuthUser
from lakeside.services.context import Context
from lakeside.store import files as file_store

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported where images are decoded, not at start-up: most processes never need it
# before the first upload, and it is tens of MiB.

log = logging.getLogger(__name__)

Purpose = Literal["attachment", "avatar"]

# The image types that get dimensions, a thumbnail and inline display, with Pillow's format names.
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
# An animated PNG is a PNG to browsers and to Pillow.
SNIFFED_ALIASES = {"image/apng": "image/png"}
# What a voice message may be (services/messages.py): what browsers' MediaRecorder writes — WebM
# with Opus (Chrome, Firefox), MP4/AAC (Safari) — and Ogg, AAC and MP3 from elsewhere. An MP4
# container is sniffed as video/mp4 unless its brand says M4A; its audio plays either way.
AUDIO_FORMATS = ("audio/webm", "audio/ogg", "audio/mp4", "video/mp4", "audio/aac", "audio/mpeg")
MAX_VOICE_BYTES = 4 * 1024 * 1024  # a minute of 128 kbit/s AAC is ~1 MiB; Opus at 32 kbit/s ~240 KiB
# A WebM file's track codecs (EBML CodecID, element 0x86, then its size): audio only is audio/webm.
_WEBM_VIDEO = re.compile(rb"\x86[\x81-\x8f]V_")
_WEBM_AUDIO = re.compile(rb"\x86[\x81-\x8f]A_(OPUS|VORBIS)")
OCTET_STREAM = "application/octet-stream"
SNIFF_BYTES = 8192  # filetype never looks further than this
WRITE_BUFFER = 1024 * 1024
THUMBNAIL_BOX = (320, 320)
THUMBNAIL_SUFFIXES = {".thumb.webp": "image/webp", ".thumb.jpg": "image/jpeg"}
EXIF_ORIENTATION = 0x0112
# Decoding takes up to width x height x 4 bytes (settings.image_max_pixels at most); this many
# decodes at once, in their own threads, bound the memory used.
IMAGE_CONCURRENCY = 2
# Pillow's own limit, checked on the header before anything is decoded: beyond it even a JPEG,
# which decodes at 1/8 scale, is refused.
HEADER_MAX_PIXELS = 89_478_485
MAX_FILENAME = 255
MAX_EXTENSION = 16
FILE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass
class Upload:
    """A file arriving from a client: the name it claims and its bytes, read once, in order."""

    filename: str
    chunks: AsyncGenerator[bytes, None]


@dataclass(frozen=True)
class Download:
    """What the API needs to send stored bytes: where they are and how to label them."""

    path: Path
    content_type: str
    filename: str
    inline: bool
    etag: str


@dataclass
class _Received:
    temp: Path
    size: int
    sha256: str
    head: bytes


def clean_filename(raw: str) -> str:
    """A name safe to store and to offer on download: no directories, no control, invisible or
    direction-changing characters (these are dropped: bidirectional overrides make "gpj.exe" look
    like "exe.jpg" in a file list), at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = text.strip_invisible(name).strip()
    if not name.strip("."):
        return "file"
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= MAX_EXTENSION:
            name = stem[: MAX_FILENAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME]
    return name


def sniff(head: bytes) -> str:
    """The content type told by the first bytes; anything unrecognised (text, HTML, SVG...) is
    ``application/octet-stream``."""
    kind = filetype.guess(head)
    if kind is None:
        return OCTET_STREAM
    if kind.mime == "video/webm" and _WEBM_AUDIO.search(head) and not _WEBM_VIDEO.search(head):
        return "audio/webm"
    return SNIFFED_ALIASES.get(kind.mime, kind.mime)


def file_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """The public description of a stored file, as uploads return it and messages embed it."""
    url = f"/api/v1/files/{row['id']}"
    return {
        "id": row["id"],
        "filename": row["filename"],
        "content_type": row["content_type"],
        "size": row["size"],
        "width": row["width"],
        "height": row["height"],
        "url": url,
        "thumbnail_url": f"{url}/thumbnail" if row["has_thumbnail"] else None,
        "created_at": row["created_at"],
    }


def _mebibytes(limit: int) -> str:
    return f"{limit / 1024 / 1024:.3g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


@functools.cache
def _thumbnail_format() -> tuple[str, str]:
    """Pillow format and file suffix for thumbnails: WebP is smaller and keeps transparency."""
    from PIL import features

    return ("WEBP", ".thumb.webp") if features.check("webp") else ("JPEG", ".thumb.jpg")


# -- blocking helpers, run in threads ----------------------------------------------------------


def _open_temp(directory: Path) -> tuple[IO[bytes], Path]:
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    return os.fdopen(fd, "wb"), Path(name)


def _write(handle: IO[bytes], digest: Any, data: bytes | bytearray) -> None:
    digest.update(data)
    handle.write(data)


def _finish(handle: IO[bytes], digest: Any, data: bytes | bytearray) -> None:
    _write(handle, digest, data)
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


def _sync_directory(directory: Path) -> None:
    """Make a rename durable; not every platform can open a directory, which is fine there."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _publish(temp: Path, final: Path) -> None:
    os.replace(temp, final)
    _sync_directory(final.parent)


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _image_too_large(limit: int) -> Invalid:
    return Invalid(
        f"The image has too many pixels (at most {limit:,}).", code="IMAGE_TOO_LARGE", max_pixels=limit
    )


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    """Refuse, from the header, an image that would decode to more than ``max_pixels`` pixels.

    Called after ``draft``: a JPEG then reports the reduced size its decoder will produce (1/2,
    1/4 or 1/8), so a large photo is fine where a PNG, GIF or WebP of the same size is not.
    Every frame of an animation decodes into a canvas of that size, one at a time.
    """
    if image.width * image.height > max_pixels:
        raise _image_too_large(max_pixels)


def _displayed_size(image: Image.Image, size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    if image.getexif().get(EXIF_ORIENTATION) in (5, 6, 7, 8):  # rotated by 90 or 270 degrees
        return height, width
    return width, height


def _make_thumbnail(
    source: Path, pil_format: str, target_stem: Path, max_pixels: int
) -> tuple[int, int, Path]:
    """Decode an image, refusing decompression bombs, and write its thumbnail beside it.

    The size is checked on the header, before any pixel is decoded: at most ``HEADER_MAX_PIXELS``
    as stored, and at most ``max_pixels`` as decoded (a JPEG decodes scaled down). The image is
    then reduced in place, so only one full-size copy ever exists, and turned upright (EXIF)
    once small. Returns the width and height as displayed and the thumbnail path.
    """
    from PIL import Image, ImageOps

    thumb_format, suffix = _thumbnail_format()
    try:
        # Pillow is restricted to the sniffed format, so a file cannot be sniffed as one type and
        # decoded as another.
        with Image.open(source, formats=[pil_format]) as image:
            _check_pixels(image, HEADER_MAX_PIXELS)
            stored_size = image.size
            image.draft(None, THUMBNAIL_BOX)  # JPEG decodes at 1/2, 1/4 or 1/8 scale: far less memory
            _check_pixels(image, max_pixels)
            # Only now: a PNG's EXIF may follow its pixels, so reading it decodes them.
            width, height = _displayed_size(image, stored_size)
            image.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
            thumb = ImageOps.exif_transpose(image)
            has_alpha = thumb.mode in ("RGBA", "LA", "PA") or "transparency" in thumb.info
            keep_alpha = has_alpha and thumb_format == "WEBP"
            if thumb.mode != ("RGBA" if keep_alpha else "RGB"):
                thumb = thumb.convert("RGBA" if keep_alpha else "RGB")
    except LakesideError:
        raise
    except Image.DecompressionBombError as exc:
        raise _image_too_large(max_pixels) from exc
    except Exception as exc:  # Pillow raises many types on hostile input; every one means "not an image"
        raise Invalid("The file looks like an image but cannot be decoded.", code="INVALID_IMAGE") from exc
    final = target_stem.with_name(target_stem.name + suffix)
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=".thumb-")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            thumb.save(handle, format=thumb_format, quality=80)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, final)
    except BaseException:
        _remove(temp)
        raise
    return width, height, final


class Files:
    def __init__(self, ctx: Context, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts  # an avatar upload ends as a profile change
        # Thumbnails are made in their own small pool rather than the default executor: a request
        # cancelled while its image decodes frees nothing until the decode ends, and the pool's
        # size, not the number of requests, is what bounds the decodes running at once.
        self._image_pool = concurrent.futures.ThreadPoolExecutor(IMAGE_CONCURRENCY, "lakeside-image")

    def _stem(self, file_id: str) -> Path:
        return self.ctx.settings.files_dir / file_id[:2] / file_id

    # -- uploads ----------------------------------------------------------------------------

    async def do_upload(self, user: AuthUser, upload: Upload) -> dict[str, Any]:
        """Store an attachment (for a message) uploaded by ``user``."""
        return await self._store(
            user, upload, purpose="attachment", limit=self.ctx.settings.max_upload_bytes, images_only=False
        )

    async def do_set_avatar(self, user: AuthUser, upload: Upload) -> dict[str, Any]:
        """Store an image as the caller's avatar (anyone logged in may download it) and set it on
        their profile, through the accounts service; the updated profile."""
        stored = await self._store(
            user, upload, purpose="avatar", limit=self.ctx.settings.max_avatar_bytes, images_only=True
        )
        return await self.accounts.do_update_profile(user, {"avatar_file_id": stored["id"]})

    async def _store(
        self, user: AuthUser, upload: Upload, *, purpose: Purpose, limit: int, images_only: bool
    ) -> dict[str, Any]:
        file_id = new_file_id()
        stem = self._stem(file_id)
        received = await self._receive(upload.chunks, stem.parent, limit)
        thumbnail: Path | None = None
        try:
            if received.size == 0:
                raise Invalid("The file is empty.", code="EMPTY_FILE")
            content_type = sniff(received.head)
            if images_only and content_type not in IMAGE_FORMATS:
                raise Invalid("Upload a JPEG, PNG, GIF or WebP image.", code="NOT_AN_IMAGE")
            width = height = None
            if content_type in IMAGE_FORMATS:
                width, height, thumbnail = await asyncio.get_running_loop().run_in_executor(
                    self._image_pool,
                    _make_thumbnail,
                    received.temp,
                    IMAGE_FORMATS[content_type],
                    stem,
                    self.ctx.settings.image_max_pixels,
                )
            await asyncio.to_thread(_publish, received.temp, stem)
            row = {
                "id": file_id,
                "owner_id": user.id,
                "purpose": purpose,
                "filename": clean_filename(upload.filename),
                "content_type": content_type,
                "size": received.size,
                "sha256": received.sha256,
                "width": width,
                "height": height,
                "has_thumbnail": thumbnail is not None,
                "created_at": now_ms(),
            }
            async with self.ctx.transaction() as uow:
                await file_store.insert_file(uow.conn, row)
        except BaseException:
            # Unlinking is quick and must happen even when the request is being cancelled.
            _remove(received.temp, stem, thumbnail)
            raise
        return file_view(row)

    async def _receive(self, chunks: AsyncGenerator[bytes, None], directory: Path, limit: int) -> _Received:
        """Stream the bytes to a temporary file, hashing and counting; stop reading at the limit."""
        handle, temp = await asyncio.to_thread(_open_temp, directory)
        digest = hashlib.sha256()
        size = 0
        head = bytearray()
        pending = bytearray()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(
                        f"The file is larger than the limit of {_mebibytes(limit)}.",
                        code="FILE_TOO_LARGE",
                        limit=limit,
                    )
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                pending += chunk
                if len(pending) >= WRITE_BUFFER:
                    data, pending = pending, bytearray()
                    await asyncio.to_thread(_write, handle, digest, data)
            await asyncio.to_thread(_finish, handle, digest, pending)
        except BaseException:
            handle.close()
            _remove(temp)
            raise
        finally:
            await chunks.aclose()
        return _Received(temp, size, digest.hexdigest(), bytes(head))

    # -- downloads --------------------------------------------------------------------------

    async def access_file(self, user_id: int, file_id: str) -> Row[Any]:
        """The file's row if ``user_id`` may download it; NotFound alike for missing and forbidden."""
        row = None
        if FILE_ID_RE.match(file_id):
            async with self.ctx.db.read() as conn:
                row = await file_store.get_accessible_file(conn, file_id, user_id)
        if row is None:
            raise NotFound("No such file.", code="FILE_NOT_FOUND")
        return row

    async def get_download(self, user: AuthUser, file_id: str) -> Download:
        row = await self.access_file(user.id, file_id)
        path = self._stem(row.id)
        if not await asyncio.to_thread(path.is_file):
            log.error("file %s has a row but no content on disk at %s", row.id, path)
            raise NotFound("No such file.", code="FILE_NOT_FOUND")
        return Download(
            path=path,
            content_type=row.content_type,
            filename=row.filename,
            inline=row.content_type in IMAGE_FORMATS or row.content_type in AUDIO_FORMATS,
            etag=f'"{row.sha256}"',
        )

    async def get_thumbnail(self, user: AuthUser, file_id: str) -> Download:
        row = await self.access_file(user.id, file_id)
        path = await asyncio.to_thread(self._find_thumbnail, row.id) if row.has_thumbnail else None
        if path is None:
            raise NotFound("This file has no thumbnail.", code="NO_THUMBNAIL")
        suffix = path.name[len(row.id) :]
        return Download(
            path=path,
            content_type=THUMBNAIL_SUFFIXES[suffix],
            filename=f"{Path(row.filename).stem or 'file'}{suffix}",
            inline=True,
            etag=f'"{row.sha256}{suffix}"',
        )

    async def do_forget(self, file_id: str) -> bool:
        """Delete a file from the database and the disk once nothing refers to it (after a
        recall: 撤回 means the content leaves the server)."""
        async with self.ctx.transaction() as uow:
            deleted = await file_store.delete_if_unused(uow.conn, file_id)
        if deleted:
            stem = self._stem(file_id)
            await asyncio.to_thread(
                _remove, stem, *(stem.with_name(stem.name + suffix) for suffix in THUMBNAIL_SUFFIXES)
            )
        return deleted

    def _find_thumbnail(self, file_id: str) -> Path | None:
        # Either suffix: the server may have been upgraded to a Pillow with (or without) WebP.
        stem = self._stem(file_id)
        for suffix in THUMBNAIL_SUFFIXES:
            path = stem.with_name(stem.name + suffix)
            if path.is_file():
                return path
        return None
