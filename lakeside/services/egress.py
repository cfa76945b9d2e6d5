"""The one guarded outbound HTTP client: the DING provider webhook (SMS and voice), the
verification SMS webhook, outgoing robots' callbacks and bots' event subscriptions
(services/outbound.py), and the single-sign-on client (services/oidc.py).

An admin types the webhook URL, so the server must not become a way to reach what only it can
reach (SSRF): the host is resolved here, every address it resolves to must be public (no
loopback, private, link-local, shared, multicast, reserved or unspecified address, IPv4-mapped
IPv6 included), and the request then goes to that checked address — the name is not resolved a
second time, so a DNS answer that changes in between (rebinding) cannot slip through. TLS still
verifies the certificate against the host name (SNI). Redirects are refused rather than
followed, proxies from the environment are ignored, and the response is capped in time and
size. ``egress_allow_private`` lifts the address check (tests use a receiver on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lakeside.config import Settings
from lakeside.errors import Invalid

MAX_RESPONSE_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressRefused(Exception):
    """The destination is not allowed; nothing was sent."""


class EgressUnresolved(EgressRefused):
    """The host name did not resolve (perhaps for now: a delivery tries again later)."""


@dataclass(frozen=True)
class EgressResponse:
    status: int
    body: bytes
    # The response's headers, names in lower case (Retry-After, for the delivery queue).
    headers: dict[str, str] = field(default_factory=dict)


def address_allowed(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one (mapped ::ffff:a.b.c.d, or 6to4 2002:AABB:CCDD::,
        # which a host with a 6to4 route sends to a.b.c.d) is as private as the address it carries.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and not address_allowed(embedded):
            return False
        if address.ipv4_mapped is not None:
            return True
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def check_url(url: str) -> str:
    """A webhook URL as an admin may store it: http(s), a host, no credentials. Returns it."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise Invalid("That is not a valid URL.", code="INVALID_URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("The URL must start with http:// or https:// and name a host.", code="INVALID_URL")
    if parts.username or parts.password:
        raise Invalid("Put credentials in the secret, not in the URL.", code="INVALID_URL")
    return url.strip()


async def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The first address of ``host`` after checking all of them."""
    try:
        literal = ipaddress.ip_address(host)
        addresses: list[IPAddress] = [literal]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise EgressUnresolved(f"cannot resolve {host}") from exc
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise EgressUnresolved(f"cannot resolve {host}")
    if not allow_private:
        for address in addresses:
            if not address_allowed(address):
                raise EgressRefused(f"{host} resolves to a non-public address ({address})")
    return str(addresses[0])


async def post_json(
    settings: Settings, url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None
) -> EgressResponse:
    """POST ``body`` to ``url`` through the guard. Raises EgressRefused, or httpx errors on failure."""
    return await send(
        settings,
        "POST",
        url,
        content=body,
        headers={**headers, "Content-Type": "application/json", "User-Agent": "lakeside-webhook/1"},
        timeout=timeout,
    )


async def send(
    settings: Settings,
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    allow_private: bool | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> EgressResponse:
    """One request to ``url`` through the guard (the single-sign-on client's discovery, token and
    key requests too). ``allow_private`` overrides ``egress_allow_private`` for a destination the
    server's operator named (never one a user typed). The answer is cut at ``max_bytes``."""
    import httpx  # only when first called: the import costs ~1 s at start-up

    url = check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    private = settings.egress_allow_private if allow_private is None else allow_private
    address = await resolve(host, port, allow_private=private)
    netloc = f"[{address}]" if ":" in address else address
    target = parts._replace(netloc=f"{netloc}:{port}").geturl()
    default_port = port == (443 if parts.scheme == "https" else 80)
    request_headers = {
        "User-Agent": "lakeside/1",
        **(headers or {}),
        "Host": host if default_port else f"{host}:{port}",
    }
    seconds = timeout if timeout is not None else settings.egress_timeout_seconds
    async with (
        httpx.AsyncClient(timeout=seconds, follow_redirects=False, trust_env=False) as client,
        asyncio.timeout(seconds + 1),
    ):
        request = client.build_request(
            method, target, content=content, headers=request_headers, extensions={"sni_hostname": host}
        )
        response = await client.send(request, stream=True)
        try:
            received = bytearray()
            async for chunk in response.aiter_raw():
                received.extend(chunk)
                if len(received) > max_bytes:
                    break
        finally:
            await response.aclose()
    if 300 <= response.status_code < 400:
        raise EgressRefused(f"redirect to {response.headers.get('location', '?')} refused")
    answer_headers = {name.lower(): value for name, value in response.headers.items()}
    return EgressResponse(response.status_code, bytes(received[:max_bytes]), answer_headers)
