"""Contract of wallboard thresholds: one row per queue, replaced whole, listed by queue, queue must exist."""

from __future__ import annotations

import pytest

from kefu.domain.errors import Conflict
from kefu.domain.thresholds import Thresholds
from tests.integration.contract.conftest import T0, Stores


async def test_thresholds_are_put_replaced_and_listed_by_queue(stores: Stores) -> None:
    """A put stores the limits (None kept as None); a second put replaces them; list orders by queue."""
    async with stores.uow() as uow:
        assert await uow.thresholds.get("games") is None
        await uow.thresholds.put(Thresholds("games", wait_warn_s=30, sl_alarm_pct=55.5, updated_at=T0))
        await uow.thresholds.put(Thresholds("anti_fraud", available_alarm=0, updated_at=T0))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.thresholds.get("games") == Thresholds(
            "games", wait_warn_s=30, sl_alarm_pct=55.5, updated_at=T0
        )
        await uow.thresholds.put(Thresholds("games", waiting_alarm=9, updated_at=T0))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.thresholds.list() == [
            Thresholds("anti_fraud", available_alarm=0, updated_at=T0),
            Thresholds("games", waiting_alarm=9, updated_at=T0),
        ]


async def test_thresholds_of_an_unknown_queue_are_refused(stores: Stores) -> None:
    """Limits refer to a queue: one that does not exist fails the commit and nothing is stored."""
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.thresholds.put(Thresholds("no_such_queue", wait_warn_s=1, updated_at=T0))
            await uow.commit()
    async with stores.uow() as uow:
        assert await uow.thresholds.list() == []
