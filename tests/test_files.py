"""Files: uploads, type sniffing, thumbnails, size limits, download headers, avatars, access rules."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from PIL import Image

from lakeside.app import build_app
from lakeside.config import Settings
from tests.conftest import Person, befriend, error_code, register

SANDBOX_CSP = "sandbox; default-src 'none'"


def image_bytes(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB", **save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode != "RGBA" else (255, 0, 0, 128)).save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_rotated(size: tuple[int, int], orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return image_bytes(size, "JPEG", exif=exif.tobytes())


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size but whose pixels are a few bytes: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


async def upload(person: Person, content: bytes, filename: str, content_type: str = "image/png") -> Any:
    return await person.post("/api/v1/files", files={"file": (filename, content, content_type)})


async def uploaded(person: Person, content: bytes, filename: str, content_type: str = "image/png") -> Any:
    response = await upload(person, content, filename, content_type)
    assert response.status_code == 201, response.text
    return response.json()


def stored_names(settings: Settings) -> list[str]:
    root = settings.files_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_safe_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == SANDBOX_CSP
    assert response.headers["cache-control"].startswith("private")


def disposition_filename(header: str) -> str:
    return unquote(header.split("filename*=UTF-8''", 1)[1], encoding="utf-8", errors="strict")


async def test_png_upload_is_stored_with_dimensions_and_thumbnail(
    people: dict[str, Person], settings: Settings
) -> None:
    alice = people["alice"]
    content = image_bytes((800, 600))
    body = await uploaded(alice, content, "screenshot.png", "application/x-anything")
    assert body["content_type"] == "image/png"
    assert (body["filename"], body["size"], body["width"], body["height"]) == (
        "screenshot.png",
        len(content),
        800,
        600,
    )
    assert body["url"] == f"/api/v1/files/{body['id']}"
    assert body["thumbnail_url"] == f"/api/v1/files/{body['id']}/thumbnail"
    assert isinstance(body["created_at"], int)

    response = await alice.get(body["url"])
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline;")
    assert_safe_headers(response)

    # Content at files/<id[:2]>/<id>, the thumbnail beside it, and no temporary file left over.
    file_id = body["id"]
    assert (settings.files_dir / file_id[:2] / file_id).read_bytes() == content
    assert stored_names(settings) == sorted(
        [f"{file_id[:2]}/{file_id}", f"{file_id[:2]}/{file_id}.thumb.webp"]
    )

    thumb = await alice.get(body["thumbnail_url"])
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/webp"
    assert_safe_headers(thumb)
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (320, 240)


@pytest.mark.parametrize(
    ("fmt", "mime", "mode", "size"),
    [
        ("JPEG", "image/jpeg", "RGB", (1000, 2000)),
        ("GIF", "image/gif", "P", (640, 100)),
        ("WEBP", "image/webp", "RGBA", (330, 330)),
        ("PNG", "image/png", "RGBA", (40, 30)),
    ],
)
async def test_each_image_type_gets_a_thumbnail_within_320(
    people: dict[str, Person], fmt: str, mime: str, mode: str, size: tuple[int, int]
) -> None:
    bob = people["bob"]
    body = await uploaded(bob, image_bytes(size, fmt, mode), f"picture.{fmt.lower()}")
    assert (body["content_type"], body["width"], body["height"]) == (mime, *size)
    thumb = await bob.get(body["thumbnail_url"])
    assert thumb.status_code == 200
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert max(image.size) <= 320
        # Scaled down keeping the shape, never scaled up.
        expected_scale = min(1.0, 320 / max(size))
        assert abs(image.size[0] - size[0] * expected_scale) <= 1
        assert abs(image.size[1] - size[1] * expected_scale) <= 1
        if mode == "RGBA":
            assert image.mode == "RGBA"


async def test_exif_orientation_is_applied_to_size_and_thumbnail(people: dict[str, Person]) -> None:
    alice = people["alice"]
    # Orientation 6: stored 400 wide and 200 high, displayed rotated a quarter turn.
    body = await uploaded(alice, jpeg_rotated((400, 200), 6), "phone.jpg", "image/jpeg")
    assert (body["width"], body["height"]) == (200, 400)
    thumb = await alice.get(body["thumbnail_url"])
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (160, 320)


async def test_text_named_png_is_octet_stream_served_as_attachment(people: dict[str, Person]) -> None:
    alice = people["alice"]
    body = await uploaded(alice, b"just some notes, not a picture\n", "notes.png", "image/png")
    assert body["content_type"] == "application/octet-stream"
    assert (body["width"], body["height"], body["thumbnail_url"]) == (None, None, None)
    response = await alice.get(body["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert_safe_headers(response)
    response = await alice.get(f"{body['url']}/thumbnail")
    assert response.status_code == 404
    assert error_code(response) == "NO_THUMBNAIL"


@pytest.mark.parametrize(
    ("filename", "content", "claimed"),
    [
        ("page.html", b"<!doctype html><html><script>alert(document.cookie)</script></html>", "text/html"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "image/svg+xml"),
        ("x.png", b"<html><body><img src=x onerror=alert(1)></body></html>", "image/png"),
    ],
)
async def test_markup_is_never_served_inline(
    people: dict[str, Person], filename: str, content: bytes, claimed: str
) -> None:
    mallory = people["mallory"]
    body = await uploaded(mallory, content, filename, claimed)
    assert body["content_type"] == "application/octet-stream"
    response = await mallory.get(body["url"])
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert disposition_filename(response.headers["content-disposition"]) == filename
    assert_safe_headers(response)


async def test_chinese_filename_round_trips_in_content_disposition(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    name = "2024年第三季度报告（终稿）.pdf"
    body = await uploaded(zhangsan, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", name, "application/pdf")
    assert body["filename"] == name
    assert body["content_type"] == "application/pdf"
    response = await zhangsan.get(body["url"])
    header = response.headers["content-disposition"]
    assert header.startswith("attachment;")
    assert disposition_filename(header) == name
    assert header.isascii()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\报告.txt", "报告.txt"),
        ("dir\\sub/..\\a.txt", "a.txt"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("..", "file"),
        ("a" * 300 + ".docx", "a" * 250 + ".docx"),
    ],
)
async def test_filenames_are_cleaned(people: dict[str, Person], sent: str, kept: str) -> None:
    body = await uploaded(people["lisi"], b"content", sent, "text/plain")
    assert body["filename"] == kept
    assert len(body["filename"]) <= 255


async def test_control_characters_are_dropped_from_raw_filenames(people: dict[str, Person]) -> None:
    # httpx percent-encodes controls in names; a hand-made client need not.
    lisi = people["lisi"]
    response = await lisi.http.post(
        "/api/v1/files",
        content=(
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="tab\there\x01\x7f.txt"\r\n\r\n'
            b"abc\r\n--b--\r\n"
        ),
        headers={**lisi.headers, "content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "tabhere.txt"


async def test_empty_and_malformed_uploads_are_refused(people: dict[str, Person], settings: Settings) -> None:
    alice = people["alice"]
    response = await upload(alice, b"", "empty.txt", "text/plain")
    assert response.status_code == 422
    assert error_code(response) == "EMPTY_FILE"

    response = await alice.post("/api/v1/files", json={"file": "aGVsbG8="})
    assert response.status_code == 422
    assert error_code(response) == "NOT_MULTIPART"

    response = await alice.post("/api/v1/files", data={"note": "hi"}, files={"other": ("a.txt", b"x")})
    assert response.status_code == 422
    assert error_code(response) == "FILE_REQUIRED"

    response = await alice.http.post(
        "/api/v1/files",
        content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc',
        headers={**alice.headers, "content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 422
    assert error_code(response) == "INCOMPLETE_UPLOAD"

    response = await upload(alice, b"\x89PNG\r\n\x1a\n" + b"garbage" * 100, "broken.png")
    assert response.status_code == 422
    assert error_code(response) == "INVALID_IMAGE"

    assert stored_names(settings) == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [12_000, 40_000])
async def test_decompression_bombs_are_refused(
    people: dict[str, Person], settings: Settings, side: int
) -> None:
    # 12,000² is over Pillow's limit, where Pillow only warns; 40,000² is where Pillow itself refuses.
    response = await upload(people["mallory"], png_claiming(side, side), "bomb.png")
    assert response.status_code == 422
    assert error_code(response) == "IMAGE_TOO_LARGE"
    assert stored_names(settings) == []


async def test_uploads_need_a_session(client: httpx.AsyncClient, people: dict[str, Person]) -> None:
    response = await client.post("/api/v1/files", files={"file": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 401
    body = await uploaded(people["alice"], b"x", "a.txt")
    response = await client.get(body["url"])
    assert response.status_code == 401


async def test_strangers_get_404_like_a_missing_file(people: dict[str, Person]) -> None:
    alice, mallory = people["alice"], people["mallory"]
    body = await uploaded(alice, image_bytes((50, 50)), "private.png")
    missing = await mallory.get("/api/v1/files/AAAAAAAAAAAAAAAAAAAAAA")
    for url in (body["url"], body["thumbnail_url"]):
        response = await mallory.get(url)
        assert response.status_code == 404
        assert response.json() == missing.json()
        assert error_code(response) == "FILE_NOT_FOUND"
    response = await mallory.get("/api/v1/files/not..a.valid.id")
    assert response.status_code == 404
    assert error_code(response) == "FILE_NOT_FOUND"


async def test_revalidation_answers_304_only_after_the_access_check(people: dict[str, Person]) -> None:
    alice, mallory = people["alice"], people["mallory"]
    body = await uploaded(alice, image_bytes((20, 20)), "dot.png")
    first = await alice.get(body["url"])
    etag = first.headers["etag"]
    again = await alice.http.get(body["url"], headers={**alice.headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    response = await mallory.http.get(body["url"], headers={**mallory.headers, "If-None-Match": etag})
    assert response.status_code == 404


async def test_avatar_is_set_on_the_profile_and_visible_to_others(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    content = image_bytes((600, 600), "JPEG")
    response = await alice.put("/api/v1/me/avatar", files={"file": ("me.jpg", content, "image/jpeg")})
    assert response.status_code == 200, response.text
    profile = response.json()
    me = await alice.get("/api/v1/me")
    assert profile == me.json()
    avatar_url = profile["avatar_url"]
    assert avatar_url and avatar_url.startswith("/api/v1/files/")

    seen_by_bob = await bob.get(f"/api/v1/users/{alice.id}")
    assert seen_by_bob.json()["avatar_url"] == avatar_url
    response = await bob.get(avatar_url)
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-disposition"].startswith("inline;")
    response = await bob.get(f"{avatar_url}/thumbnail")
    assert response.status_code == 200


async def test_avatar_must_be_an_image(people: dict[str, Person], settings: Settings) -> None:
    alice = people["alice"]
    for name, content in [("me.png", b"not an image at all"), ("me.pdf", b"%PDF-1.4\n")]:
        response = await alice.put("/api/v1/me/avatar", files={"file": (name, content, "image/png")})
        assert response.status_code == 422
        assert error_code(response) == "NOT_AN_IMAGE"
    assert (await alice.get("/api/v1/me")).json()["avatar_url"] is None
    assert stored_names(settings) == []


@pytest.fixture
async def small_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A server with tiny limits: 1000 bytes per upload, 900 per avatar."""
    settings.max_upload_bytes = 1000
    settings.max_avatar_bytes = 900
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 4242))
        async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
            yield http


