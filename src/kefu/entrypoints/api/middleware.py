"""A request id on every log line and every response (``X-Request-ID``), one access-log line, and the
limits every request meets before any route sees it (body size, control characters in the URL)."""

from __future__ import annotations

import json
import re
import time
import uuid
from urllib.parse import unquote_to_bytes

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu.adapters.metrics import METRICS

log = structlog.get_logger("kefu.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )


_URL_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


class InputLimits:
    """Refuse, as problem+json, a body over ``max_body_bytes`` (413; counted as it arrives, whatever
    Content-Length says) and a path or query string with control characters (422)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if _URL_CONTROL.search(unquote_to_bytes(raw_path)) or _URL_CONTROL.search(
            unquote_to_bytes(scope.get("query_string", b""))
        ):
            await _problem(scope, send, 422, "validation_failed", "Validation failed",
                           "control characters (such as NUL) are not allowed in the URL")  # fmt: skip
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _problem(scope, send, 413, "too_large", "Request body too large",
                           f"the request body may have at most {self.max_body_bytes} bytes")  # fmt: skip
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await _problem(scope, send, 413, "too_large", "Request body too large",
                               f"the request body may have at most {self.max_body_bytes} bytes")  # fmt: skip
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _problem(scope: Scope, send: Send, status: int, code: str, title: str, detail: str) -> None:
    body = {
        "type": f"https://kefu.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": scope.get("path", ""),
    }
    request_id = scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


# Every HTML page kefu serves (the UI, its static pages, the error pages) comes from kefu itself and is
# never framed; the API docs page loads Swagger UI from its CDN, so it gets a policy of its own.
STRICT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "style-src 'self' https://cdn.jsdelivr.net; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SecurityHeaders:
    """``nosniff`` on every response, and a Content-Security-Policy with ``frame-ancestors 'none'`` on
    every HTML response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if content_type.startswith(b"text/html") and b"content-security-policy" not in names:
                    policy = DOCS_CSP if path.startswith("/docs") else STRICT_CSP
                    headers.append((b"content-security-policy", policy.encode()))
                    headers.append((b"referrer-policy", b"no-referrer"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class MetricsTiming:
    """Count and time every request by its route template (``/api/v1/customers/{customer_id}``, never the
    raw path: ids would make a series per customer); the first request hooks the metrics to kefu's bus."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kefu = getattr(scope["app"].state, "kefu", None) if "app" in scope else None
        if kefu is not None:
            METRICS.attach(kefu.bus)
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            METRICS.observe_request(scope.get("method", ""), template, status, time.perf_counter() - started)
