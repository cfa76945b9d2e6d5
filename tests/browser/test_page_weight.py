"""Page weight: what the log-in page costs a first-time visitor, measured in a real browser.

Requests, bytes over the wire (compressed bodies and headers, as Chromium's network layer counts
them: CDP's ``encodedDataLength``) and bytes after decoding, for a cold cache. The figures are
printed (``pytest -s``) so a change to the client can report before and after.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PASSWORD, Browser, Cast, LiveServer, expect

pytestmark = pytest.mark.browser

# The budget of issue 14, item 16.
MAX_REQUESTS = 25
MAX_TRANSFERRED = 200_000


class Meter:
    """Counts a page's requests and bytes through the Chrome DevTools Protocol."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.transferred: dict[str, int] = {}
        self.decoded: Counter[str] = Counter()

    async def attach(self, page: Any) -> None:
        cdp = await page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", self._cached)
        await cdp.send("Network.enable")

    def reset(self) -> None:
        self.urls.clear()
        self.transferred.clear()
        self.decoded.clear()

    def _request(self, event: dict[str, Any]) -> None:
        if not event["request"]["url"].startswith("data:"):
            self.urls[event["requestId"]] = event["request"]["url"]

    def _cached(self, event: dict[str, Any]) -> None:
        # The browser's own cache answered: no request went out (a favicon that is also the logo).
        self.urls.pop(event["requestId"], None)

    def _data(self, event: dict[str, Any]) -> None:
        self.decoded[event["requestId"]] += event["dataLength"]

    def _finished(self, event: dict[str, Any]) -> None:
        self.transferred[event["requestId"]] = int(event["encodedDataLength"])

    @property
    def requests(self) -> int:
        return len(self.urls)

    @property
    def bytes_transferred(self) -> int:
        return sum(size for request, size in self.transferred.items() if request in self.urls)

    @property
    def bytes_decoded(self) -> int:
        return sum(size for request, size in self.decoded.items() if request in self.urls)

    def paths(self) -> list[str]:
        return [url.split("//", 1)[1].split("/", 1)[1] for url in self.urls.values()]

    def report(self, label: str) -> str:
        return (
            f"{label}: {self.requests} requests, {self.bytes_transferred} bytes transferred, "
            f"{self.bytes_decoded} bytes decoded"
        )


async def measured_page(
    browser: Browser, server: LiveServer, locale: str = "en-US"
) -> tuple[Any, Meter, Any]:
    context = await browser.new_context(locale=locale, viewport=DESKTOP)
    page = await context.new_page()
    meter = Meter()
    await meter.attach(page)
    return context, meter, page


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_the_log_in_page_stays_within_its_budget(
    browser: Browser, server: LiveServer, locale: str
) -> None:
    context, meter, page = await measured_page(browser, server, locale)
    try:
        await page.goto(server.url + "/", wait_until="networkidle")
        await expect(page.locator("#f-login")).to_be_visible()
        print("\n" + meter.report(f"log-in page ({locale})"))
        assert meter.requests <= MAX_REQUESTS, meter.paths()
        assert meter.bytes_transferred <= MAX_TRANSFERRED, meter.report("log-in page")
        # Nothing is asked for twice.
        repeated = [path for path, n in Counter(meter.paths()).items() if n > 1]
        assert repeated == []

        # The next visit takes the modules and stylesheets from the browser's cache: only the page
        # (revalidated), the session check, the single-sign-on buttons (asked each time, so that a
        # provider an admin just added shows at once) and the favicon (Chromium's own fetch) go out.
        meter.reset()
        await page.goto(server.url + "/", wait_until="networkidle")
        await expect(page.locator("#f-login")).to_be_visible()
        print(meter.report(f"log-in page again ({locale})"))
        fetched = sorted(path for path in meter.paths() if not path.startswith("static/img/"))
        assert fetched == ["", "api/v1/auth/oidc/providers", "api/v1/me"]
    finally:
        await context.close()


async def test_start_up_asks_for_each_thing_once(browser: Browser, server: LiveServer, cast: Cast) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    await cast.say(bob, conversation_id, "hello")
    # In an organization, so the workspace's start-up (organizations, DINGs…) is measured too.
    org = await alice.call("POST", "/orgs", json={"name": "Lakeside Labs"})
    invitation = await alice.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    await bob.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
    context, meter, page = await measured_page(browser, server)
    try:
        response = await context.request.post(
            server.url + "/api/v1/auth/login",
            data={"login": "alice", "password": PASSWORD, "use_cookie": True},
        )
        assert response.ok, await response.text()
        await page.goto(server.url + "/", wait_until="networkidle")
        await expect(page.locator(".conv-item", has_text="hello")).to_be_visible()
        print("\n" + meter.report("logged-in start"))
        api_calls = [path for path in meter.paths() if path.startswith("api/")]
        repeated = {path: n for path, n in Counter(api_calls).items() if n > 1}
        assert repeated == {}, api_calls
    finally:
        await context.close()
