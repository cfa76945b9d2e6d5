"""Talking to an LDAP server (OpenLDAP, Active Directory) with ldap3, off the event loop.

Every call opens its own connection in a worker thread (``asyncio.to_thread``): ldap3 is
blocking, and a directory sync or a log-in must never stall the loop that serves the chat. The
server's host is resolved here and every address checked before anything is sent: an organization
admin types the URL, so — as for webhooks (services/egress.py) — only public addresses are
allowed unless the server's administrator lists the directory's host or network in
``ldap_allowed_hosts`` (directories usually live on the company network) or sets
``egress_allow_private``. The connection then goes to the checked address; with ldaps:// or
StartTLS the certificate is verified against the host name typed in the URL (and the
organization's own CA certificates when given).

Errors come out as ``DirectoryError`` with a code and a message an admin can act on
(UNREACHABLE, TLS_FAILED, SERVICE_BIND_FAILED, BASE_NOT_FOUND, SEARCH_FAILED), never with the
service account's password.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lakeside.config import Settings
from lakeside.domain import ldap as dl
from lakeside.errors import Invalid
from lakeside.services.egress import address_allowed

if TYPE_CHECKING:
    import ldap3

PAGE_SIZE = 500
MAX_ENTRIES = 200_000
UNIT_FILTER = "(objectClass=organizationalUnit)"


class DirectoryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Connection:
    """What it takes to reach and read one directory (built from its row)."""

    url: str
    start_tls: bool
    tls_ca_cert: str | None
    bind_dn: str
    bind_password: str
    base_dn: str
    user_filter: str
    mapping: dl.Mapping


@dataclass(frozen=True)
class Snapshot:
    people: list[dl.Person]
    units: list[dl.Unit]
    without_id: list[str]  # DNs of entries the filter found that lack the stable id attribute


def check_url(url: str) -> str:
    """ldap:// or ldaps://, a host, an optional port, nothing else."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise Invalid("That is not a valid LDAP URL.", code="INVALID_LDAP_URL") from exc
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname or parts.username or parts.password:
        raise Invalid("The URL is ldap://host[:port] or ldaps://host[:port].", code="INVALID_LDAP_URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise Invalid("Put the base DN in its own field, not in the URL.", code="INVALID_LDAP_URL")
    return f"{parts.scheme}://{parts.netloc}"


def _allowed_by_list(
    host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: list[str]
) -> bool:
    for item in allowed:
        item = item.strip().lower()
        if not item:
            continue
        if item == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


async def resolve(settings: Settings, url: str) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (636 if parts.scheme == "ldaps" else 389)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise DirectoryError("UNREACHABLE", f"The directory's host {host} cannot be resolved.") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise DirectoryError("UNREACHABLE", f"The directory's host {host} cannot be resolved.")
    if not settings.egress_allow_private:
        for address in addresses:
            if not address_allowed(address) and not _allowed_by_list(
                host, address, settings.ldap_allowed_hosts
            ):
                raise DirectoryError(
                    "HOST_NOT_ALLOWED",
                    f"{host} is a private address ({address}); the server's administrator must list it in "
                    "ldap_allowed_hosts.",
                )
    return str(addresses[0])


def _lib() -> tuple[Any, Any]:
    """ldap3 and its exceptions, imported when a directory is first used (the import costs about
    half a second of a server's start, for every server, with or without a directory)."""
    import ldap3
    from ldap3.core import exceptions

    return ldap3, exceptions


def _server(config: Connection, address: str, timeout: float) -> ldap3.Server:
    ldap3, _ = _lib()
    parts = urlsplit(config.url)
    host = parts.hostname or ""
    secure = parts.scheme == "ldaps"
    port = parts.port or (636 if secure else 389)
    tls = None
    if secure or config.start_tls:
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            version=ssl.PROTOCOL_TLS_CLIENT,
            ca_certs_data=config.tls_ca_cert or None,
            valid_names=[host],
            sni=host,
        )
    return ldap3.Server(
        address, port=port, use_ssl=secure, tls=tls, get_info=ldap3.NONE, connect_timeout=timeout
    )


def _open(config: Connection, address: str, timeout: float, dn: str, password: str) -> ldap3.Connection:
    """An open connection, not bound yet (raises DirectoryError); ``dn`` empty binds anonymously."""
    ldap3, ldap_errors = _lib()
    server = _server(config, address, timeout)
    connection = ldap3.Connection(
        server,
        user=dn or None,
        password=password or None,
        authentication=ldap3.SIMPLE if dn else ldap3.ANONYMOUS,
        receive_timeout=timeout,
        auto_referrals=False,
        raise_exceptions=False,
        read_only=True,
    )
    try:
        connection.open()
        if config.start_tls and not urlsplit(config.url).scheme == "ldaps" and not connection.start_tls():
            raise DirectoryError("TLS_FAILED", "StartTLS was refused by the directory.")
    except ldap_errors.LDAPStartTLSError as exc:
        raise DirectoryError(
            "TLS_FAILED", "The TLS handshake with the directory failed (certificate?)."
        ) from exc
    except (ldap_errors.LDAPSocketOpenError, ldap_errors.LDAPSocketReceiveError, OSError) as exc:
        if isinstance(exc.__cause__ or exc, ssl.SSLError) or "ssl" in str(exc).lower():
            raise DirectoryError(
                "TLS_FAILED", "The TLS handshake with the directory failed (certificate?)."
            ) from exc
        raise DirectoryError("UNREACHABLE", "The directory does not answer.") from exc
    except ldap_errors.LDAPException as exc:
        raise DirectoryError("UNREACHABLE", "The directory does not answer.") from exc
    return connection


