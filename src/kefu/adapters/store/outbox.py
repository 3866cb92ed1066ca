"""The outbox table and ``SqlOutbox``, its repository (migration 0008).

The unit of work adds one row per emitted event just before it commits, so the events commit or roll back
with the change. A relay then takes the unsent rows oldest first, publishes them and marks them sent, all
in its own transaction::

    SELECT … FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT :n
    FOR UPDATE SKIP LOCKED                                       -- PostgreSQL only

On PostgreSQL the row locks last until the relay commits, so concurrent relays take disjoint rows and
never wait on each other; writers are not blocked (they only insert). SQLite has one writer at a time and
the relay does not hold it while it publishes (that would stall every write behind NATS), so two relays on
one SQLite file may publish a row twice; JetStream drops the repeat by its ``Nats-Msg-Id`` (the row id).

``seq`` is the order: an identity on PostgreSQL; on SQLite the insert sets it to ``MAX(rowid) + 1``,
which is the rowid SQLite gives the new row, so ``seq`` grows for as long as any row exists.

Every time here is given by the caller (the injected clock), never the database's ``now()``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Identity,
    Index,
    Integer,
    String,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import ID, Base
from kefu.services.ports import OutboxRecord


class OutboxRow(Base):
    __tablename__ = "outbox"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), Identity())
    name: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "ix_outbox_unsent",
            "seq",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
        Index(
            "ix_outbox_sent_at",
            "sent_at",
            postgresql_where=text("sent_at IS NOT NULL"),
            sqlite_where=text("sent_at IS NOT NULL"),
        ),
    )


def _json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as plain JSON values (tuples become lists, anything unusual its string)."""
    out: dict[str, Any] = json.loads(json.dumps(payload, ensure_ascii=False, default=str))
    return out


def _record(row: Any) -> OutboxRecord:
    return OutboxRecord(
        id=row.id, name=row.name, payload=row.payload, created_at=row.created_at, sent_at=row.sent_at
    )


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def _postgresql(self) -> bool:
        return self._s.get_bind().dialect.name == "postgresql"

    async def add(self, records: Sequence[OutboxRecord]) -> None:
        if not records:
            return
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "payload": _json_safe(r.payload),
                "created_at": r.created_at,
                "sent_at": r.sent_at,
            }
            for r in records
        ]
        if self._postgresql():
            await self._s.execute(insert(OutboxRow), rows)
            return
        # One statement per row: SQLite evaluates the subquery as the row goes in, under its write lock.
        next_seq = (
            select(func.coalesce(func.max(text("rowid")), 0) + 1).select_from(OutboxRow).scalar_subquery()
        )
        for row in rows:
            await self._s.execute(insert(OutboxRow).values(**row, seq=next_seq))

    async def claim(self, limit: int) -> list[OutboxRecord]:
        stmt = (
            select(OutboxRow.id, OutboxRow.name, OutboxRow.payload, OutboxRow.created_at, OutboxRow.sent_at)
            .where(OutboxRow.sent_at.is_(None))
            .order_by(OutboxRow.seq)
            .limit(limit)
        )
        if self._postgresql():
            stmt = stmt.with_for_update(skip_locked=True)
        return [_record(row) for row in (await self._s.execute(stmt)).all()]

    async def mark_sent(self, ids: Sequence[str], at: datetime) -> None:
        if not ids:
            return
        await self._s.execute(
            update(OutboxRow).where(OutboxRow.id.in_(list(ids))).values(sent_at=at),
            execution_options={"synchronize_session": False},
        )

    async def oldest_unsent(self) -> datetime | None:
        stmt = (
            select(OutboxRow.created_at).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.seq).limit(1)
        )
        oldest: datetime | None = (await self._s.execute(stmt)).scalar_one_or_none()
        return oldest

    async def prune(self, sent_before: datetime, limit: int) -> int:
        old = (
            select(OutboxRow.id)
            .where(OutboxRow.sent_at.is_not(None), OutboxRow.sent_at < sent_before)
            .order_by(OutboxRow.sent_at)
            .limit(limit)
        )
        result = await self._s.execute(
            delete(OutboxRow).where(OutboxRow.id.in_(old.scalar_subquery())),
            execution_options={"synchronize_session": False},
        )
        return int(getattr(result, "rowcount", 0) or 0)
