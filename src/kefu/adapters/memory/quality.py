"""In-memory quality records: CSAT ratings, commendations and complaints."""

from __future__ import annotations

import dataclasses

from kefu.adapters.memory.shared import clone, matches, page
from kefu.adapters.memory.store import MemorySession
from kefu.domain.quality import Commendation, Complaint, ComplaintStatus, CsatRating


class MemoryQualityRecords:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add_csat(self, rating: CsatRating) -> None:
        self._s.insert("csat_ratings", rating.id, clone(rating))

    async def csat_for(self, conversation_id: str) -> CsatRating | None:
        return next(
            (clone(r) for r in self._s.scan("csat_ratings") if r.conversation_id == conversation_id), None
        )

    async def add_commendation(self, commendation: Commendation) -> None:
        self._s.insert("commendations", commendation.id, clone(commendation))

    async def commendations(self, agent_id: str, after: str | None, limit: int) -> list[Commendation]:
        rows = (c for c in self._s.scan("commendations") if c.agent_id == agent_id)
        return page(rows, lambda c: c.id, after, limit)

    async def commendation_count(self, agent_id: str) -> int:
        return sum(1 for c in self._s.scan("commendations") if c.agent_id == agent_id)

    async def add_complaint(self, complaint: Complaint) -> None:
        self._s.insert("complaints", complaint.id, clone(complaint))

    async def get_complaint(self, complaint_id: str) -> Complaint | None:
        return clone(self._s.get("complaints", complaint_id))

    async def save_complaint(self, complaint: Complaint) -> None:
        row: Complaint | None = self._s.get("complaints", complaint.id)
        if row is None:
            await self.add_complaint(complaint)
            return
        # Only the handling fields change, as in the SQL store.
        changed = dataclasses.replace(
            clone(row),
            status=complaint.status,
            updated_at=complaint.updated_at,
            handled_by=complaint.handled_by,
            note=complaint.note,
        )
        self._s.update("complaints", complaint.id, changed)

    async def complaints(
        self,
        after: str | None,
        limit: int,
        status: ComplaintStatus | None = None,
        agent_id: str | None = None,
    ) -> list[Complaint]:
        rows = (c for c in self._s.scan("complaints") if matches(c, status=status, agent_id=agent_id))
        return page(rows, lambda c: c.id, after, limit)