async def test_size_limits_stop_the_upload_and_leave_nothing(
    small_client: httpx.AsyncClient, settings: Settings
) -> None:
    wangwu = await register(small_client, "wangwu", "王五")
    body = await uploaded(wangwu, b"a" * 1000, "exactly.txt", "text/plain")
    assert body["size"] == 1000
    for size in (1001, 3 * 1024 * 1024):
        response = await upload(wangwu, b"a" * size, "big.txt", "text/plain")
        assert response.status_code == 413
        assert error_code(response) == "FILE_TOO_LARGE"
    # Noise does not compress: a PNG within the upload limit but over the avatar limit.
    noisy = Image.frombytes("L", (29, 29), random.Random(1).randbytes(29 * 29))
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    assert 900 < len(buffer.getvalue()) <= 1000
    response = await wangwu.put(
        "/api/v1/me/avatar", files={"file": ("me.png", buffer.getvalue(), "image/png")}
    )
    assert response.status_code == 413
    assert error_code(response) == "FILE_TOO_LARGE"
    assert stored_names(settings) == [f"{body['id'][:2]}/{body['id']}"]


async def send(person: Person, conversation_id: int, kind: str, file_id: str, client_msg_id: str) -> Any:
    return await person.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_msg_id": client_msg_id, "kind": kind, "body": "", "file_id": file_id},
    )


