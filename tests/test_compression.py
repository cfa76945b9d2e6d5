"""Text responses are gzipped at the edge for clients that accept it; streamed responses (file
downloads) and small ones are not, and nothing changes for a client that does not ask."""

from __future__ import annotations

import gzip

import httpx
import pytest

from lakeside.api.edge import GZIP_MIN_BYTES, accepts_gzip
from tests.conftest import Person

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


async def raw_get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent, not decoded."""
    async with client.stream("GET", url, headers=headers) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_large_json_answer_is_gzipped(client: httpx.AsyncClient, people: dict[str, Person]) -> None:
    alice = people["alice"]
    for n in range(12):
        created = await alice.post(
            "/api/v1/conversations", json={"title": f"Project group {n}", "member_ids": []}
        )
        assert created.status_code == 201, created.text
    url = "/api/v1/conversations?limit=50"
    response, body = await raw_get(client, url, {**alice.headers, **GZIP})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(body)
    assert response.headers["x-content-type-options"] == "nosniff"  # the edge's other work is done
    plain, plain_body = await raw_get(client, url, {**alice.headers, **IDENTITY})
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert len(plain_body) >= GZIP_MIN_BYTES
    assert gzip.decompress(body) == plain_body
    assert len(body) < len(plain_body) / 2


async def test_small_answers_and_refusals_go_as_they_are(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    alice = people["alice"]
    small, _ = await raw_get(client, "/api/v1/me", {**alice.headers, **GZIP})
    assert small.status_code == 200
    assert "content-encoding" not in small.headers
    missing, _ = await raw_get(client, "/api/v1/conversations/999999", {**alice.headers, **GZIP})
    assert missing.status_code == 404
    assert "content-encoding" not in missing.headers
    refused, _ = await raw_get(client, "/openapi.json", {"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers


async def test_file_downloads_are_streamed_untouched(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    alice = people["alice"]
    text = ("一行文字 and some words\n" * 400).encode()
    response = await alice.post("/api/v1/files", files={"file": ("notes.txt", text, "text/plain")})
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    download, body = await raw_get(client, url, {**alice.headers, **GZIP})
    assert download.status_code == 200
    assert "content-encoding" not in download.headers
    assert body == text
    ranged, part = await raw_get(client, url, {**alice.headers, **GZIP, "Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert part == text[:10]


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("identity", False),
        ("", False),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("deflate, br", False),
    ],
)
def test_accept_encoding_is_read_as_written(header: str, takes: bool) -> None:
    assert accepts_gzip(header) is takes
    assert accepts_gzip(header.encode()) is takes
