"""Decompression bombs: an image whose pixels are many and whose bytes are few is refused from
its header, before it is decoded (422 ``IMAGE_TOO_LARGE``, nothing stored), and what is decoded
is bounded by ``settings.image_max_pixels`` — a JPEG counted at the scale its decoder reduces it
to, so a large photo still gets its thumbnail.

Memory is measured by ``python -m bench.image_bomb`` (see docs/security.md), not here.
"""

from __future__ import annotations

import functools
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from lakeside.app import build_app
from lakeside.config import Settings
from tests.adversarial.bombs import gif_claiming, uniform_png, webp_claiming
from tests.conftest import register

SIDE = 9_400  # 88 million pixels: under Pillow's own limit (89.5 million), so Pillow alone decodes it


@functools.cache
def png_bomb() -> bytes:
    return uniform_png(SIDE, SIDE)


def stored(settings: Settings) -> list[str]:
    root = settings.files_dir
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def upload(client: httpx.AsyncClient, content: bytes, name: str, avatar: bool = False) -> Any:
    person = await register(client, f"bomber{len(content) % 9973}", "Bomber")
    if avatar:
        return await person.put("/api/v1/me/avatar", files={"file": (name, content, "image/png")})
    return await person.post("/api/v1/files", files={"file": (name, content, "image/png")})


@pytest.mark.parametrize(
    "kind", ["png", "gif", "webp", "png avatar"], ids=["png", "gif", "webp", "png-avatar"]
)
async def test_image_bombs_are_refused_before_decoding(
    client: httpx.AsyncClient, settings: Settings, kind: str
) -> None:
    content = {
        "png": png_bomb,
        "gif": lambda: gif_claiming(SIDE, SIDE),
        "webp": lambda: webp_claiming(SIDE, SIDE),
        "png avatar": png_bomb,
    }[kind]()
    assert len(content) < 400 * 1024
    response = await upload(client, content, f"bomb.{kind.split()[0]}", avatar=kind.endswith("avatar"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "IMAGE_TOO_LARGE"
    assert error["max_pixels"] == settings.image_max_pixels
    assert stored(settings) == []


def image(size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


async def test_the_budget_counts_what_is_decoded(settings: Settings) -> None:
    """With a budget of 1 million pixels, a 2,400 × 2,000 JPEG (4.8 million, decoded at 1/4 scale)
    gets its thumbnail; a 1,200 × 1,000 PNG (1.2 million, decoded whole) is refused."""
    app = build_app(settings.model_copy(update={"image_max_pixels": 1_000_000}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as client:
            photo = await upload(client, image((2400, 2000), "JPEG"), "photo.jpg")
            assert photo.status_code == 201, photo.text
            assert (photo.json()["width"], photo.json()["height"]) == (2400, 2000)
            assert photo.json()["thumbnail_url"]
            screenshot = await upload(client, image((1200, 1000), "PNG"), "screen.png")
            assert screenshot.status_code == 422, screenshot.text
            assert screenshot.json()["error"]["code"] == "IMAGE_TOO_LARGE"
            small = await upload(client, image((1000, 1000), "PNG"), "small.png")
            assert small.status_code == 201, small.text
