"""Screening benchmark, in-process part: decisions per second with every feature, and how the cost grows.

What one *decision* includes: the in-memory counters record the payment and derive its features (windows,
payee collection, test-then-large, reports, watchlist), the memo is matched against the lexicon, every
rule whose guard the payment meets is evaluated, and the decision with its reasons, typology and shadow
results is built. Payments are parsed beforehand, as the API layer does before it calls screening.

Costs are CPU seconds of this process (``time.process_time``), so other work on the machine does not
inflate them; Python runs the loop on one core. Memory per tracked payer is measured with tracemalloc over
filling a fresh store (it includes the payer's payees and payer-payee pairs, i.e. all state a payer adds).
"""

from __future__ import annotations

import asyncio
import gc
import platform
import random
import re
import time
import tracemalloc
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import yaml
from redis.asyncio import Redis

from kefu.adapters.counters import RedisCounterStore
from kefu.screening import (
    InMemoryCounterStore,
    Payee,
    PayerProfile,
    Payment,
    RuleSet,
    Screener,
    default_rule_set,
    load_rule_set,
)
from kefu.sim.payments import generate_payments

START = datetime(2026, 11, 2, tzinfo=UTC)
ELDERLY = PayerProfile(elderly=True)
ORDINARY = PayerProfile()
MEMOS = ("", "", "", "", "房租", "生日快乐", "饭钱", "投资", "退款", "给边防战士的捐款")


def run_screening_bench(quick: bool = False, seed: int = 1) -> dict[str, Any]:
    """Measure throughput, latency, cost growth with rules and payers, and memory per payer."""
    stream = 20_000 if quick else 200_000
    rule_counts = (10, 100, 1000)
    payer_counts = (1_000, 10_000) if quick else (10_000, 100_000, 1_000_000)
    rules = default_rule_set()
    return {
        "benchmark": "screening",
        "quick": quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "rule_set_version": rules.version,
        "rules": len(rules.rules),
        "all_features": throughput(rules, stream, seed),
        "latency_us": latency(rules, min(stream, 50_000), seed),
        "rules_scaling": [scaled_rules_point(n, min(stream, 50_000), seed) for n in rule_counts],
        "payers_scaling": [payers_point(n, 20_000 if quick else 100_000, seed) for n in payer_counts],
        "memory": memory_per_payer(2_000 if quick else 20_000, seed),
    }


def _labelled(count: int, seed: int) -> list[tuple[Payment, PayerProfile]]:
    return [
        (Payment.from_dict(r), PayerProfile.from_dict(r["payer_profile"]))
        for r in generate_payments(count, seed=seed, scam_rate=0.02)
    ]


def _timed(screener: Screener, items: Iterable[tuple[Payment, PayerProfile]]) -> tuple[int, float, float]:
    """(decisions, CPU seconds, wall seconds) for screening ``items`` in order, garbage collector on."""
    gc.collect()
    screen = screener.screen
    n = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for payment, profile in items:
        screen(payment, profile)
        n += 1
    return n, time.process_time() - cpu, time.perf_counter() - wall


def throughput(rules: RuleSet, count: int, seed: int) -> dict[str, Any]:
    """Decisions per CPU second over a generated stream with the shipped rules and every feature."""
    items = _labelled(count, seed)
    screener = Screener(rules)
    n, cpu, wall = _timed(screener, items)
    return {
        "decisions": n,
        "decisions_per_s": round(n / cpu),
        "wall_decisions_per_s": round(n / wall),
        "us_per_decision": round(cpu / n * 1e6, 2),
        "tracked_payers": screener.counters.tracked_payers,
    }


def latency(rules: RuleSet, count: int, seed: int) -> dict[str, float]:
    """Per-decision wall latency percentiles in microseconds (includes timer overhead of ~0.1 us)."""
    items = _labelled(count, seed + 1)
    screen = Screener(rules).screen
    clock = time.perf_counter_ns
    samples = []
    for payment, profile in items:
        t0 = clock()
        screen(payment, profile)
        samples.append(clock() - t0)
    samples.sort()
    return {
        f"p{q}": round(samples[min(len(samples) - 1, int(len(samples) * q / 100))] / 1000, 2)
        for q in (50, 90, 99)
    } | {"p99.9": round(samples[min(len(samples) - 1, int(len(samples) * 0.999))] / 1000, 2)}


_NUMBER = re.compile(r"\b(\d[\d_]{2,})\b")


