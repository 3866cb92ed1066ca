"""The OpenAPI document says what the API really answers, for every operation at once.

FastAPI documents a route's success and a JSON 422; kefu answers every error as problem+json, and any
operation may meet a bad token, a missing id, a state conflict, a too large body, a throttle or a backing
service that is down. Rather than repeat that on ~90 routes, the document is completed here: every
operation declares the problem+json answers it can give, and every free-text string says it refuses the
control characters kefu refuses (request bodies: C0 and C1 except tab, newline and return; URLs: C0);
answers carry no such pattern (they echo what was stored or asked)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM = "application/problem+json"
_ERRORS = {
    "400": "Malformed request (e.g. the body is not JSON)",
    "401": "No token, or a bad, expired or revoked one",
    "403": "The role, its bases or the token's scopes do not allow it",
    "404": "Unknown id or path",
    "409": "Conflicts with the current state",
    "413": "Body over KEFU_MAX_BODY_BYTES",
    "422": "Invalid input (validation_failed with errors[], or invalid_input with field)",
    "429": "Too many attempts; see Retry-After",
    "503": "A backing service is unavailable; see Retry-After",
}
_PUBLIC = {"/healthz", "/readyz", "/api/v1/auth/login"}  # answered without a token
# What InputLimits and the request models refuse (schemas.py: ``_CONTROL`` and middleware ``_URL_CONTROL``).
BODY_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
URL_TEXT = "^[^\\x00-\\x1f\\x7f]*$"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; a stable code and, by kind, more fields (field, errors, ...)",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail", "code"],
}


def install(app: FastAPI) -> None:
    """Serve the completed document (built once, as FastAPI does)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in _ERRORS.items():
                if status == "401" and path in _PUBLIC and path != "/api/v1/auth/login":
                    continue
                responses[status] = {"description": description, "content": {PROBLEM: {"schema": ref}}}
            for parameter in operation.get("parameters", []):
                _text(parameter.get("schema", {}), URL_TEXT)
    for name in _request_schemas(doc):
        _text(schemas[name], BODY_TEXT)
    return doc


def _request_schemas(doc: dict[str, Any]) -> set[str]:
    """Names of the component schemas a request body uses, directly or nested (answers echo what kefu
    stored or was asked, so their strings get no pattern)."""
    found: set[str] = set()
    todo = [
        media.get("schema")
        for operations in doc.get("paths", {}).values()
        for operation in operations.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    schemas = doc["components"]["schemas"]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found and name in schemas:
                    found.add(name)
                    todo.append(schemas[name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found


def _text(schema: Any, pattern: str) -> None:
    """Give every free-text string (no pattern, format or enum of its own) the pattern, keys included."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not ({"pattern", "format", "enum", "const"} & set(schema)):
        schema["pattern"] = pattern
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        schema.setdefault("propertyNames", {"pattern": pattern})
    for key in ("properties", "$defs"):
        for sub in (schema.get(key) or {}).values():
            _text(sub, pattern)
    for key in ("items", "additionalProperties"):
        _text(schema.get(key), pattern)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or []:
            _text(sub, pattern)
