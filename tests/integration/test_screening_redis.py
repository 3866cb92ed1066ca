"""Screening with counters in Redis gives the same decisions as in memory, and a dissuaded case's payee is
blocked at once through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from redis.asyncio import Redis

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.counters import RedisCounterStore
from kefu.adapters.memory.testing import FakeWorld
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from kefu.domain.commands import CreateCustomer
from kefu.domain.payments import ResolveCase, ScreenPayment
from kefu.domain.users import SYSTEM_ACTOR
from kefu.screening import InMemoryCounterStore
from kefu.services.ports import UnitOfWorkFactory
from kefu.sim.payments import generate_payments
from tests.clocks import ELDERLY_BIRTH_DATE, MORNING
from tests.conftest import Database, settings_for


@pytest_asyncio.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix of this test's own, deleted afterwards."""
    name = f"test:scr:{uuid.uuid4().hex}"
    yield name
    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{name}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def _kefu(
    database: Database, clock: FakeClock, store: UnitOfWorkFactory | None = None, **more: Any
) -> Kefu:
    return await bootstrap(
        settings_for(database, **more),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        routing=False,
        store=store,
    )


async def _decisions(kefu: Kefu, records: list[dict[str, Any]], tag: str) -> list[tuple[str, int]]:
    """Screen each record (payment ids tagged per run, payers by external id); (decision, score) each."""
    out = []
    for record in records:
        request = {k: v for k, v in record.items() if k not in {"payer_profile", "label"}}
        request["payment_id"] = f"{tag}-{record['payment_id']}"
        request["payer"] = {"external_id": record["payer"]["customer_id"]}
        result = (await kefu.bus.handle(ScreenPayment(request), SYSTEM_ACTOR)).result
        out.append((result["decision"], result["score"]))
    return out


async def test_redis_and_memory_counters_decide_alike(redis_url: str, prefix: str) -> None:
    """The same stream screened through the service gives identical decisions with either counter store."""
    # The counters are the point, not the database: both runs share the shipped in-memory store, so 850
    # screenings cost milliseconds each (the store's own behaviour is covered by the contract tests).
    records = list(generate_payments(400, seed=3, scam_rate=0.1))
    clock = FakeClock(MORNING)
    world = FakeWorld(clock)
    nowhere = Database("memory", "sqlite+aiosqlite:///:memory:")
    memory = await _kefu(nowhere, clock, store=world.uow_factory)
    try:
        assert memory.screening is not None
        assert isinstance(memory.screening.counters, InMemoryCounterStore)
        in_memory = await _decisions(memory, records, "m")
    finally:
        await memory.close()
    redis = await _kefu(nowhere, clock, store=world.uow_factory, redis_url=redis_url, counters_prefix=prefix)
    try:
        assert redis.screening is not None
        assert isinstance(redis.screening.counters, RedisCounterStore)
        in_redis = await _decisions(redis, records, "r")
        # A redelivery answers from the store and counts nothing.
        assert await _decisions(redis, records[:50], "r") == in_redis[:50]
    finally:
        await redis.close()
    assert in_redis == in_memory
    assert {d for d, _ in in_memory} >= {"allow", "warn"}


async def test_dissuaded_payee_is_blocked_through_redis(
    database: Database, redis_url: str, prefix: str
) -> None:
    """Resolving a case as dissuaded watchlists the payee in Redis: the next payment to it is blocked."""
    clock = FakeClock(MORNING)
    kefu = await _kefu(database, clock, redis_url=redis_url, counters_prefix=prefix)
    try:
        customer = await kefu.bus.handle(
            CreateCustomer(
                external_id="old-1",
                name="王秀英",
                language="zh",
                birth_date=ELDERLY_BIRTH_DATE,
            ),
            SYSTEM_ACTOR,
        )
        payment = {
            "payment_id": "r-1",
            "payer": {"customer_id": customer.id},
            "payee": {"account_id": f"{prefix}-mule", "name": "边防战士 李强", "kind": "individual"},
            "amount": 10_000_000,
            "currency": "CNY",
            "memo": "给边防战士的捐款",
            "created_at": clock.now().isoformat(),
        }
        held = (await kefu.bus.handle(ScreenPayment(payment), SYSTEM_ACTOR)).result
        assert held["decision"] == "hold"
        await kefu.bus.handle(ResolveCase(held["case_id"], "dissuaded"), SYSTEM_ACTOR)
        clock.advance(60)
        nxt = {
            **payment,
            "payment_id": "r-2",
            "payer": {"external_id": "stranger"},
            "amount": 300_000,
            "memo": "",
        }
        nxt["created_at"] = clock.now().isoformat()
        blocked = (await kefu.bus.handle(ScreenPayment(nxt), SYSTEM_ACTOR)).result
        assert blocked["decision"] == "block"
        assert "payee_watchlisted" in {r["code"] for r in blocked["reasons"]}
    finally:
        await kefu.close()
