"""The Redis counter store answers exactly like the in-memory one, and records each payment once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from kefu.adapters.counters import RedisCounterStore
from kefu.screening import InMemoryCounterStore, Payment
from kefu.sim.payments import generate_payments


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[tuple[RedisCounterStore, InMemoryCounterStore]]:
    prefix = f"test:scr:{uuid.uuid4().hex}"
    client = Redis.from_url(redis_url)
    yield RedisCounterStore(client, prefix=prefix), InMemoryCounterStore()
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    for start in range(0, len(keys), 500):
        await client.delete(*keys[start : start + 500])
    await client.aclose()


async def test_same_features_as_memory_over_a_generated_stream(stores):
    """Over a generated stream with scams, reports, watchlist, stops and redeliveries, both stores agree."""
    redis_store, memory = stores
    records = list(generate_payments(3000, seed=11, scam_rate=0.05))
    payments = [Payment.from_dict(r) for r in records]
    mismatches = []
    seen = []
    for i, payment in enumerate(payments):
        if i % 97 == 0:  # a user report against the payee, seen by both
            assert await redis_store.report_payee(payment.payee.account_id) == await memory.report_payee(
                payment.payee.account_id
            )
        if i % 401 == 0:
            await redis_store.watchlist_payee(payment.payee.account_id)
            await memory.watchlist_payee(payment.payee.account_id)
        got = await redis_store.observe(payment)
        want = await memory.observe(payment)
        seen.append(want)
        if got != want:
            mismatches.append((payment.payment_id, got, want))
        if records[i]["label"]["scam"] and payment.amount >= 500_000:
            await redis_store.note_stopped(payment)
            await memory.note_stopped(payment)
        if i % 50 == 0 and i:  # a redelivery of an earlier message from the stream
            earlier = payments[i - 7]
            assert await redis_store.observe(earlier) == await memory.observe(earlier)
    assert mismatches == []
    # the stream must exercise every non-trivial counter, or agreement would prove little
    assert any(f.test_then_large for f in seen)
    assert any(f.payer_stopped_24h for f in seen)
    assert any(f.payee_watchlisted for f in seen)
    assert max(f.payee_distinct_payers_24h for f in seen) > 2
    assert max(f.payer_out_count_1h for f in seen) > 1
    assert any(not f.first_to_payee for f in seen)


async def test_redelivered_payment_is_counted_once(stores):
    """Observing the same payment_id again returns the first answer and leaves the counters unchanged."""
    redis_store, _ = stores
    records = list(generate_payments(3, seed=12, scam_rate=0.0))
    first, second = Payment.from_dict(records[0]), Payment.from_dict(records[1])
    answer = await redis_store.observe(first)
    for _ in range(3):
        assert await redis_store.observe(first) == answer
    after = await redis_store.observe(second)
    if second.payer_id == first.payer_id:
        assert after.payer_out_count_24h == 2
    else:
        assert after.payer_out_count_24h == 1


async def test_watchlist_can_be_lifted(stores):
    """Taking a payee off the watchlist is seen by the next payment to it."""
    redis_store, _ = stores
    records = list(generate_payments(2, seed=13, scam_rate=0.0))
    payment = Payment.from_dict(records[0])
    await redis_store.watchlist_payee(payment.payee.account_id)
    await redis_store.watchlist_payee(payment.payee.account_id, listed=False)
    assert not (await redis_store.observe(payment)).payee_watchlisted


async def test_a_cleared_stop_no_longer_counts_in_either_store(stores):
    """A stop cleared after a release stops counting in payer_stopped_24h, in Redis as in memory."""
    redis_store, memory = stores
    records = list(generate_payments(40, seed=14, scam_rate=0.0))
    first = Payment.from_dict(records[0])
    payer = first.payer_id
    for store in (redis_store, memory):
        await store.observe(first)
        await store.note_stopped(first)
        await store.clear_stopped(payer, first.payment_id)
        await store.clear_stopped(payer, "never-stopped")  # harmless
    later = Payment.from_dict({**records[0], "payment_id": "after-release"})
    got, want = await redis_store.observe(later), await memory.observe(later)
    assert got == want
    assert want.payer_stopped_24h == 0
