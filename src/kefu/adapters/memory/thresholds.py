"""In-memory wallboard thresholds, one row per queue."""

from __future__ import annotations

from kefu.adapters.memory.shared import clone
from kefu.adapters.memory.store import MemorySession
from kefu.domain.thresholds import Thresholds


class MemoryThresholds:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def get(self, queue_id: str) -> Thresholds | None:
        return clone(self._s.get("queue_thresholds", queue_id))

    async def put(self, thresholds: Thresholds) -> None:
        if self._s.get("queue_thresholds", thresholds.queue_id) is None:
            self._s.insert("queue_thresholds", thresholds.queue_id, clone(thresholds))
        else:
            self._s.update("queue_thresholds", thresholds.queue_id, clone(thresholds))

    async def list(self) -> list[Thresholds]:
        return sorted((clone(t) for t in self._s.scan("queue_thresholds")), key=lambda t: t.queue_id)
