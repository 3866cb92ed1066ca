"""The quality records on SQLAlchemy: CSAT ratings, commendations and complaints."""

from __future__ import annotations

from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.adapters.store.quality.tables import CommendationRow, ComplaintRow, CsatRow
from kefu.domain.quality import Commendation, Complaint, ComplaintStatus, CsatRating


def _complaint(r: ComplaintRow) -> Complaint:
    return Complaint(
        id=r.id,
        customer_id=r.customer_id,
        conversation_id=r.conversation_id,
        agent_id=r.agent_id,
        queue=r.queue,
        business_line=r.business_line,
        category=r.category,
        text=r.text,
        status=cast(ComplaintStatus, r.status),
        created_at=r.created_at,
        updated_at=r.updated_at,
        handled_by=r.handled_by,
        note=r.note,
    )


def _commendation(r: CommendationRow) -> Commendation:
    return Commendation(
        r.id,
        r.agent_id,
        r.customer_id,
        r.conversation_id,
        r.queue,
        r.business_line,
        r.message,
        r.given_by,
        r.at,
    )


class SqlQualityRecords:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_csat(self, rating: CsatRating) -> None:
        self._s.add(
            CsatRow(
                id=rating.id,
                conversation_id=rating.conversation_id,
                customer_id=rating.customer_id,
                queue=rating.queue,
                business_line=rating.business_line,
                agent_id=rating.agent_id,
                score=rating.score,
                comment=rating.comment,
                at=rating.at,
            )
        )

    async def csat_for(self, conversation_id: str) -> CsatRating | None:
        stmt = select(CsatRow).where(CsatRow.conversation_id == conversation_id)
        r = (await self._s.execute(stmt)).scalar_one_or_none()
        if r is None:
            return None
        return CsatRating(
            r.id,
            r.conversation_id,
            r.customer_id,
            r.queue,
            r.business_line,
            r.agent_id,
            r.score,
            r.comment,
            r.at,
        )

    async def add_commendation(self, commendation: Commendation) -> None:
        c = commendation
        self._s.add(
            CommendationRow(
                id=c.id,
                agent_id=c.agent_id,
                customer_id=c.customer_id,
                conversation_id=c.conversation_id,
                queue=c.queue,
                business_line=c.business_line,
                message=c.message,
                given_by=c.by,
                at=c.at,
            )
        )

    async def commendations(self, agent_id: str, after: str | None, limit: int) -> list[Commendation]:
        stmt = select(CommendationRow).where(CommendationRow.agent_id == agent_id)
        if after is not None:
            stmt = stmt.where(CommendationRow.id > after)
        stmt = stmt.order_by(CommendationRow.id).limit(limit)
        return [_commendation(r) for r in (await self._s.execute(stmt)).scalars()]

    async def commendation_count(self, agent_id: str) -> int:
        stmt = select(func.count()).where(CommendationRow.agent_id == agent_id)
        return int((await self._s.execute(stmt)).scalar_one())

    async def add_complaint(self, complaint: Complaint) -> None:
        self._s.add(ComplaintRow(**{k: getattr(complaint, k) for k in Complaint.__slots__}))

    async def get_complaint(self, complaint_id: str) -> Complaint | None:
        row = await self._s.get(ComplaintRow, complaint_id)
        return None if row is None else _complaint(row)

    async def save_complaint(self, complaint: Complaint) -> None:
        row = await self._s.get(ComplaintRow, complaint.id)
        if row is None:
            await self.add_complaint(complaint)
            return
        row.status = complaint.status
        row.updated_at = complaint.updated_at
        row.handled_by = complaint.handled_by
        row.note = complaint.note

    async def complaints(
        self,
        after: str | None,
        limit: int,
        status: ComplaintStatus | None = None,
        agent_id: str | None = None,
    ) -> list[Complaint]:
        stmt = select(ComplaintRow)
        if status is not None:
            stmt = stmt.where(ComplaintRow.status == status)
        if agent_id is not None:
            stmt = stmt.where(ComplaintRow.agent_id == agent_id)
        if after is not None:
            stmt = stmt.where(ComplaintRow.id > after)
        stmt = stmt.order_by(ComplaintRow.id).limit(limit)
        return [_complaint(r) for r in (await self._s.execute(stmt)).scalars()]
