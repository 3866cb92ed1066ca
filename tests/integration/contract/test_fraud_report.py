"""Contract of the anti-fraud report's reads: cases opened in a window and ledger entries made in one,
oldest first, bounded by the limit, ``to`` excluded."""

from __future__ import annotations

from datetime import timedelta

from kefu.domain.cases import LedgerEntry
from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import T0, Stores

MIN = timedelta(minutes=1)


async def test_cases_opened_between_are_read_in_opening_order(stores: Stores) -> None:
    """Opened at +2, +0, +5 and +9 min: the window [0, 9) gives the first three by time, a limit cuts."""
    async with stores.uow() as uow:
        for n, minutes in ((1, 2), (2, 0), (3, 5), (4, 9)):
            await uow.cases.add(mk.case(n, opened_at=T0 + minutes * MIN))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.cases.opened_between(T0, T0 + 9 * MIN, 10)
        assert [c.id for c in got] == ["k-002", "k-001", "k-003"]
        assert got[0].contact_attempts == []
        assert [c.id for c in await uow.cases.opened_between(T0, T0 + 9 * MIN, 2)] == ["k-002", "k-001"]


async def test_savings_are_read_by_time_within_the_window(stores: Stores) -> None:
    """Two savings inside the window and one at its end: the two, oldest first, whole."""
    async with stores.uow() as uow:
        for n in (1, 2, 3):
            await uow.cases.add(mk.case(n))
        await uow.fraud.add_saving(
            LedgerEntry("l-2", "k-002", "p-002", None, 700, "CNY", "investment", T0 + MIN)
        )
        await uow.fraud.add_saving(LedgerEntry("l-1", "k-001", "p-001", None, 500, "CNY", None, T0))
        await uow.fraud.add_saving(LedgerEntry("l-3", "k-003", "p-003", None, 900, "USD", None, T0 + 5 * MIN))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.fraud.savings(T0, T0 + 5 * MIN, 10) == [
            LedgerEntry("l-1", "k-001", "p-001", None, 500, "CNY", None, T0),
            LedgerEntry("l-2", "k-002", "p-002", None, 700, "CNY", "investment", T0 + MIN),
        ]
