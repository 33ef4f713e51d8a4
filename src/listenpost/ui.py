"""The dashboard and the API docs, served from files inside the package (no CDN, no internet).

Servers listening to mics and radios often sit on isolated networks, so every script, style
and map asset is vendored under `listenpost/web/` (docs/dashboard.md lists them). Files are
served by a plain route rather than a static mount so the app-wide auth policy still decides
every path (they are public: the page holds no data until its user logs in).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from .errors import ApiError
from .node import node_of

WEB = Path(str(resources.files("listenpost") / "web"))
SWAGGER = "/ui/vendor/swagger-ui-5.35.0"
# Immutable versioned vendor files may be cached; the app's own files are revalidated.
_NO_STORE = {"Cache-Control": "no-cache"}
# Module scripts need a JavaScript type; the platform's mimetypes table may lack it (Windows).
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".html": "text/html", ".json": "application/json", ".png": "image/png",
          ".svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


def _file(relative: str) -> Path:
    """The package file at `relative`, refusing anything outside `web/` (`..`, absolute)."""
    target = (WEB / relative).resolve()
    if not target.is_relative_to(WEB.resolve()) or not target.is_file():
        raise ApiError(f"not found: /ui/{relative}", status=404)
    return target


@router.get("/")
async def dashboard() -> FileResponse:
    return FileResponse(_file("index.html"), headers=_NO_STORE)


@router.get("/ui/config.json")
async def ui_config(request: Request) -> dict[str, Any]:
    """What the page needs to know of the server's settings (nothing secret)."""
    settings = node_of(request).settings
    return {"map_tiles": settings.map_tiles or None}


@router.get("/ui/{path:path}")
async def asset(path: str) -> FileResponse:
    headers = {} if path.startswith("vendor/") else _NO_STORE
    target = _file(path)
    return FileResponse(target, headers=headers, media_type=_TYPES.get(target.suffix))


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="listenpost API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/docs/oauth2-redirect")
async def swagger_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
