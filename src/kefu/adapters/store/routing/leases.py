"""The routing leases in SQL: acquire and renew under a row lock, and the fence every routing write checks.

The fence is an ``UPDATE … WHERE partition AND holder AND token`` inside the write's own transaction. On
PostgreSQL it takes the lease row's lock until the write commits, so a takeover (which updates the same
row) waits for a write in flight, and a write that starts after a takeover finds no row to update. SQLite
serialises every writing transaction, which gives the same order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.adapters.store.routing.tables import RouterLeaseRow
from kefu.routing.lease import Fence, Lease, grant


def _lease(row: RouterLeaseRow) -> Lease:
    return Lease(row.partition, row.holder, row.token, row.expires_at, row.acquired_at)


class SqlLeases:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, partition: str) -> Lease | None:
        row = await self._s.get(RouterLeaseRow, partition)
        return None if row is None else _lease(row)

    async def acquire(self, partition: str, holder: str, now: datetime, until: datetime) -> Lease | None:
        """Take or renew ``partition``'s lease for ``holder`` until ``until``; None while another holds it.

        Two routers racing for an absent row both insert; one commit fails (``Conflict``) and that router
        tries again at its next turn."""
        row = (
            await self._s.execute(
                select(RouterLeaseRow).where(RouterLeaseRow.partition == partition).with_for_update()
            )
        ).scalar_one_or_none()
        current = None if row is None else _lease(row)
        granted = grant(current, holder, now, until)
        if granted is None:
            return None
        if row is None:
            self._s.add(RouterLeaseRow(partition=partition, holder=holder, token=granted.token,
                                       expires_at=until, acquired_at=now))  # fmt: skip
            await self._s.flush()
        else:
            row.holder, row.token, row.expires_at, row.acquired_at = (
                holder,
                granted.token,
                until,
                granted.acquired_at,
            )
            await self._s.flush()
        return Lease(partition, holder, granted.token, until, granted.acquired_at)

    async def release(self, fence: Fence, now: datetime) -> None:
        """End the lease now (a router stopping cleanly), so a standby need not wait for it to expire."""
        await self._s.execute(
            update(RouterLeaseRow)
            .where(
                RouterLeaseRow.partition == fence.partition,
                RouterLeaseRow.holder == fence.holder,
                RouterLeaseRow.token == fence.token,
            )
            .values(expires_at=now)
        )

    async def fence(self, fence: Fence) -> bool:
        """True if the lease row still names this holder and token; locks the row until commit."""
        result = await self._s.execute(
            update(RouterLeaseRow)
            .where(
                RouterLeaseRow.partition == fence.partition,
                RouterLeaseRow.holder == fence.holder,
                RouterLeaseRow.token == fence.token,
            )
            .values(token=RouterLeaseRow.token)
        )
        return isinstance(result, CursorResult) and result.rowcount == 1
