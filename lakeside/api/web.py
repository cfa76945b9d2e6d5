"""Serves the browser client in ``lakeside/web``: the page at ``/`` and its assets under ``/static/``.

There is no build step: the ES modules and stylesheets are served as they are on disk, read once
when the server starts (``client()``). Each asset is served under a name carrying a hash of its
own contents (``/static/js/api.3f2a9c1b04.js``) and may be kept for a year (``immutable``); the
page itself is always revalidated (``no-cache`` with an ETag) and names the current hashes, so a
deploy is picked up at once and only the files that changed are fetched again.

Modules import each other by their plain names (``import … from "./api.js"``); the page's import
map sends every plain name to its hashed one, so the hashes need no rewriting of the sources.
The page preloads only what the log-in page needs (the static imports of ``js/app.js``); the rest
of the client is loaded on first use with ``import()``.

Text assets are gzipped once, at start, and served compressed to browsers that accept it. Every
response carries a strict Content-Security-Policy: scripts and styles come only from this server,
never inline — the one exception being the page's import map, allowed by its SHA-256 hash — so a
message that slips past the sanitizer still cannot run code.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import posixpath
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lakeside.api.edge import accepts_gzip
from lakeside.errors import NotFound

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
ENTRY = "js/app.js"
HASH_LENGTH = 10

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Explicit, because a JavaScript module served with a guessed type is refused under nosniff.
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
}
COMPRESSIBLE = frozenset({".js", ".css", ".svg", ".json"})

# js/api.3f2a9c1b04.js -> js/api.js, hash 3f2a9c1b04
HASHED_NAME = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.[A-Za-z0-9]+)$")
# Releases before per-file hashes named assets /static/<12-hex build id>/<path>.
OLD_BUILD = re.compile(r"^[0-9a-f]{12}/")
# The module specifiers of static imports and re-exports (`import x from "…"`, `import "…"`).
STATIC_IMPORT = re.compile(r'^\s*(?:import|export)\b[^;"\']*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"', re.M)

router = APIRouter(tags=["web"], include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # relative to WEB_DIR, e.g. "js/api.js"
    body: bytes
    gzipped: bytes | None
    digest: str
    media_type: str

    @property
    def url(self) -> str:
        stem, ext = posixpath.splitext(self.path)
        return f"/static/{stem}.{self.digest}{ext}"


@dataclass(frozen=True, slots=True)
class Client:
    assets: dict[str, Asset]
    page: bytes
    page_gzipped: bytes
    etag: str
    csp: str  # the page's policy: CSP plus the import map's hash

    def find(self, name: str) -> tuple[Asset, bool]:
        """The asset a /static/ name stands for, and whether the name is current (its hash is
        the file's). A stale or plain name still finds the file, to be served uncached."""
        if name in self.assets:
            return self.assets[name], False
        match = HASHED_NAME.match(name)
        if match is not None:
            asset = self.assets.get(match["stem"] + match["ext"])
            if asset is not None:
                return asset, match["hash"] == asset.digest
        if OLD_BUILD.match(name) and name[13:] in self.assets:
            return self.assets[name[13:]], False
        raise NotFound("No such file.", code="NOT_FOUND")


def static_imports(asset: str, source: str) -> list[str]:
    """The assets ``asset`` (a module) imports statically, as paths relative to WEB_DIR."""
    found = []
    for match in STATIC_IMPORT.finditer(source):
        specifier = match[1] or match[2]
        if specifier.startswith("."):
            found.append(posixpath.normpath(posixpath.join(posixpath.dirname(asset), specifier)))
    return found


def preloaded(assets: dict[str, Asset]) -> list[str]:
    """The static import graph of the entry module, the entry excluded, in a stable order."""
    seen: set[str] = set()
    stack = [ENTRY]
    while stack:
        current = stack.pop()
        if current in seen or current not in assets:
            continue
        seen.add(current)
        stack.extend(static_imports(current, assets[current].body.decode("utf-8")))
    seen.discard(ENTRY)
    return sorted(seen)


def _data_url(asset: Asset) -> str:
    return f"data:{asset.media_type};base64,{base64.b64encode(asset.body).decode()}"


def _gzip(body: bytes) -> bytes:
    # mtime=0: the same file gives the same bytes on every node and every start.
    return gzip.compress(body, compresslevel=9, mtime=0)


@cache
def client() -> Client:
    """Reads, hashes and compresses every asset once, and builds the page that names them."""
    assets: dict[str, Asset] = {}
    for path in sorted(WEB_DIR.rglob("*")):
        media_type = CONTENT_TYPES.get(path.suffix)
        if not path.is_file() or media_type is None:
            continue
        body = path.read_bytes()
        name = path.relative_to(WEB_DIR).as_posix()
        assets[name] = Asset(
            path=name,
            body=body,
            gzipped=_gzip(body) if path.suffix in COMPRESSIBLE else None,
            digest=hashlib.sha256(body).hexdigest()[:HASH_LENGTH],
            media_type=media_type,
        )
    imports = {f"/static/{name}": asset.url for name, asset in assets.items()}
    import_map = orjson.dumps({"imports": imports}).decode()
    script_hash = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    preload = "\n  ".join(
        f'<link rel="modulepreload" href="{assets[name].url}">' for name in preloaded(assets)
    )
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{IMPORTMAP}}", f'<script type="importmap">{import_map}</script>')
    page = page.replace("{{PRELOAD}}", preload)
    page = re.sub(r"\{\{asset:([^}]+)\}\}", lambda match: assets[match[1]].url, page)
    # Small images shown before the scripts run go inline, saving a request each.
    page = re.sub(r"\{\{inline:([^}]+)\}\}", lambda match: _data_url(assets[match[1]]), page)
    body = page.encode()
    return Client(
        assets=assets,
        page=body,
        page_gzipped=_gzip(body),
        etag='"' + hashlib.sha256(body).hexdigest()[:16] + '"',
        csp=CSP.replace("script-src 'self'", f"script-src 'self' 'sha256-{script_hash}'"),
    )