def scaled_rule_set(count: int) -> RuleSet:
    """A rule set of ``count`` rules: the shipped ones repeated with shifted amount thresholds."""
    base = default_rule_set().to_dict()
    source = base["rules"]
    rules = []
    for i in range(count):
        rule = dict(source[i % len(source)])
        generation = i // len(source)
        if generation:
            factor = 1 + generation / 10
            rule["when"] = _NUMBER.sub(partial(_scaled, factor=factor), rule["when"])
            rule["code"] = f"{rule['code']}_{generation}"
        rules.append(rule)
    return load_rule_set(yaml.safe_dump({**base, "version": f"scaled-{count}", "rules": rules}))


def _scaled(match: re.Match[str], factor: float) -> str:
    return str(int(int(match.group(1).replace("_", "")) * factor))


def scaled_rules_point(count: int, stream: int, seed: int) -> dict[str, Any]:
    """Throughput with ``count`` rules over the same stream."""
    rules = scaled_rule_set(count)
    n, cpu, _ = _timed(Screener(rules), _labelled(stream, seed))
    return {"rules": count, "decisions_per_s": round(n / cpu), "us_per_decision": round(cpu / n * 1e6, 2)}


def _synthetic(
    payers: int, count: int, seed: int, start: datetime = START
) -> Iterator[tuple[Payment, PayerProfile]]:
    """``count`` payments from ``payers`` payers (round robin) to friends and merchants over three days."""
    rng = random.Random(seed)
    payees = max(10, payers // 4)
    step = timedelta(days=3) / max(1, count)
    for k in range(count):
        i = k % payers if count >= payers else rng.randrange(payers)
        merchant = rng.random() < 0.5
        payee = (
            Payee(f"m-{rng.randrange(500)}", "商户", "merchant")
            if merchant
            else Payee(f"acct-{rng.randrange(payees)}", "王芳", "individual")
        )
        yield (
            Payment(
                f"b-{seed}-{k}",
                f"c-{i}",
                payee,
                rng.randint(100, 500_000),
                "CNY",
                "merchant" if merchant else "transfer",
                start + step * k,
                MEMOS[k % len(MEMOS)],
            ),
            ELDERLY if i % 7 == 0 else ORDINARY,
        )


def payers_point(payers: int, measured: int, seed: int) -> dict[str, Any]:
    """Throughput once ``payers`` distinct payers are tracked (three payments each already recorded).

    The measured payments come from the same payers, after the history, so every one of them walks real
    windows and payee state rather than an empty store.
    """
    screener = Screener(default_rule_set())
    started = time.perf_counter()
    for payment, _ in _synthetic(payers, 3 * payers, seed):
        screener.counters.record(payment)
    fill_s = time.perf_counter() - started
    n, cpu, _ = _timed(screener, list(_synthetic(payers, measured, seed + 1, START + timedelta(days=3))))
    return {
        "payers": payers,
        "tracked_payers": screener.counters.tracked_payers,
        "decisions_per_s": round(n / cpu),
        "us_per_decision": round(cpu / n * 1e6, 2),
        "fill_s": round(fill_s, 1),
    }


def memory_per_payer(payers: int, seed: int) -> dict[str, Any]:
    """Bytes of counter state per tracked payer, three payments each, by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = InMemoryCounterStore()
        for payment, _ in _synthetic(payers, 3 * payers, seed):
            store.record(payment)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return {
        "payers": payers,
        "payments_per_payer": 3,
        "bytes_per_payer": round(used / payers),
        "note": "includes the payer's payee, pair and 24 h redelivery entries",
    }


async def run_redis_counters_bench(
    redis_url: str, count: int = 20_000, concurrency: int = 32
) -> dict[str, Any]:
    """Redis counter store: observe latency on one connection, and throughput with concurrent callers.

    Uses a throw-away key prefix and deletes it afterwards. The figures are for the counter round trip
    only; add the in-process decision cost from ``run_screening_bench`` for a full screening with Redis.
    """
    prefix = f"bench:scr:{uuid.uuid4().hex}"
    client = Redis.from_url(redis_url, max_connections=concurrency + 4)
    store = RedisCounterStore(client, prefix=prefix)
    items = [p for p, _ in _labelled(count, 7)]
    try:
        samples = []
        for payment in items[: count // 4]:
            t0 = time.perf_counter_ns()
            await store.observe(payment)
            samples.append(time.perf_counter_ns() - t0)
        samples.sort()
        rest = items[count // 4 :]
        queue: asyncio.Queue[Payment] = asyncio.Queue()
        for payment in rest:
            queue.put_nowait(payment)

        async def worker() -> None:
            while not queue.empty():
                await store.observe(queue.get_nowait())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
        await client.aclose()
    return {
        "sequential_us": {
            "p50": round(samples[len(samples) // 2] / 1000, 1),
            "p99": round(samples[int(len(samples) * 0.99)] / 1000, 1),
        },
        "concurrent_observes_per_s": round(len(rest) / wall),
        "concurrency": concurrency,
    }
