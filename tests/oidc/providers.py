"""The OpenID Providers the SSO tests log in at.

``real_provider()`` starts tests/oidc/provider.mjs — panva's oidc-provider, an OpenID Certified
provider, on Node — installing its locked packages first if they are missing (``npm ci``). A
browser is played by ``browse_to_callback``: it follows the provider's redirects, fills in its
log-in form and stops at lakeside's callback URL, as Chromium would.

``HostileProvider`` is a second provider, in this process, for what a certified provider will not
do on request: ID tokens for another audience, expired, with another nonce or issuer, signed by a
key it does not publish, or unsigned. It serves discovery, keys and a token endpoint over real
HTTP, so lakeside reaches it through its guarded client like any provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

HERE = Path(__file__).resolve().parent


class ProviderUnavailable(Exception):
    pass


def ensure_packages() -> None:
    """``npm ci`` from the committed lock file when node_modules is missing."""
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise ProviderUnavailable("node and npm are needed for the OIDC provider")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise ProviderUnavailable(f"npm ci failed: {result.stderr[-2000:]}")


@dataclass
class RealProvider:
    issuer: str
    process: asyncio.subprocess.Process

    async def add_client(self, client_id: str, secret: str, redirect_uris: list[str], **extra: Any) -> None:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.issuer}/_test/clients",
                json={
                    "client_id": client_id,
                    "client_secret": secret,
                    "redirect_uris": redirect_uris,
                    **extra,
                },
            )
            assert response.status_code == 204, response.text

    async def set_accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{self.issuer}/_test/accounts", json=accounts)
            assert response.status_code == 204, response.text


@contextlib.asynccontextmanager
async def real_provider() -> AsyncIterator[RealProvider]:
    await asyncio.to_thread(ensure_packages)
    process = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "provider.mjs"),
        "0",
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        issuer = ""
        async with asyncio.timeout(60):
            while not issuer:
                line = await process.stdout.readline()
                if not line:
                    raise ProviderUnavailable("the OIDC provider exited before it was ready")
                if line.startswith(b"ready "):
                    issuer = line.split()[1].decode()
        yield RealProvider(issuer, process)
    finally:
        if process.returncode is None:
            process.terminate()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


async def browse_to_callback(authorization_url: str, login: str, callback_prefix: str) -> str:
    """Play the browser at the provider: follow redirects, submit its log-in form as ``login``,
    and return the URL it finally sends the browser to under ``callback_prefix``."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as browser:
        url = authorization_url
        for _ in range(20):
            if url.startswith(callback_prefix):
                return url
            response = await browser.get(url)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["location"])
                continue
            assert response.status_code == 200, response.text
            form = response.text
            assert 'name="login"' in form, form
            action = form.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            submitted = await browser.post(
                urljoin(url, action), data={"prompt": "login", "login": login, "password": "any"}
            )
            assert submitted.status_code in (302, 303), submitted.text
            url = urljoin(url, submitted.headers["location"])
    raise AssertionError("the provider never sent the browser back")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# -- the hostile provider -------------------------------------------------------------------------


@dataclass
class HostileProvider:
    """Answers the token request with an ID token shaped by ``next_token`` (claims to override,
    and ``sign_with``: "published", "unpublished" or "none")."""

    issuer: str = ""
    client_id: str = "lakeside"
    next_token: dict[str, Any] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "published", "use": "sig"})
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "published", "use": "sig"})

    def id_token(self) -> str:
        from joserfc import jwt

        now = int(time.time())
        plan = dict(self.next_token)
        sign_with = plan.pop("sign_with", "published")
        claims = {
            "iss": self.issuer,
            "sub": "hostile-user",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "email": "hostile@example.com",
            "email_verified": True,
            **plan,
        }
        claims = {key: value for key, value in claims.items() if value is not None}
        if sign_with == "none":
            import base64

            def part(value: dict[str, Any]) -> str:
                return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

            return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
        key = self.key if sign_with == "published" else self.stranger
        return jwt.encode({"alg": "RS256", "kid": "published"}, claims, key)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": hostile.issuer,
                            "authorization_endpoint": f"{hostile.issuer}/authorize",
                            "token_endpoint": f"{hostile.issuer}/token",
                            "jwks_uri": f"{hostile.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256", "none"],
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        }
                    )
                elif self.path == "/jwks":
                    self._json({"keys": [hostile.key.as_dict(private=False)]})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                hostile.token_requests.append(
                    {"form": form, "authorization": self.headers.get("Authorization")}
                )
                self._json({"access_token": "", "token_type": "Bearer", "id_token": hostile.id_token()})

        return Handler

    def __enter__(self) -> HostileProvider:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
async def idp() -> AsyncIterator[RealProvider]:
    """The real provider, once per test process (with LAKESIDE_REQUIRE_SERVICES=1, failing to
    start it fails the tests that need it)."""
    from tests.conftest import service_missing

    try:
        async with real_provider() as provider:
            yield provider
    except ProviderUnavailable as exc:
        service_missing(f"the OpenID provider ({exc})")
