"""Partial updates (PATCH): which fields may change, and which may not be cleared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kefu.domain.errors import InvalidInput


def checked_changes(
    changes: Mapping[str, Any], updatable: Iterable[str], required: Iterable[str] = ()
) -> dict[str, Any]:
    """The changes, refused with the first offending field named if one may not change or be cleared."""
    allowed = frozenset(updatable)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(unknown)}", field=unknown[0])
    for name in required:
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} cannot be cleared", field=name)
    return dict(changes)
