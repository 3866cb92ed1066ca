"""The outbox relay against real NATS JetStream on SQLite and PostgreSQL.

Two relays on one database publish every row exactly once as a consumer sees the stream, and with NATS
down kefu keeps taking writes while the events wait in the outbox, then go out when NATS returns. The
outage test runs its own ``nats-server``: the shared one must never be stopped.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import nats
import pytest_asyncio
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kefu.adapters.bus.nats import STREAM, NatsOutboxPublisher
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.store.engine import create_engine, upgrade
from kefu.adapters.store.uow import SqlUnitOfWork
from kefu.bootstrap import bootstrap
from kefu.domain.clock import FakeClock, SystemClock
from kefu.domain.commands import CreateCustomer
from kefu.domain.events import CustomerCreated
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.outbox import OutboxRelay, RelaySettings
from kefu.services.ports import UnitOfWork
from tests.conftest import Database, settings_for
from tests.nats_server import NatsServer, nats_server, stream_bodies

__all__ = ["nats_server"]  # the fixture, imported for this module's tests

T0 = datetime(2026, 1, 5, 19, 30, tzinfo=UTC)


@pytest_asyncio.fixture
async def sessions(database: Database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a freshly migrated database of each kind."""
    engine = create_engine(database.url, schema=database.schema)
    await upgrade(engine)
    try:
        yield async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def stream(nats_url: str) -> AsyncIterator[tuple[str, str]]:
    """A stream name and subject prefix unique to this test on the shared NATS; deleted afterwards."""
    tag = uuid.uuid4().hex[:12]
    name = f"KEFU_TEST_{tag.upper()}"
    yield name, f"kefu_test_{tag}.events"
    nc = await nats.connect(nats_url)
    try:
        try:
            await nc.jetstream().delete_stream(name)
        except NotFoundError:
            pass
    finally:
        await nc.close()


async def test_two_relays_at_once_publish_each_row_once(
    database: Database,
    sessions: async_sessionmaker[AsyncSession],
    nats_url: str,
    stream: tuple[str, str],
) -> None:
    """Two relays draining one outbox together: the stream holds every event exactly once, in no duplicate."""
    clock = FakeClock(T0)

    def uows() -> UnitOfWork:
        return SqlUnitOfWork(sessions, clock)

    async with uows() as uow:
        for n in range(60):
            uow.emit(CustomerCreated(f"c-{n}", T0))
        await uow.commit()
    async with uows() as uow:
        ids = [r.id for r in await uow.outbox.claim(1000)]
    publishers = [NatsOutboxPublisher(nats_url, stream=stream[0], subject_prefix=stream[1]) for _ in range(2)]
    for publisher in publishers:
        await publisher.connect()
    try:
        relays = [OutboxRelay(uows, p, clock, RelaySettings(batch=7)) for p in publishers]
        await asyncio.gather(*(relay.drain() for relay in relays))
    finally:
        for publisher in publishers:
            await publisher.close()
    bodies = [body for body, _ in await stream_bodies(nats_url, stream[0])]
    assert sorted(b["id"] for b in bodies) == sorted(ids)
    assert sorted(b["data"]["customer_id"] for b in bodies) == sorted(f"c-{n}" for n in range(60))
    if database.kind == "postgresql":
        # SKIP LOCKED: the relays took disjoint batches, so not even JetStream had a repeat to drop.
        assert sum(relay.published for relay in relays) == 60
    async with uows() as uow:
        assert await uow.outbox.oldest_unsent() is None


async def wait_for(predicate: Callable[[], Awaitable[bool]], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not await predicate():
        assert time.monotonic() < deadline, f"{what} within {within_s} s"
        await asyncio.sleep(0.05)


async def test_with_nats_down_writes_go_on_and_events_follow_when_it_returns(
    sqlite_database: Database, nats_server: NatsServer
) -> None:
    """kefu starts and writes with NATS down (bus down, lag grows); once NATS is up every event goes, once."""
    settings = settings_for(sqlite_database, nats_url=nats_server.url, outbox_backoff_max_s=0.5)
    began = time.perf_counter()
    kefu = await bootstrap(settings, hasher=Argon2Hasher(fast=True), clock=SystemClock())
    try:
        assert time.perf_counter() - began < 30  # not waiting on NATS (migrations take most of it)
        assert kefu.nats is not None
        assert (await kefu.health())["bus"] == "down"
        customers = [
            (await kefu.bus.handle(CreateCustomer(f"down-{n}", "王芳"), SYSTEM_ACTOR)).id for n in range(5)
        ]
        await asyncio.sleep(0.3)
        lag = await kefu.outbox_lag_s()
        assert lag is not None
        assert lag > 0
        nats_server.start()

        async def all_there() -> bool:
            bodies = [b for b, _ in await stream_bodies(nats_server.url, STREAM)]
            return sorted(
                b["data"]["customer_id"] for b in bodies if b["name"] == "customer.created"
            ) == sorted(customers)

        await wait_for(all_there, 30, "the waiting events did not reach NATS")
        assert (await kefu.health())["bus"] == "ok"

        async def no_lag() -> bool:
            return await kefu.outbox_lag_s() == 0

        await wait_for(no_lag, 10, "the outbox did not empty")
        bodies = [b for b, _ in await stream_bodies(nats_server.url, STREAM)]
        assert len({b["id"] for b in bodies}) == len(bodies)
    finally:
        await kefu.close()
