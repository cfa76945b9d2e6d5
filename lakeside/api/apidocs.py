"""The interactive API reference at ``/docs``: Swagger UI served from this server, under a CSP.

FastAPI's default page loads Swagger UI from a CDN at a floating version with no integrity hash
and runs an inline script: whoever controls the CDN (or that version) controls a page that runs
with the visitor's cookies. Here the files come from the ``swagger-ui-bundle`` package (pinned
in pyproject.toml), the start-up script is a file of ours, and the page's CSP lets scripts come
from this server only. Swagger UI sets ``style`` attributes as it renders, so styles may be
inline; nothing else is.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response

router = APIRouter(include_in_schema=False)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
START = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
});
"""
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lakeside API</title>
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/start.js"></script>
</body>
</html>
"""


def _assets_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@router.get("/docs")
async def docs_page() -> Response:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> Response:
    headers = {"Cache-Control": "public, max-age=86400", "Content-Security-Policy": CSP}
    if name == "start.js":
        return Response(START, media_type="text/javascript", headers=headers)
    if name not in ASSETS:  # only these files, by name: nothing else of the package is served
        raise HTTPException(status_code=404, detail="No such file.")
    return FileResponse(_assets_dir() / name, media_type=ASSETS[name], headers=headers)
