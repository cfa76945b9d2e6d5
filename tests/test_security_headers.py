"""Security headers on every response (success, every kind of error, the web page, downloads, and an
unhandled server error), and the WebSocket handshake's Origin check against cross-site
WebSocket hijacking (a page on another site riding the user's session cookie into the socket).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from lakeside.app import build_app
from lakeside.config import Settings
from tests.conftest import Person
from tests.live import running_server

REQUIRED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}


def assert_secure(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    assert response.headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), where
    assert response.headers.get("x-request-id"), f"{where}: no X-Request-ID"


async def test_every_kind_of_response_carries_the_headers(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    alice = people["alice"]
    checked = 0
    responses = [
        await client.get("/healthz"),
        await client.get("/openapi.json"),
        await client.get("/"),  # the web client's page
        await alice.get("/api/v1/me"),
        await client.get("/api/v1/me"),  # 401
        await client.get("/api/v1/no-such-thing"),  # 404
        await client.delete("/healthz"),  # 405
        await client.post(
            "/api/v1/conversations",
            content=b"{not json",
            headers={**alice.headers, "content-type": "application/json"},
        ),
        await alice.post("/api/v1/conversations", json={"title": 5}),  # 422
        await alice.get("/api/v1/conversations/999999"),  # 404 from a service
        await client.post("/api/v1/auth/login", json={"login": "alice", "password": "wrong password"}),
    ]
    # Every GET in the OpenAPI document, with 1 for every path parameter.
    document = (await client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        if "get" in operations:
            url = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
            responses.append(await alice.get(url))
    for response in responses:
        assert_secure(response)
        checked += 1
    page = responses[2]
    assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert checked > 40


async def test_downloads_of_active_content_cannot_run(people: dict[str, Person]) -> None:
    alice = people["alice"]
    page = b"<html><script>alert(document.cookie)</script></html>"
    upload = await alice.post("/api/v1/files", files={"file": ("evil.html", page, "text/html")})
    assert upload.status_code == 201, upload.text
    response = await alice.get(upload.json()["url"])
    assert response.status_code == 200
    assert_secure(response)
    assert response.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in response.headers["content-security-policy"]
    assert not response.headers["content-type"].startswith("text/html")


async def test_an_unhandled_error_is_a_bare_500_with_the_headers(settings: Settings) -> None:
    app = build_app(settings)

    async def explode() -> None:
        raise RuntimeError("a bug, with a secret in its message")

    app.add_api_route("/boom", explode)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
            response = await http.get("/boom", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "INTERNAL", "message": "Something went wrong on the server."}
    }
    assert_secure(response)
    assert response.headers["x-request-id"] == "trace-500"


# -- the WebSocket handshake -----------------------------------------------------------------


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[str, Settings]]:
    settings.ws_allowed_origins = ["https://app.example.com"]
    async with running_server(settings) as url:
        yield url, settings


async def hello(url: str, token: str, origin: str | None) -> dict[str, object]:
    headers = {"Origin": origin} if origin else {}
    async with connect(url.replace("http://", "ws://") + "/api/v1/stream", additional_headers=headers) as ws:
        await ws.send(orjson.dumps({"op": "hello", "token": token, "since": None}).decode())
        return dict(orjson.loads(await asyncio.wait_for(ws.recv(), 5)))


async def test_the_socket_refuses_foreign_origins(server: tuple[str, Settings]) -> None:
    url, _ = server
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post(
            "/api/v1/auth/register", json={"username": "victim", "password": "correct horse battery"}
        )
        token = response.json()["token"]
    host = url.split("://", 1)[1]
    port = host.rsplit(":", 1)[1]
    foreign = [
        "https://evil.example",
        "http://evil.example",
        "null",  # a sandboxed iframe or a file: page
        f"http://{host}.evil.example",
        f"http://evil.example/{host}",
        f"http://127.0.0.1:{int(port) + 1}",
        "https://app.example.com.evil.example",
    ]
    for origin in foreign:
        with pytest.raises(InvalidStatus) as refused:
            await hello(url, token, origin)
        assert refused.value.response.status_code == 403, origin
    # The same host over https is the same site behind a TLS-terminating proxy.
    for origin in (None, url, f"https://{host}", "https://app.example.com"):
        frame = await hello(url, token, origin)
        assert frame["type"] == "hello" and frame["op"] == "ok", (origin, frame)


async def test_the_api_reference_is_served_locally_under_a_csp(client: httpx.AsyncClient) -> None:
    """/docs loads Swagger UI from this server only (no CDN, no inline script), under a CSP."""
    import re

    page = await client.get("/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/docs/assets/") for source in sources), sources
    assert not re.search(r"<script>(?!</script>)", page.text)  # every script is a file
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
    assert "SwaggerUIBundle" in (await client.get("/docs/assets/swagger-ui-bundle.js")).text
    for name in ("index.html", "..%2Fswagger-ui.css", "oauth2-redirect.html"):
        assert (await client.get(f"/docs/assets/{name}")).status_code == 404
    assert (await client.get("/redoc")).status_code == 404
