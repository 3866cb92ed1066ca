"""RFC 9457 problem+json for every error: kefu's own, validation, unknown routes, and the unexpected."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kefu.domain.errors import KefuError

log = structlog.get_logger("kefu.api")
MEDIA_TYPE = "application/problem+json"
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def problem(request: Request, status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://kefu.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if k not in body})
    headers: dict[str, str] = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status in (429, 503) and isinstance(extra.get("retry_after_s"), int):
        headers["Retry-After"] = str(extra["retry_after_s"])
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers or None)


def _field(loc: tuple[Any, ...]) -> str:
    # ("body", "trusted_contact", "phone") -> "trusted_contact.phone"; keep the origin for query/path.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _kefu_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KefuError)  # noqa: S101 - registered for KefuError only
    extra = {k: v for k, v in exc.fields.items() if isinstance(v, str | int | float | bool | list)}
    return problem(request, exc.status, exc.code, exc.title, exc.detail, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    errors = [
        {
            "field": _field(tuple(e.get("loc", ()))),
            "message": str(e.get("msg", "")),
            "type": str(e.get("type")),
        }
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(request, 400, "malformed_json", "Malformed JSON", "the request body is not valid JSON")
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    detail = f"{first['field']}: {first['message']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem(request, 422, "validation_failed", "Validation failed", detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
    # Keep what the router said besides the status, e.g. ``Allow`` on a 405.
    response = problem(request, exc.status_code, code, code.replace("_", " ").capitalize(), detail)
    if exc.status_code == 405:
        response.headers["Allow"] = _allowed_methods(request)
    return response


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (the router names only the first route it found)."""
    routes = request.app.routes
    methods = [
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(methods)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path)
    return problem(
        request, 500, "internal", "Internal error", "an unexpected error occurred; it has been logged"
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(KefuError, _kefu_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
