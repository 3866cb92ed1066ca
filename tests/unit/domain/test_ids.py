"""Time-ordered ids."""

from __future__ import annotations

import uuid

from kefu.domain.ids import new_id


def test_ids_are_uuid7_and_sort_in_creation_order() -> None:
    """Ids are RFC 9562 version-7 UUIDs, strictly increasing within a process, so they work as cursors."""
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