async def test_members_see_files_sent_to_their_conversation_until_recalled(people: dict[str, Person]) -> None:
    alice, bob, mallory = people["alice"], people["bob"], people["mallory"]
    await befriend(alice, bob)
    response = await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})
    assert response.status_code == 201, response.text
    conversation_id = response.json()["id"]
    body = await uploaded(alice, image_bytes((64, 48)), "holiday.png")
    assert (await bob.get(body["url"])).status_code == 404  # uploaded, not yet sent

    response = await send(alice, conversation_id, "image", body["id"], "m1")
    assert response.status_code == 201, response.text
    message_id = response.json()["id"]
    for url in (body["url"], body["thumbnail_url"]):
        assert (await bob.get(url)).status_code == 200
        assert (await mallory.get(url)).status_code == 404

    # Nobody can send someone else's upload as their own.
    response = await send(bob, conversation_id, "image", body["id"], "m2")
    assert response.status_code == 404
    assert error_code(response) == "FILE_NOT_FOUND"

    response = await alice.post(f"/api/v1/messages/{message_id}/recall")
    assert response.status_code == 200, response.text
    # 撤回 deletes the content from the server: the file and its thumbnail are gone for everyone.
    assert (await bob.get(body["url"])).status_code == 404
    assert (await alice.get(body["url"])).status_code == 404
    files_dir = alice.http._transport.app.state.services.ctx.settings.files_dir  # type: ignore[attr-defined]
    assert not any(path.name.startswith(body["id"]) for path in files_dir.rglob("*"))


