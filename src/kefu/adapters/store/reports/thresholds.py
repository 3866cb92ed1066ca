"""Wallboard thresholds in SQL: one row per queue (migration 0016), its limits as nullable columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import Base
from kefu.domain.thresholds import Thresholds

_LIMITS = (
    "wait_warn_s",
    "wait_alarm_s",
    "sl_warn_pct",
    "sl_alarm_pct",
    "waiting_warn",
    "waiting_alarm",
    "available_warn",
    "available_alarm",
)


class QueueThresholdRow(Base):
    __tablename__ = "queue_thresholds"
    queue_id: Mapped[str] = mapped_column(String(64), ForeignKey("queues.id"), primary_key=True)
    wait_warn_s: Mapped[int | None] = mapped_column(Integer)
    wait_alarm_s: Mapped[int | None] = mapped_column(Integer)
    sl_warn_pct: Mapped[float | None] = mapped_column(Float)
    sl_alarm_pct: Mapped[float | None] = mapped_column(Float)
    waiting_warn: Mapped[int | None] = mapped_column(Integer)
    waiting_alarm: Mapped[int | None] = mapped_column(Integer)
    available_warn: Mapped[int | None] = mapped_column(Integer)
    available_alarm: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column()


def _from_row(row: QueueThresholdRow) -> Thresholds:
    return Thresholds(
        row.queue_id, **{name: getattr(row, name) for name in _LIMITS}, updated_at=row.updated_at
    )


class SqlThresholds:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, queue_id: str) -> Thresholds | None:
        row = await self._s.get(QueueThresholdRow, queue_id)
        return None if row is None else _from_row(row)

    async def put(self, thresholds: Thresholds) -> None:
        row = await self._s.get(QueueThresholdRow, thresholds.queue_id)
        if row is None:
            row = QueueThresholdRow(queue_id=thresholds.queue_id)
            self._s.add(row)
        for name in _LIMITS:
            setattr(row, name, getattr(thresholds, name))
        row.updated_at = thresholds.updated_at

    async def list(self) -> list[Thresholds]:
        stmt = select(QueueThresholdRow).order_by(QueueThresholdRow.queue_id)
        return [_from_row(r) for r in (await self._s.execute(stmt)).scalars()]
