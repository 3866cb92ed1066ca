"""Contract of ``AuditLog.head_before``: the last chained entry written before an instant, for the daily
checkpoint; (0, GENESIS) when there is none."""

from __future__ import annotations

from datetime import timedelta

from kefu.domain.audit import GENESIS, AuditEntry
from tests.integration.contract.conftest import T0, Stores


async def test_head_before_is_the_last_chained_entry_written_before_the_instant(stores: Stores) -> None:
    """Three entries an hour apart: before the second's time, the first; after all, the head."""
    for n in range(3):
        async with stores.uow() as uow:
            at = T0 + timedelta(hours=n)
            await uow.audit.append(AuditEntry(f"e-{n}", at, "admin", "reveal", "case", f"k-{n}", {"n": n}))
            await uow.commit()
    async with stores.uow() as uow:
        chain = await uow.audit.chain(0, 10)
        assert await uow.audit.head_before(T0) == (0, GENESIS)
        assert await uow.audit.head_before(T0 + timedelta(minutes=30)) == (chain[0].seq, chain[0].hash)
        assert await uow.audit.head_before(T0 + timedelta(hours=1)) == (chain[0].seq, chain[0].hash)
        assert await uow.audit.head_before(T0 + timedelta(days=1)) == await uow.audit.head()
