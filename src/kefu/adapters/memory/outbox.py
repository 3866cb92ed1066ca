"""The in-memory transactional outbox: events written with the change, claimed by a relay in the order
they were committed (as ``seq`` orders the SQL table).

``claim`` skips rows another session has claimed and not yet committed (``FOR UPDATE SKIP LOCKED``), so
several relays take disjoint rows; ``mark_sent`` and ``prune`` are plain updates and deletes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from kefu.adapters.memory.shared import clone
from kefu.adapters.memory.store import MemorySession
from kefu.services.ports import OutboxRecord


class MemoryOutbox:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, records: Sequence[OutboxRecord]) -> None:
        for record in records:
            self._s.insert("outbox", record.id, clone(record))

    async def claim(self, limit: int) -> list[OutboxRecord]:
        rows: list[OutboxRecord] = [
            r
            for r in self._s.scan("outbox")
            if r.sent_at is None and not self._s.locked_by_other("outbox", r.id)
        ]
        chosen = rows[: max(limit, 0)]
        for record in chosen:
            self._s.lock("outbox", record.id)
        return [clone(r) for r in chosen]

    async def mark_sent(self, ids: Sequence[str], at: datetime) -> None:
        for record_id in ids:
            row: OutboxRecord | None = self._s.get("outbox", record_id)
            if row is not None:
                self._s.update("outbox", record_id, dataclasses.replace(row, sent_at=at))
                self._s.lock("outbox", record_id)

    async def oldest_unsent(self) -> datetime | None:
        return min((r.created_at for r in self._s.scan("outbox") if r.sent_at is None), default=None)

    async def prune(self, sent_before: datetime, limit: int) -> int:
        rows: list[OutboxRecord] = [
            r for r in self._s.scan("outbox") if r.sent_at is not None and r.sent_at < sent_before
        ]
        rows.sort(key=lambda r: (r.sent_at, r.id))
        chosen = rows[: max(limit, 0)]
        for record in chosen:
            self._s.delete("outbox", record.id)
        return len(chosen)
