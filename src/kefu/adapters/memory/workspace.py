"""In-memory repository of canned responses (the same contract as the SQL one)."""

from __future__ import annotations

from kefu.adapters.memory.shared import clone
from kefu.adapters.memory.store import MemorySession
from kefu.domain.canned import CannedResponse

TABLE = "canned_responses"


class MemoryCannedResponses:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, response: CannedResponse) -> None:
        self._s.insert(TABLE, response.id, clone(response))

    async def get(self, response_id: str) -> CannedResponse | None:
        row: CannedResponse | None = self._s.get(TABLE, response_id)
        return None if row is None else clone(row)

    async def save(self, response: CannedResponse) -> None:
        if self._s.get(TABLE, response.id) is not None:
            self._s.update(TABLE, response.id, clone(response))

    async def delete(self, response_id: str) -> None:
        if self._s.get(TABLE, response_id) is not None:
            self._s.delete(TABLE, response_id)

    async def by_shortcut(self, language: str, shortcut: str) -> CannedResponse | None:
        rows: list[CannedResponse] = list(self._s.scan(TABLE))
        found = next((r for r in rows if (r.language, r.shortcut) == (language, shortcut)), None)
        return None if found is None else clone(found)

    async def all(self, language: str | None = None) -> list[CannedResponse]:
        rows = [clone(r) for r in self._s.scan(TABLE) if language is None or r.language == language]
        return sorted(rows, key=lambda r: (r.language, r.shortcut))
