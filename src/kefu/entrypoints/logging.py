"""structlog set-up: JSON lines in production, readable lines in development, a request id on each.

Tracebacks are plain in both (never the local variables of each frame, which held request bodies and
tokens), and anything shaped like a bearer token or a password field is blanked before a line is written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# A JWT (what kefu's tokens and tickets are), an Authorization header's value, a password in text.
_SECRETS = (
    (re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*"), "[token]"),
    (re.compile(r"(?i)(bearer\s+)[^\s'\"]+"), r"\1[token]"),
    (re.compile(r"(?i)(['\"]?password['\"]?\s*[:=]\s*)(['\"])[^'\"]*\2"), r"\1\2[hidden]\2"),
)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, replacement in _SECRETS:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """Blank tokens and passwords in every field of a log line, the formatted traceback included."""
    return {key: _scrub(value) for key, value in event_dict.items()}


def configure_logging(json_logs: bool, level: str = "INFO") -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_logs
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, redact_secrets, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
