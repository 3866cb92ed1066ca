"""The transactional outbox on real SQLite and PostgreSQL: the table, the unit of work, the relay.

Events are written in the transaction of their change (and vanish with it), the relay takes unsent rows
oldest first, marks them sent and prunes them, and with its publisher down it leaves them waiting. The
publisher here is ``RecordingPublisher``; the NATS side is in ``test_outbox_nats``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.store.engine import create_engine, upgrade
from kefu.adapters.store.uow import SqlUnitOfWork
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from kefu.domain.commands import CreateCustomer, OpenConversation
from kefu.domain.errors import AlreadyExists
from kefu.domain.events import CustomerCreated
from kefu.domain.ids import new_id
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.outbox import OutboxRelay, RecordingPublisher, RelaySettings
from kefu.services.ports import OutboxRecord, UnitOfWork, UnitOfWorkFactory
from tests.conftest import Database, asgi_client, settings_for

T0 = datetime(2026, 1, 5, 19, 30, tzinfo=UTC)  # 03:30 in Beijing


@pytest_asyncio.fixture
async def sessions(database: Database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a freshly migrated database of each kind."""
    engine = create_engine(database.url, schema=database.schema)
    await upgrade(engine)
    try:
        yield async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def factory(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> UnitOfWorkFactory:
    def make() -> UnitOfWork:
        return SqlUnitOfWork(sessions, clock)

    return make


def record(created_at: datetime, name: str = "customer.created") -> OutboxRecord:
    return OutboxRecord(new_id(), name, {"customer_id": new_id()}, created_at)


async def add(uow_factory: UnitOfWorkFactory, *records: OutboxRecord) -> None:
    async with uow_factory() as uow:
        await uow.outbox.add(list(records))
        await uow.commit()


async def unsent(uow_factory: UnitOfWorkFactory) -> list[OutboxRecord]:
    async with uow_factory() as uow:
        return await uow.outbox.claim(10_000)


# --- the table ---------------------------------------------------------------------------------------


async def test_claim_takes_unsent_rows_in_the_order_they_were_added(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """Oldest first means first added, even when the clock and ids say otherwise; sent rows are skipped."""
    uows = factory(sessions, clock)
    later, earlier = record(T0 + timedelta(seconds=5)), record(T0)
    first = OutboxRecord("ffffffff-0000-7000-8000-000000000000", "task.opened", {"n": 1}, T0)
    await add(uows, first)
    await add(uows, later, earlier)
    async with uows() as uow:
        assert [r.id for r in await uow.outbox.claim(2)] == [first.id, later.id]
        await uow.outbox.mark_sent([first.id], T0)
        await uow.commit()
    claimed = await unsent(uows)
    assert [r.id for r in claimed] == [later.id, earlier.id]
    assert claimed[0] == later
    assert claimed[1].payload == earlier.payload
    assert claimed[1].created_at == T0


async def test_oldest_unsent_and_prune_follow_sent_at(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """oldest_unsent is the first unsent row's time; prune deletes only sent rows sent before the cut-off."""
    uows = factory(sessions, clock)
    a, b, c = record(T0), record(T0 + timedelta(seconds=1)), record(T0 + timedelta(seconds=2))
    await add(uows, a, b, c)
    async with uows() as uow:
        assert await uow.outbox.oldest_unsent() == T0
        await uow.outbox.mark_sent([a.id], T0 + timedelta(seconds=10))
        await uow.outbox.mark_sent([b.id], T0 + timedelta(seconds=20))
        await uow.commit()
    async with uows() as uow:
        assert await uow.outbox.oldest_unsent() == T0 + timedelta(seconds=2)
        assert await uow.outbox.prune(T0 + timedelta(seconds=15), 100) == 1
        assert await uow.outbox.prune(T0 + timedelta(seconds=15), 100) == 0
        await uow.commit()
    async with uows() as uow:
        assert await uow.outbox.prune(T0 + timedelta(seconds=21), 100) == 1
        await uow.outbox.mark_sent([c.id], T0 + timedelta(seconds=30))
        await uow.commit()
    async with uows() as uow:
        assert await uow.outbox.oldest_unsent() is None
        assert await uow.outbox.claim(10) == []


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite has one writer at a time
async def test_concurrent_claims_on_postgresql_take_disjoint_rows(
    database: Database, sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """FOR UPDATE SKIP LOCKED: while one relay holds its batch, another takes the next ones at once."""
    uows = factory(sessions, clock)
    records = [record(T0) for _ in range(5)]
    await add(uows, *records)
    async with uows() as first, uows() as second:
        mine = await first.outbox.claim(2)
        theirs = await asyncio.wait_for(second.outbox.claim(10), timeout=5)
        assert [r.id for r in mine] == [r.id for r in records[:2]]
        assert [r.id for r in theirs] == [r.id for r in records[2:]]


# --- the unit of work --------------------------------------------------------------------------------


async def test_commit_writes_each_event_to_the_outbox_with_the_clocks_time(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """Emitted events become outbox rows at commit, stamped by the injected clock."""
    uows = factory(sessions, clock)
    events = [CustomerCreated("c-1", T0), CustomerCreated("c-2", T0)]
    async with uows() as uow:
        for event in events:
            uow.emit(event)
        clock.advance(7)
        await uow.commit()
        assert uow.collect_events() == events
    rows = await unsent(uows)
    assert [(r.name, r.payload, r.created_at) for r in rows] == [
        ("customer.created", e.payload(), T0 + timedelta(seconds=7)) for e in events
    ]
    assert len({r.id for r in rows}) == 2


async def test_events_of_a_transaction_that_does_not_commit_never_reach_the_outbox(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """Leaving the block without commit drops the events with the change; an empty commit adds nothing."""
    uows = factory(sessions, clock)
    async with uows() as uow:
        uow.emit(CustomerCreated("c-1", T0))
    async with uows() as uow:
        await uow.commit()
    assert await unsent(uows) == []


async def test_a_handlers_events_are_in_the_outbox_and_a_failed_command_adds_none(
    sqlite_database: Database,
) -> None:
    """Via the bus: a conversation's events reach the outbox in causal order; a failed command adds none."""
    kefu = await bootstrap(settings_for(sqlite_database), hasher=Argon2Hasher(fast=True), relay=False)
    try:
        customer = await kefu.bus.handle(CreateCustomer("ob-1", "王秀英"), SYSTEM_ACTOR)
        with pytest.raises(AlreadyExists):
            await kefu.bus.handle(CreateCustomer("ob-1", "王秀英"), SYSTEM_ACTOR)
        await kefu.bus.handle(
            OpenConversation(customer.id, "payments", "chat", text="我被骗了"), SYSTEM_ACTOR
        )
        names = [r.name for r in await unsent(kefu.bus.uow_factory)]
        assert names[:3] == ["customer.created", "conversation.created", "message.posted"]
        assert names.count("customer.created") == 1
        assert kefu.outbox is None
    finally:
        await kefu.close()


# --- the relay ---------------------------------------------------------------------------------------


async def test_the_relay_publishes_marks_sent_and_prunes_after_the_retention(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """relay: batches go out oldest first and are marked sent; sent rows go once older than the retention."""
    uows = factory(sessions, clock)
    records = [record(T0) for _ in range(7)]
    await add(uows, *records)
    publisher = RecordingPublisher()
    relay = OutboxRelay(uows, publisher, clock, RelaySettings(batch=3, retention_s=60))
    clock.advance(4)
    assert await relay.lag_s() == 4
    assert await relay.relay_once() == 3
    assert await relay.drain() == 4
    assert [r.id for r in publisher.published] == [r.id for r in records]
    assert await relay.lag_s() == 0
    assert await relay.prune() == 0
    clock.advance(61)
    assert await relay.prune() == 7
    async with uows() as uow:
        assert await uow.outbox.prune(clock.now(), 100) == 0


async def test_with_the_publisher_down_rows_wait_and_the_relay_backs_off(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """A failing publish leaves the batch unsent and doubles the pause; then it all goes, once."""
    uows = factory(sessions, clock)
    records = [record(T0) for _ in range(3)]
    await add(uows, *records)
    publisher = RecordingPublisher()
    publisher.down = True
    relay = OutboxRelay(uows, publisher, clock, RelaySettings(poll_s=1, backoff_max_s=2))
    assert [await relay.step() for _ in range(3)] == [0.5, 1.0, 2.0]
    assert relay.failures == 3
    clock.advance(30)
    assert await relay.lag_s() == 30
    assert len(await unsent(uows)) == 3
    publisher.down = False
    assert await relay.step() == 1
    assert relay.failures == 0
    assert [r.id for r in publisher.published] == [r.id for r in records]
    assert await relay.lag_s() == 0


async def wait_until(predicate: Callable[[], Awaitable[bool]], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not await predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_a_commit_wakes_the_relay_long_before_its_poll(sqlite_database: Database) -> None:
    """The relay in kefu serve publishes right after a commit, without waiting out a 60 s poll."""
    publisher = RecordingPublisher()
    kefu = await bootstrap(
        settings_for(sqlite_database, outbox_poll_s=60),
        hasher=Argon2Hasher(fast=True),
        outbox_publisher=publisher,
    )
    try:
        await asyncio.sleep(0.2)  # let the relay finish its first round and settle into its 60 s wait
        customer = await kefu.bus.handle(CreateCustomer("ob-wake", "李娜"), SYSTEM_ACTOR)

        async def published() -> bool:
            return any(r.payload.get("customer_id") == customer.id for r in publisher.published)

        await wait_until(published, within_s=5)
    finally:
        await kefu.close()


async def test_embedded_default_marks_rows_sent_with_nowhere_to_publish(sqlite_database: Database) -> None:
    """No NATS configured: the relay still empties the outbox, and /healthz shows the bus ok and no lag."""
    kefu: Kefu = await bootstrap(settings_for(sqlite_database), hasher=Argon2Hasher(fast=True))
    try:
        assert kefu.outbox is not None
        assert kefu.nats is None
        await kefu.bus.handle(CreateCustomer("ob-embedded", "赵敏"), SYSTEM_ACTOR)

        async def empty() -> bool:
            return not await unsent(kefu.bus.uow_factory)

        await wait_until(empty)
        async with asgi_client(kefu) as client:
            health = (await client.get("/healthz")).json()
        assert health["status"] == "ok"
        assert health["checks"]["bus"] == "ok"
        assert health["outbox_lag_s"] == 0
    finally:
        await kefu.close()