def _headers(cache_control: str, csp: str = CSP) -> dict[str, str]:
    return {"Content-Security-Policy": csp, "Cache-Control": cache_control}


def _encoded(request: Request, body: bytes, gzipped: bytes | None, headers: dict[str, str]) -> bytes:
    """The gzipped body when there is one and the browser takes it (the headers say which)."""
    if gzipped is None:
        return body
    headers["Vary"] = "Accept-Encoding"
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return gzipped
    return body


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def index(request: Request) -> Response:
    """The web client's single page."""
    page = client()
    headers = _headers(REVALIDATE, page.csp) | {"ETag": page.etag}
    if page.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = _encoded(request, page.page, page.page_gzipped, headers)
    return HTMLResponse(body, headers=headers)


@router.api_route("/join/{code}", methods=["GET", "HEAD"], response_class=RedirectResponse)
async def invitation_link(code: str) -> RedirectResponse:
    """Where an organization's invitation link points (``InvitationOut.url``): the page, opened at
    its join dialog (``#/join/CODE``), after logging in or signing up if need be."""
    return RedirectResponse(f"/#/join/{quote(code, safe='')}", status_code=303, headers=_headers(REVALIDATE))


@router.api_route("/g/{token}", methods=["GET", "HEAD"], response_class=RedirectResponse)
async def group_invite_link(token: str) -> RedirectResponse:
    """Where a group's invite link and its QR code point (``InviteLinkOut.url``): the page, opened
    at the group's join card (``#/g/TOKEN``), after logging in or signing up if need be."""
    return RedirectResponse(f"/#/g/{quote(token, safe='')}", status_code=303, headers=_headers(REVALIDATE))


@router.api_route("/static/{name:path}", methods=["GET", "HEAD"], response_class=Response)
async def static_asset(name: str, request: Request) -> Response:
    """One file of the client, kept for good under its current hashed name. A page from an older
    release that asks for a name no longer current is served the current file, uncached, rather
    than a broken page."""
    asset, current = client().find(name)
    headers = _headers(IMMUTABLE if current else REVALIDATE)
    body = _encoded(request, asset.body, asset.gzipped, headers)
    return Response(body, media_type=asset.media_type, headers=headers)
