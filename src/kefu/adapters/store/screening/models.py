"""SQL repository of the screening model lane's versions (table ``screening_models``)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.adapters.store.screening.tables import PaymentLabelRow, ScreeningModelRow, ScreeningRow
from kefu.screening.model_records import ModelDecision, ModelStatus, StoredModel

_FIELDS = tuple(c.name for c in ScreeningModelRow.__table__.columns)


def _model(row: ScreeningModelRow) -> StoredModel:
    values = {f: getattr(row, f) for f in _FIELDS}
    values["status"] = cast(ModelStatus, row.status)
    return StoredModel(**values)


class SqlScreeningModels:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, model: StoredModel) -> None:
        self._s.add(ScreeningModelRow(**{f: getattr(model, f) for f in _FIELDS}))

    async def get(self, version: str) -> StoredModel | None:
        row = await self._s.get(ScreeningModelRow, version)
        return None if row is None else _model(row)

    async def all(self) -> list[StoredModel]:
        stmt = select(ScreeningModelRow).order_by(
            ScreeningModelRow.trained_at.desc(), ScreeningModelRow.version.desc()
        )
        return [_model(r) for r in (await self._s.execute(stmt)).scalars()]

    async def in_force(self) -> tuple[str | None, str | None]:
        live = select(ScreeningModelRow.version).where(ScreeningModelRow.status == "live").limit(1)
        shadow = (
            select(ScreeningModelRow.version)
            .where(ScreeningModelRow.status == "shadow")
            .order_by(ScreeningModelRow.trained_at.desc(), ScreeningModelRow.version.desc())
            .limit(1)
        )
        return (
            (await self._s.execute(live)).scalar_one_or_none(),
            (await self._s.execute(shadow)).scalar_one_or_none(),
        )

    async def set_status(self, version: str, status: ModelStatus, promoted_at: datetime | None) -> None:
        values: dict[str, object] = {"status": status}
        if promoted_at is not None:
            values["promoted_at"] = promoted_at
        await self._s.execute(
            update(ScreeningModelRow).where(ScreeningModelRow.version == version).values(**values),
            execution_options={"synchronize_session": False},
        )
        # the session may hold the row from an earlier get(); the next read must see the new status
        self._s.expire_all()

    async def decisions(self, start: datetime, end: datetime) -> list[ModelDecision]:
        window = (ScreeningRow.screened_at >= start) & (ScreeningRow.screened_at < end)
        version = ScreeningRow.result["model"]["version"].as_string()
        stmt = select(
            ScreeningRow.payment_id, version, ScreeningRow.screened_at, ScreeningRow.decision
        ).where(window)
        rows = (await self._s.execute(stmt)).all()
        labelled = (
            select(PaymentLabelRow.payment_id, PaymentLabelRow.label)
            .join(ScreeningRow, ScreeningRow.payment_id == PaymentLabelRow.payment_id)
            .where(window)
            .order_by(PaymentLabelRow.at, PaymentLabelRow.id)
        )
        latest: dict[str, str] = {}
        for pid, label in (await self._s.execute(labelled)).all():
            latest[pid] = label  # oldest first: the last one seen is current
        return [ModelDecision(v, at, d, latest.get(pid)) for pid, v, at, d in rows]