async def test_leaving_a_group_ends_access_to_its_files(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    response = await zhangsan.post(
        "/api/v1/conversations", json={"title": "项目组", "member_ids": [lisi.id, wangwu.id]}
    )
    assert response.status_code == 201, response.text
    conversation_id = response.json()["id"]
    body = await uploaded(zhangsan, b"%PDF-1.4\nplan", "计划.pdf", "application/pdf")
    response = await send(zhangsan, conversation_id, "file", body["id"], "plan")
    assert response.status_code == 201, response.text
    assert (await lisi.get(body["url"])).status_code == 200
    assert (await wangwu.get(body["url"])).status_code == 200

    response = await wangwu.post(f"/api/v1/conversations/{conversation_id}/leave")
    assert response.status_code == 200, response.text
    assert (await wangwu.get(body["url"])).status_code == 404
    assert (await lisi.get(body["url"])).status_code == 200


async def test_an_avatar_cannot_be_sent_as_an_attachment(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    conversation_id = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()[
        "id"
    ]
    response = await alice.put(
        "/api/v1/me/avatar", files={"file": ("me.png", image_bytes((32, 32)), "image/png")}
    )
    avatar_id = Path(response.json()["avatar_url"]).name
    response = await send(alice, conversation_id, "image", avatar_id, "avatar-as-attachment")
    assert response.status_code == 404
    assert error_code(response) == "FILE_NOT_FOUND"


async def test_a_group_avatar_is_visible_to_its_members_only(people: dict[str, Person]) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    await befriend(zhangsan, lisi)
    group = (
        await zhangsan.post("/api/v1/conversations", json={"title": "头像组", "member_ids": [lisi.id]})
    ).json()
    body = await uploaded(zhangsan, image_bytes((64, 64)), "logo.png")
    response = await zhangsan.patch(
        f"/api/v1/conversations/{group['id']}", json={"avatar_file_id": body["id"]}
    )
    assert response.status_code == 200, response.text
    avatar_url = response.json()["avatar_url"]
    assert (await lisi.get(avatar_url)).status_code == 200
    assert (await mallory.get(avatar_url)).status_code == 404


@pytest.mark.parametrize(
    ("range_header", "status", "code"),
    [
        ("bytes=100000-100010", 416, "RANGE_NOT_SATISFIABLE"),
        ("items=0-1", 400, "INVALID_RANGE"),
        ("bytes=5-2", 400, "INVALID_RANGE"),
        ("bytes", 400, "INVALID_RANGE"),
        ("bytes=", 400, "INVALID_RANGE"),
    ],
)
async def test_range_errors_are_json(
    people: dict[str, Person], range_header: str, status: int, code: str
) -> None:
    """A download's Range errors are the API's error JSON (Starlette answers them in plain text);
    a range past the end is 416 with ``Content-Range: bytes */size``."""
    alice = people["alice"]
    body = await uploaded(alice, b"0123456789" * 10, "digits.txt", "text/plain")
    url = f"/api/v1/files/{body['id']}"
    response = await alice.http.get(url, headers={**alice.headers, "Range": range_header})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert response.headers["x-content-type-options"] == "nosniff"
    if status == 416:
        assert response.headers["content-range"] == "bytes */100"
    partial = await alice.http.get(url, headers={**alice.headers, "Range": "bytes=2-4"})
    assert partial.status_code == 206 and partial.content == b"234"
