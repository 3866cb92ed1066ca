"""``kefu bench api``: HTTP cost of the core resources, and how it grows with the tables.

For each table size it bulk-loads that many customers and conversations (with a message each), then times,
through the real ASGI app in process: creating a conversation, reading one conversation with its messages,
and reading the first and a deep page of a filtered list. A read must cost the same at 100k rows as at 1k.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.store.tables import ConversationRow, CustomerRow, MessageRow
from kefu.bootstrap import Kefu, bootstrap
from kefu.config import load_settings
from kefu.domain.commands import CreateUser, IssueToken
from kefu.domain.ids import new_id
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.api.app import create_app
from kefu.services.pagination import encode_cursor

_BATCH = 5_000


def _quantiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(p99, 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


async def _load(kefu: Kefu, count: int, start: datetime) -> list[str]:
    """Bulk rows straight into the tables: seeding is not what is measured."""
    ids: list[str] = []
    lines = ("social", "payments", "games")
    assert kefu.engine is not None  # noqa: S101 - the benchmark runs on a database
    async with kefu.engine.begin() as conn:
        for offset in range(0, count, _BATCH):
            n = min(_BATCH, count - offset)
            customers, conversations, messages = [], [], []
            for i in range(offset, offset + n):
                at = start + timedelta(seconds=i)
                cust, conv = new_id(), new_id()
                ids.append(conv)
                customers.append(
                    {
                        "id": cust,
                        "external_id": f"bench-{cust}",
                        "name": f"c{i}",
                        "language": "zh",
                        "vulnerable": False,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                conversations.append(
                    {
                        "id": conv,
                        "customer_id": cust,
                        "business_line": lines[i % 3],
                        "channel": "chat",
                        "queue": lines[i % 3],
                        "priority": 0,
                        "status": "queued" if i % 5 else "resolved",
                        "care": False,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                messages.append(
                    {
                        "id": new_id(),
                        "conversation_id": conv,
                        "sender": "customer",
                        "body": "付款失败怎么办",
                        "created_at": at,
                    }
                )
            await conn.execute(insert(CustomerRow), customers)
            await conn.execute(insert(ConversationRow), conversations)
            await conn.execute(insert(MessageRow), messages)
    return ids


async def _time(client: httpx.AsyncClient, n: int, call: Any) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        r = await call(i)
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code >= 400:
            raise RuntimeError(f"benchmark request failed: {r.status_code} {r.text[:200]}")
    return out


async def _measure(kefu: Kefu, ids: list[str], samples: int, rng: random.Random) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=create_app(kefu=kefu))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        users = await _admin_headers(kefu)
        customer = (
            await client.post(
                "/api/v1/customers", json={"external_id": f"b-{new_id()}", "name": "基准"}, headers=users
            )
        ).json()["id"]
        create = await _time(
            client,
            samples,
            lambda i: client.post(
                "/api/v1/conversations",
                json={
                    "customer_id": customer,
                    "business_line": "payments",
                    "channel": "chat",
                    "text": "你好",
                },
                headers=users,
            ),
        )
        read = await _time(
            client, samples, lambda i: client.get(f"/api/v1/conversations/{rng.choice(ids)}", headers=users)
        )
        first_page = await _time(
            client,
            samples,
            lambda i: client.get(
                "/api/v1/conversations", params={"queue": "games", "limit": 50}, headers=users
            ),
        )
        deep = ids[int(len(ids) * 0.9)]
        deep_page = await _time(
            client,
            samples,
            lambda i: client.get(
                "/api/v1/conversations",
                params={"queue": "games", "limit": 50, "cursor": encode_cursor(deep)},
                headers=users,
            ),
        )
    return {
        "create_conversation": {**_quantiles(create), "per_s": round(1000 / statistics.fmean(create), 1)},
        "read_conversation": _quantiles(read),
        "list_first_page": _quantiles(first_page),
        "list_deep_page": _quantiles(deep_page),
    }


async def _admin_headers(kefu: Kefu) -> dict[str, str]:
    username = f"bench-admin-{new_id()[-12:]}"
    await kefu.bus.handle(CreateUser(username, "bench-password", "admin"), SYSTEM_ACTOR)
    issued = await kefu.bus.handle(IssueToken(username, 1), SYSTEM_ACTOR)
    return {"Authorization": f"Bearer {issued.access_token}"}


async def run_api_bench_async(
    sizes: tuple[int, ...], samples: int, database_url: str | None, schema: str | None
) -> dict[str, Any]:
    rng = random.Random(1)
    results: dict[str, Any] = {"sizes": {}}
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        settings = load_settings(database_url=url, database_schema=schema)
        kefu = await bootstrap(settings, hasher=Argon2Hasher(fast=True), publisher=InProcessBus())
        try:
            ids: list[str] = []
            start = datetime(2026, 1, 1, tzinfo=UTC)
            for size in sorted(sizes):
                ids += await _load(kefu, size - len(ids), start + timedelta(days=len(ids)))
                results["sizes"][str(size)] = await _measure(kefu, ids, samples, rng)
        finally:
            await kefu.close()
    results["database"] = url.split(":", 1)[0]
    smallest, largest = str(min(sizes)), str(max(sizes))
    results["growth"] = {
        name: round(
            results["sizes"][largest][name]["p50_ms"] / max(results["sizes"][smallest][name]["p50_ms"], 1e-9),
            2,
        )
        for name in ("read_conversation", "list_first_page", "list_deep_page")
    }
    results["growth_note"] = f"p50 at {largest} rows divided by p50 at {smallest} rows (1.0 = flat)"
    return results


def run_api_bench(
    quick: bool = False, database_url: str | None = None, schema: str | None = None
) -> dict[str, Any]:
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    return asyncio.run(run_api_bench_async(sizes, 50 if quick else 300, database_url, schema))
