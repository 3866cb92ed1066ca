"""The shipped fake world: its unit of work commits into the memory outbox, and the exact-events check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.adapters.memory.testing import FakeWorld
from kefu.domain.customers import Customer
from kefu.domain.errors import Conflict
from kefu.domain.events import CustomerCreated, CustomerUpdated

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _customer(n: int) -> Customer:
    return Customer(f"c-{n}", "ext-1", "客户", "zh", T0, T0)


async def test_committed_events_are_asserted_exactly_and_in_order() -> None:
    """Events committed through the world's units of work are seen once, in order, names or payloads."""
    world = FakeWorld()
    async with world.uow_factory() as uow:
        uow.emit(CustomerCreated("c-1", T0))
        uow.emit(CustomerUpdated("c-1", ("name",), T0))
        await uow.commit()
    world.assert_events(CustomerCreated("c-1", T0), "customer.updated")
    world.assert_no_events()


async def test_a_wrong_order_or_an_extra_event_fails_the_assertion() -> None:
    """The check fails on a different order, a missing event and an extra one."""
    world = FakeWorld()
    async with world.uow_factory() as uow:
        uow.emit(CustomerCreated("c-1", T0))
        uow.emit(CustomerUpdated("c-1", ("name",), T0))
        await uow.commit()
    with pytest.raises(AssertionError, match="committed events differ"):
        world.assert_events("customer.updated", "customer.created")
    async with world.uow_factory() as uow:
        uow.emit(CustomerCreated("c-2", T0))
        await uow.commit()
    with pytest.raises(AssertionError):
        world.assert_events()


async def test_events_of_a_failed_or_abandoned_unit_of_work_never_appear() -> None:
    """No commit, or a commit that conflicts, leaves no event behind."""
    world = FakeWorld()
    async with world.uow_factory() as uow:
        await uow.customers.add(_customer(1))
        await uow.commit()
    async with world.uow_factory() as uow:
        uow.emit(CustomerCreated("c-9", T0))
    with pytest.raises(Conflict):
        async with world.uow_factory() as uow:
            await uow.customers.add(_customer(2))  # the same external id
            uow.emit(CustomerCreated("c-2", T0))
            await uow.commit()
    world.assert_no_events()
    assert [c.id for c in world.store.rows("customers")] == ["c-1"]


async def test_a_committed_record_carries_the_clock_time_and_the_event_payload() -> None:
    """Each outbox record has its own id, the event's name and payload, and the clock's time."""
    world = FakeWorld()
    async with world.uow_factory() as uow:
        uow.emit(CustomerCreated("c-1", T0))
        await uow.commit()
    (record,) = world.committed()
    assert (record.name, record.payload, record.created_at, record.sent_at) == (
        "customer.created",
        {"customer_id": "c-1", "at": T0.isoformat()},
        world.clock.now(),
        None,
    )
