"""The browser UI: static HTML, CSS and JavaScript modules shipped in the package and served by kefu.

No build step and no CDN: ``/`` is the agent workspace (with its sign-in form), ``/wallboard`` the supervisor
wallboard, ``/admin`` the supervisor's console (live actions, queue limits, users, audit log),
``/static/...`` their assets. The pages talk only to the public API and its event stream.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(str(files("kefu.entrypoints.web") / "static"))

# Everything comes from kefu itself; inline scripts and foreign origins are refused.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8", headers=_HEADERS)


def mount(app: FastAPI) -> None:
    """Serve the UI on ``app``: the two pages and their static assets (left out of the OpenAPI schema)."""

    @app.get("/", include_in_schema=False)
    async def workspace() -> FileResponse:
        return _page("index.html")

    @app.get("/wallboard", include_in_schema=False)
    async def wallboard() -> FileResponse:
        return _page("wallboard.html")

    @app.get("/admin", include_in_schema=False)
    async def admin() -> FileResponse:
        return _page("admin.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
