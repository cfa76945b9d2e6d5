"""Serves the browser client in ``lakeside/web``: the page at ``/`` and its assets under ``/static/``.

There is no build step: the ES modules and stylesheets are served as they are on disk. Asset URLs
carry a build id (a hash of every file in the directory), so a browser may keep them for a year
(``immutable``) and still picks up a new release at once, because the page itself is never
cached and names the new id. Every response carries a strict Content-Security-Policy: scripts
and styles come only from this server, never inline, so a message that slips past the
sanitizer still cannot run code.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lakeside.errors import NotFound

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

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

router = APIRouter(tags=["web"], include_in_schema=False)


@cache
def build_id() -> str:
    """A short hash of every asset: changes whenever any file in the client changes."""
    digest = hashlib.sha256()
    for path in sorted(WEB_DIR.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(WEB_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def _index_html() -> bytes:
    """The page with its asset URLs, and every module preloaded: without a bundler the browser
    would otherwise discover the import graph one level at a time."""
    static = f"/static/{build_id()}"
    modules = sorted(path.relative_to(WEB_DIR).as_posix() for path in (WEB_DIR / "js").rglob("*.js"))
    preload = "\n  ".join(f'<link rel="modulepreload" href="{static}/{module}">' for module in modules)
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    return page.replace("{{PRELOAD}}", preload).replace("{{STATIC}}", static).encode()


def _headers(cache_control: str) -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "Cache-Control": cache_control}


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def index() -> HTMLResponse:
    """The web client's single page."""
    return HTMLResponse(_index_html(), headers=_headers(REVALIDATE))


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


@router.api_route("/static/{build}/{asset:path}", methods=["GET", "HEAD"], response_class=Response)
def static_asset(build: str, asset: str) -> Response:
    """One file of the client. A page from an older release asks with its old build id and is
    served the current file, uncached, rather than a broken page. (A plain function: FastAPI runs
    it in a thread, so reading the file does not block the event loop.)"""
    path = (WEB_DIR / asset).resolve()
    media_type = CONTENT_TYPES.get(path.suffix)
    if media_type is None or not path.is_relative_to(WEB_DIR) or not path.is_file():
        raise NotFound("No such file.", code="NOT_FOUND")
    cache_control = IMMUTABLE if build == build_id() else REVALIDATE
    return Response(path.read_bytes(), media_type=media_type, headers=_headers(cache_control))
