"""Opaque cursors for keyset pagination over time-ordered ids."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from kefu.domain.errors import InvalidInput

T = TypeVar("T")
_PREFIX = "k1:"


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(_PREFIX) or len(raw) > 100:
        raise InvalidInput("cursor is not one this API handed out", field="cursor")
    return raw[len(_PREFIX) :]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_of(rows: list[T], limit: int, key: str = "id") -> Page[T]:
    """Rows were fetched with ``limit + 1``: the extra row only tells whether another page exists."""
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items, encode_cursor(str(getattr(items[-1], key))) if more and items else None)
