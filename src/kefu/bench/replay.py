"""``kefu bench counters-replay``: how long a restart takes to rebuild in-memory counters.

It fills a fresh database (a temporary SQLite file, or an empty PostgreSQL schema of its own) with a week of
generated screenings (10 payments per payer, 5 per payee, one in twenty held), then times the replay that
``bootstrap`` runs on start, and the rows per second it reaches. The replay reads with the same repository
(keyset pages of 5,000) and feeds the same ``InMemoryCounterStore`` the serving process uses.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kefu.adapters.store.engine import create_engine, upgrade
from kefu.adapters.store.screening.tables import ScreeningRow
from kefu.bootstrap import sql_unit_of_work
from kefu.domain.clock import FakeClock
from kefu.screening import InMemoryCounterStore
from kefu.services.screening.replay import replay_counters

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WEEK_S = 7 * 24 * 3600
BATCH = 5_000


def _rows(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    payers, payees = max(1, count // 10), max(1, count // 5)
    times = sorted(rng.uniform(0, WEEK_S) for _ in range(count))
    rows: list[dict[str, Any]] = []
    for n, offset in enumerate(times):
        at = NOW - timedelta(seconds=WEEK_S - offset)
        held = rng.random() < 0.05
        rows.append(
            {
                "payment_id": f"b-{n:09d}",
                "customer_id": None,
                "payer_id": f"payer-{rng.randrange(payers)}",
                "payee_account": f"payee-{rng.randrange(payees)}",
                "amount": rng.randrange(100, 5_000_000),
                "currency": "CNY",
                "decision": "hold" if held else "allow",
                "score": 65 if held else 0,
                "typology": None,
                "rule_set_version": "bench",
                "result": {},
                "screened_at": at,
                "status": "held" if held else "allowed",
                "case_id": None,
                "hold_expires_at": None,
                "status_changed_at": at,
                "paid_at": at,
                "request": None,
            }
        )
    return rows


async def run_replay_bench_async(count: int, database_url: str | None, seed: int) -> dict[str, Any]:
    schema: str | None = None
    folder = tempfile.TemporaryDirectory(prefix="kefu-bench-")
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{Path(folder.name) / 'bench.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(database_url)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
    engine = create_engine(database_url, schema=schema)
    try:
        await upgrade(engine)
        rows = _rows(count, seed)
        async with engine.begin() as conn:
            for start in range(0, len(rows), BATCH):
                await conn.execute(insert(ScreeningRow), rows[start : start + BATCH])
        clock = FakeClock(NOW)
        factory = sql_unit_of_work(
            async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False), clock
        )
        counters = InMemoryCounterStore()
        replayed = await replay_counters(factory, counters, NOW)
        return {
            "database": engine.dialect.name,
            "stored_screenings": count,
            "replayed": replayed.screenings,
            "stops": replayed.stops,
            "tracked_payers": counters.tracked_payers,
            "seconds": round(replayed.seconds, 2),
            "screenings_per_s": round(replayed.screenings / replayed.seconds) if replayed.seconds else None,
        }
    finally:
        if schema is not None:
            async with engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()
        folder.cleanup()


def run_replay_bench(count: int, database_url: str | None = None, seed: int = 0) -> dict[str, Any]:
    return asyncio.run(run_replay_bench_async(count, database_url, seed))
