"""Browser tests: a real Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a real
server on a real socket, SQLite only.

Without Playwright or Chromium the tests skip locally and fail under LAKESIDE_REQUIRE_SERVICES=1.
The server runs in the test's event loop (uvicorn), on a port that survives a restart, so a test
can stop it and start a new one on the same port and data directory. People are registered and
befriended over the API (quick and not what is under test); everything the test checks goes
through the page.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from PIL import Image

from lakeside.app import build_app
from lakeside.config import Settings
from tests.conftest import PASSWORD, service_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    # A fake microphone that needs no prompt (voice messages); getUserMedia is all it changes.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1360, "height": 820}

# Test modules take Playwright's names from here, so that without Playwright they still import
# and their tests skip (or fail in CI) through the `browser` fixture instead of breaking collection.
try:
    from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
except ImportError:  # pragma: no cover - depends on the machine
    async_playwright = expect = None  # type: ignore[assignment]
    Browser = BrowserContext = Page = Any  # type: ignore[assignment,misc]


CHROMIUM_PRESENT = CHROMIUM.exists()
if expect is not None:
    # Generous for a busy CI machine; a passing check returns as soon as it holds.
    expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if async_playwright is None:
        service_missing("Playwright (pip install playwright)")
    if not CHROMIUM_PRESENT:
        service_missing(f"Chromium at {CHROMIUM}")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


class LiveServer:
    """uvicorn serving the app in this event loop; can be stopped and started again on its port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_app(self.settings),
            log_level="warning",
            ws="websockets-sansio",
            lifespan="on",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        for _ in range(1000):
            if self._server.started:
                return
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        raise RuntimeError("server did not start")

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await asyncio.wait_for(self._task, 15)
        if self._sock is not None:
            self._sock.close()
        self._server = self._task = self._sock = None


@pytest.fixture
async def server(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[LiveServer]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "lakeside.db")
    settings = Settings(
        data_dir=data_dir,
        secret_key="browser-test-secret",
        migrate_on_start=False,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )
    live = LiveServer(settings)
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


class Member:
    """Someone registered over the API, with a bearer client for arranging things."""

    def __init__(self, http: httpx.AsyncClient, token: str, profile: dict[str, Any]) -> None:
        self.http = http
        self.id: int = profile["id"]
        self.username: str = profile["username"]
        self.display_name: str = profile["display_name"]
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, f"/api/v1{path}", headers=self.headers, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()


class Cast:
    """Registers people and arranges friendships and conversations over the API."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        # No kept-alive connections: a test may restart the server underneath this client.
        self.http = httpx.AsyncClient(
            base_url=server.url, timeout=10, limits=httpx.Limits(max_keepalive_connections=0)
        )

    async def person(self, username: str, display_name: str) -> Member:
        response = await self.http.post(
            "/api/v1/auth/register",
            json={"username": username, "password": PASSWORD, "display_name": display_name},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Member(self.http, body["token"], body["user"])

    async def befriend(self, a: Member, b: Member) -> None:
        request = await a.call("POST", "/friends/requests", json={"user_id": b.id, "greeting": "hi"})
        await b.call("POST", f"/friends/requests/{request['id']}/accept")

    async def direct(self, a: Member, b: Member) -> int:
        return int((await a.call("POST", "/conversations/direct", json={"user_id": b.id}))["id"])

    async def group(self, owner: Member, title: str, *others: Member) -> int:
        body = {"title": title, "member_ids": [o.id for o in others]}
        return int((await owner.call("POST", "/conversations", json=body))["id"])

    async def say(self, who: Member, conversation_id: int, body: str, kind: str = "text") -> dict[str, Any]:
        payload = {"client_msg_id": uuid.uuid4().hex, "kind": kind, "body": body}
        return await who.call("POST", f"/conversations/{conversation_id}/messages", json=payload)


@pytest.fixture
async def cast(server: LiveServer) -> AsyncIterator[Cast]:
    arranged = Cast(server)
    try:
        yield arranged
    finally:
        await arranged.http.aclose()


@pytest.fixture
async def open_page(browser: Browser, server: LiveServer) -> AsyncIterator[Any]:
    """open_page(username, locale="en-US", viewport=DESKTOP) -> a logged-in Page in its own context."""
    contexts: list[BrowserContext] = []
    dialogs: list[str] = []
    errors: list[str] = []

    def console(message: Any) -> None:
        # Failed requests (a 401 before logging in, a refused socket while the server restarts)
        # are expected and logged by the browser itself; anything else the page logs is a bug.
        text = message.text
        if message.type == "error" and not text.startswith(
            ("Failed to load resource", "WebSocket connection")
        ):
            errors.append(text)

    async def opener(
        username: str | None,
        *,
        locale: str = "en-US",
        viewport: dict[str, int] | None = None,
        touch: bool = False,
    ) -> Page:
        options: dict[str, Any] = {"has_touch": True, "is_mobile": True} if touch else {}
        context = await browser.new_context(locale=locale, viewport=viewport or DESKTOP, **options)
        contexts.append(context)
        page = await context.new_page()
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", console)
        if username is not None:
            # The log-in form has its own test; here the context gets its cookies directly.
            response = await context.request.post(
                server.url + "/api/v1/auth/login",
                data={"login": username, "password": PASSWORD, "use_cookie": True},
            )
            assert response.ok, await response.text()
        await page.goto(server.url + "/")
        if username is not None:
            await page.locator(".shell").wait_for()
        return page

    opener.dialogs = dialogs  # type: ignore[attr-defined]
    try:
        yield opener
    finally:
        for context in contexts:
            await context.close()
        assert dialogs == [], f"a page opened a dialog: {dialogs}"
        assert errors == [], f"the page reported errors: {errors}"


def png(width: int, height: int) -> bytes:
    """A small two-colour PNG, for uploads."""
    image = Image.new("RGB", (width, height), (22, 119, 255))
    image.paste((255, 184, 0), (0, 0, width // 2, height // 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def log_in(page: Page, username: str) -> None:
    await page.locator("#f-login").fill(username)
    await page.locator("#f-password").fill(PASSWORD)
    await page.locator("#f-password").press("Enter")
    await page.locator(".shell").wait_for()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
