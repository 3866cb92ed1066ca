"""``kefu bench reports``: report query latency on PostgreSQL with millions of conversations.

For each size it creates a fresh PostgreSQL schema, migrates it, bulk-loads a month of synthetic contacts
with COPY (600 agents over six sites, 100k customers, CSAT on a quarter of the answered contacts, a few
commendations and complaints), builds the hourly rollup with the same service ``kefu reports rollup`` runs,
and then times the report service in process: p50/p95 over repeated calls. The live path (no rollup) is
timed too, for a day and for the month, to show what the rollup buys.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.store.engine import create_engine
from kefu.bootstrap import Kefu, bootstrap
from kefu.config import load_settings
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.reports import service as reports

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
SITES = ("shenzhen", "chongqing", "chengdu", "wuhan", "yinchuan", "hefei")
QUEUES = (("payments", "payments", 0.45), ("social", "social", 0.33), ("games", "games", 0.17))
QUEUES_CARE = ("elderly_care", "social", 0.05)
# Contacts per hour of the day in Beijing time (UTC+8): quiet at night, peaks mid-morning and evening.
HOURLY = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 8, 8, 9, 9, 7, 4, 2)


def _quantiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "runs": len(ordered),
    }


def _hour_weights() -> list[float]:
    # Index by UTC hour: Beijing hour h is UTC hour h - 8.
    return [float(HOURLY[(h + 8) % 24]) for h in range(24)]


CONVERSATION_COLUMNS = [
    "id", "customer_id", "business_line", "channel", "queue", "priority", "status", "care", "agent_id",
    "created_at", "updated_at", "assigned_at", "first_response_at", "resolved_at", "closed_at",
]  # fmt: skip


class _Month:
    """A month of synthetic contacts and the feedback on them, drawn in batches."""

    def __init__(
        self, rng: random.Random, customers: list[tuple[str, str]], agents: dict[str, list[str]]
    ) -> None:
        self.rng, self.customers, self.agents = rng, customers, agents
        self.hours = [MONTH_START + timedelta(hours=h) for h in range(DAYS * 24)]
        weights = _hour_weights()
        self.hour_weights = [weights[h.hour] for h in self.hours]
        self.queues = [*QUEUES, QUEUES_CARE]
        self.csat: list[tuple[Any, ...]] = []
        self.commendations: list[tuple[Any, ...]] = []
        self.complaints: list[tuple[Any, ...]] = []

    def batch(self, n: int) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows: list[tuple[Any, ...]] = []
        chosen_hours = rng.choices(self.hours, weights=self.hour_weights, k=n)
        chosen_queues = rng.choices(self.queues, weights=[q[2] for q in self.queues], k=n)
        for hour, (queue, line, _) in zip(chosen_hours, chosen_queues, strict=True):
            cid = str(uuid.uuid4())
            cust, home = self.customers[rng.randrange(len(self.customers))]
            created = hour + timedelta(seconds=rng.random() * 3600)
            if rng.random() < 0.06:
                gone = created + timedelta(seconds=rng.expovariate(1 / 60))
                row = (cid, cust, line, "chat", queue, 0, "abandoned", False, None, created, gone)
                rows.append((*row, None, None, None, None))
                continue
            site = home if rng.random() < 0.8 else SITES[rng.randrange(6)]
            agent = self.agents[site][rng.randrange(100)]
            assigned = created + timedelta(seconds=rng.expovariate(1 / 15))
            first = assigned + timedelta(seconds=rng.expovariate(1 / 20))
            resolved = assigned + timedelta(seconds=rng.lognormvariate(5.5, 0.5))
            done = (cid, cust, line, "chat", queue, 0, "resolved", False, agent, created, resolved)
            rows.append((*done, assigned, first, resolved, None))
            self._feedback(cid, cust, queue, line, agent, resolved)
        return rows

    def _feedback(self, cid: str, cust: str, queue: str, line: str, agent: str, resolved: datetime) -> None:
        roll = self.rng.random()
        key = (str(uuid.uuid4()),)
        if roll < 0.25:
            score = self.rng.choices((1, 2, 3, 4, 5), weights=(3, 4, 10, 30, 53))[0]
            self.csat.append((*key, cid, cust, queue, line, agent, score, resolved + timedelta(minutes=5)))
        elif roll < 0.253:
            at = resolved + timedelta(hours=1)
            self.commendations.append((*key, agent, cust, cid, queue, line, "感谢", "bench", at))
        elif roll < 0.254:
            at = resolved + timedelta(hours=2)
            self.complaints.append((*key, cust, cid, agent, queue, line, "attitude", "投诉", "open", at, at))


async def _people(conn: Any, count: int) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    now = MONTH_START
    n_customers = max(100, min(100_000, count // 10))
    customers = [(str(uuid.uuid4()), SITES[i % 6]) for i in range(n_customers)]
    await conn.copy_records_to_table(
        "customers",
        records=[
            (c, f"bench-{i}", f"客户{i}", "zh", False, s, now, now) for i, (c, s) in enumerate(customers)
        ],
        columns=[
            "id",
            "external_id",
            "name",
            "language",
            "vulnerable",
            "home_site",
            "created_at",
            "updated_at",
        ],
    )
    agents = {s: [str(uuid.uuid4()) for _ in range(100)] for s in SITES}
    await conn.copy_records_to_table(
        "agents",
        records=[
            (a, f"坐席{a[:6]}", s, '{"payments": 3}', '{"chat": 3}', "offline", now, now)
            for s, ids in agents.items()
            for a in ids
        ],
        columns=["id", "name", "site", "skills", "capacity", "presence", "created_at", "updated_at"],
    )
    return customers, agents


async def _copy(dsn: str, schema: str, count: int, seed: int) -> dict[str, int]:
    """Customers, agents, conversations, CSAT, commendations and complaints through COPY."""
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        month = _Month(random.Random(seed), *await _people(conn, count))
        for start in range(0, count, 200_000):
            rows = month.batch(min(200_000, count - start))
            await conn.copy_records_to_table("conversations", records=rows, columns=CONVERSATION_COLUMNS)
        feedback_columns = ["id", "conversation_id", "customer_id", "queue", "business_line", "agent_id"]
        await conn.copy_records_to_table(
            "csat_ratings", records=month.csat, columns=[*feedback_columns, "score", "at"]
        )
        columns = ["id", "agent_id", "customer_id", "conversation_id", "queue", "business_line"]
        await conn.copy_records_to_table(
            "commendations", records=month.commendations, columns=[*columns, "message", "given_by", "at"]
        )
        columns = ["id", "customer_id", "conversation_id", "agent_id", "queue", "business_line", "category"]
        await conn.copy_records_to_table(
            "complaints",
            records=month.complaints,
            columns=[*columns, "text", "status", "created_at", "updated_at"],
        )
        await conn.execute("ANALYZE")
        return {
            "csat": len(month.csat),
            "commendations": len(month.commendations),
            "complaints": len(month.complaints),
        }
    finally:
        await conn.close()


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    await call()  # warm the pool and the caches once
    samples: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t0) * 1000)
    return _quantiles(samples)


def _report(
    ctx: Callable[[], Any], since: datetime, until: datetime, group_by: str, interval: str
) -> Callable[[], Awaitable[Any]]:
    async def call() -> Any:
        return await reports.service_report(ctx(), since, until, group_by, interval)  # type: ignore[arg-type]

    return call


async def _measure(kefu: Kefu, runs: int) -> dict[str, Any]:
    def ctx() -> Any:
        return kefu.bus.context(SYSTEM_ACTOR)

    month_end = MONTH_START + timedelta(days=DAYS)
    day = (MONTH_START + timedelta(days=14), MONTH_START + timedelta(days=15))
    assert kefu.engine is not None  # noqa: S101 - the benchmark runs on a database
    async with kefu.engine.connect() as conn:
        agent = (await conn.execute(text("SELECT id FROM agents ORDER BY id LIMIT 1"))).scalar_one()
    out: dict[str, Any] = {}

    async def live_day() -> Any:
        return await reports.service_report(ctx(), *day, "site", "hour")

    out["live_day_by_site_hour"] = await _timed(max(3, runs // 5), live_day)
    out["live_month_by_site_day"] = await _timed(
        3, lambda: reports.service_report(ctx(), MONTH_START, month_end, "site", "day")
    )
    t0 = time.perf_counter()
    rolled = await kefu.bus.handle(reports.RollUpReports(MONTH_START, month_end), SYSTEM_ACTOR)
    out["rollup_month"] = {"seconds": round(time.perf_counter() - t0, 1), "rows": rolled["rows"]}
    for name, group_by, interval in (
        ("month_by_site_day", "site", "day"),
        ("month_by_queue_hour", "queue", "hour"),
        ("month_by_business_line_day", "business_line", "day"),
        ("month_by_agent_day", "agent", "day"),
    ):
        out[name] = await _timed(
            runs if group_by != "agent" else max(3, runs // 5),
            _report(ctx, MONTH_START, month_end, group_by, interval),
        )
    out["month_by_site_day_tz_shanghai"] = await _timed(
        runs, lambda: reports.service_report(ctx(), MONTH_START, month_end, "site", "day", "Asia/Shanghai")
    )
    out["scorecard_month"] = await _timed(
        runs, lambda: reports.scorecard(ctx(), agent, MONTH_START, month_end)
    )
    return out


async def run_reports_bench_async(
    sizes: tuple[int, ...], runs: int, database_url: str, seed: int, keep: bool
) -> dict[str, Any]:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("kefu bench reports measures PostgreSQL: pass --database-url postgresql+asyncpg://…")
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    results: dict[str, Any] = {"database": "postgresql", "month": f"{MONTH_START:%Y-%m}", "sizes": {}}
    for size in sizes:
        schema = f"bench_reports_{size}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(database_url)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        kefu: Kefu | None = None
        try:
            settings = load_settings(database_url=database_url, database_schema=schema)
            kefu = await bootstrap(settings, publisher=InProcessBus(), routing=False)
            t0 = time.perf_counter()
            extra = await _copy(dsn, schema, size, seed)
            load_s = time.perf_counter() - t0
            figures = await _measure(kefu, runs)
            results["sizes"][str(size)] = {"load_seconds": round(load_s, 1), "rows": extra, **figures}
        finally:
            if kefu is not None:
                await kefu.close()
            if not keep:
                async with admin.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    return results


def run_reports_bench(
    conversations: list[int] | None = None,
    quick: bool = False,
    database_url: str | None = None,
    seed: int = 0,
    keep: bool = False,
) -> dict[str, Any]:
    sizes = tuple(conversations or ([20_000] if quick else [1_000_000]))
    runs = 10 if quick else 50
    return asyncio.run(run_reports_bench_async(sizes, runs, database_url or DEFAULT_PG, seed, keep))
