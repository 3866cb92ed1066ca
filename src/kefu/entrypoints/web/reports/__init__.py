"""The reports page: ``/reports`` with charts of service level, volume and CSAT, and the staffing view.

The page and its stylesheet live in this folder and are served from ``/reports`` and ``/reports/assets/…``;
its script (static/js/console/reports.js) fetches the SVG charts and JSON from the public API with the
signed-in user's token.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from kefu.domain.errors import NotFound

HERE = Path(__file__).parent
ASSETS = {"reports.css": "text/css; charset=utf-8"}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


@router.get("/reports")
async def reports_page() -> FileResponse:
    return FileResponse(HERE / "reports.html", media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/reports/assets/{name}")
async def reports_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound("asset", name)
    return FileResponse(HERE / name, media_type=ASSETS[name], headers=HEADERS)