def _close(connection: ldap3.Connection) -> None:
    with contextlib.suppress(Exception):  # closing a broken socket: nothing left to do
        connection.unbind()


def _service(config: Connection, address: str, timeout: float) -> ldap3.Connection:
    _, ldap_errors = _lib()
    connection = _open(config, address, timeout, config.bind_dn, config.bind_password)
    try:
        if not connection.bind():
            raise DirectoryError(
                "SERVICE_BIND_FAILED",
                "The directory refused the service account (check its DN and password).",
            )
    except ldap_errors.LDAPException as exc:
        _close(connection)
        raise DirectoryError("UNREACHABLE", "The directory stopped answering.") from exc
    except DirectoryError:
        _close(connection)
        raise
    return connection


def _search(
    connection: ldap3.Connection, base: str, query: str, attributes: list[str], limit: int
) -> list[tuple[str, dict[str, list[bytes]]]]:
    """Every entry below ``base`` that matches, page by page (Active Directory answers at most
    1000 a page)."""
    ldap3, ldap_errors = _lib()
    found: list[tuple[str, dict[str, list[bytes]]]] = []
    cookie: Any = None
    while True:
        try:
            connection.search(
                base,
                query,
                search_scope=ldap3.SUBTREE,
                attributes=attributes,
                paged_size=min(PAGE_SIZE, limit),
                paged_cookie=cookie,
            )
        except ldap_errors.LDAPInvalidFilterError as exc:
            raise DirectoryError("INVALID_FILTER", "The directory cannot read the user filter.") from exc
        except ldap_errors.LDAPException as exc:
            raise DirectoryError("UNREACHABLE", "The directory stopped answering.") from exc
        result = connection.result or {}
        if result.get("result") == 32:  # noSuchObject
            raise DirectoryError("BASE_NOT_FOUND", "The base DN does not exist in the directory.")
        if result.get("result") not in (0, None):
            raise DirectoryError(
                "SEARCH_FAILED", f"The directory refused the search: {result.get('description', '?')}."
            )
        for response in connection.response or []:
            if response.get("type") == "searchResEntry":
                found.append((response["dn"], response.get("raw_attributes", {})))
        if len(found) >= limit:
            return found[:limit]
        controls = result.get("controls", {}) or {}
        cookie = controls.get("1.2.840.113556.1.4.319", {}).get("value", {}).get("cookie")
        if not cookie:
            return found


def read_directory(config: Connection, address: str, timeout: float) -> Snapshot:
    """Every person the filter selects and every organizational unit, below the base DN."""
    connection = _service(config, address, timeout)
    try:
        attributes = config.mapping.attributes()
        people = []
        without_id = []
        for dn, raw in _search(connection, config.base_dn, config.user_filter, attributes, MAX_ENTRIES):
            found = dl.person(dn, raw, config.mapping)
            if found is not None:
                people.append(found)
            else:
                without_id.append(dn)
        units = []
        for dn, raw in _search(connection, config.base_dn, UNIT_FILTER, [config.mapping.id], MAX_ENTRIES):
            found_unit = dl.unit(dn, raw, config.mapping.id)
            if found_unit is not None and dl.dn_key(dn) != dl.dn_key(config.base_dn):
                units.append(found_unit)
        return Snapshot(people, units, without_id)
    finally:
        _close(connection)


def find_people(config: Connection, address: str, timeout: float, query: str, limit: int) -> list[dl.Person]:
    """The people a (fully escaped) filter finds, at most ``limit``."""
    connection = _service(config, address, timeout)
    try:
        rows = _search(connection, config.base_dn, query, config.mapping.attributes(), limit)
        return [p for dn, raw in rows if (p := dl.person(dn, raw, config.mapping)) is not None]
    finally:
        _close(connection)


def check_password(config: Connection, address: str, timeout: float, dn: str, password: str) -> bool:
    """Whether ``password`` binds as ``dn``. An empty password is refused here: LDAP takes a
    simple bind with a name and no password as an anonymous bind, which "succeeds"."""
    if not password or not dn:
        return False
    _, ldap_errors = _lib()
    connection = _open(config, address, timeout, dn, password)
    try:
        return bool(connection.bind())
    except ldap_errors.LDAPException as exc:
        raise DirectoryError("UNREACHABLE", "The directory stopped answering.") from exc
    finally:
        _close(connection)


class Client:
    """The async face: resolves and checks the host, then runs the blocking call in a thread."""

    def __init__(self, settings: Settings, concurrency: int = 8) -> None:
        self.settings = settings
        # A directory that does not answer holds a thread for the whole timeout: a cap keeps a
        # burst of log-ins from taking every thread of the loop's executor (hashing uses them too).
        self._slots = asyncio.Semaphore(concurrency)

    @property
    def timeout(self) -> int:
        # Whole seconds: ldap3 packs the receive timeout into a struct of integers.
        return max(1, math.ceil(self.settings.ldap_timeout_seconds))

    async def read_directory(self, config: Connection) -> Snapshot:
        address = await resolve(self.settings, config.url)
        async with self._slots:
            return await asyncio.to_thread(read_directory, config, address, self.timeout)

    async def find_people(self, config: Connection, query: str, limit: int = 10) -> list[dl.Person]:
        address = await resolve(self.settings, config.url)
        async with self._slots:
            return await asyncio.to_thread(find_people, config, address, self.timeout, query, limit)

    async def check_password(self, config: Connection, dn: str, password: str) -> bool:
        address = await resolve(self.settings, config.url)
        async with self._slots:
            return await asyncio.to_thread(check_password, config, address, self.timeout, dn, password)
