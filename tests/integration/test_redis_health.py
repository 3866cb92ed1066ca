"""Redis in kefu's health: reported when configured; an outage degrades /healthz instead of crashing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.entrypoints.api.app import create_app
from tests.conftest import Database, settings_for


@asynccontextmanager
async def running(database: Database, redis_url: str | None) -> AsyncIterator[tuple[Kefu, httpx.AsyncClient]]:
    kefu = await bootstrap(settings_for(database, redis_url=redis_url), hasher=Argon2Hasher(fast=True))
    try:
        transport = httpx.ASGITransport(app=create_app(kefu=kefu), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://kefu.test") as client:
            yield kefu, client
    finally:
        await kefu.close()


async def test_a_reachable_redis_is_reported_ok(sqlite_database: Database, redis_url: str) -> None:
    """With KEFU_REDIS_URL pointing at a live Redis, health() and /healthz report redis ok."""
    async with running(sqlite_database, redis_url) as (kefu, client):
        assert (await kefu.health())["redis"] == "ok"
        r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["checks"] == {"database": "ok", "bus": "ok", "redis": "ok"}


async def test_an_unreachable_redis_degrades_health(sqlite_database: Database, unused_tcp_port: int) -> None:
    """A Redis URL to a closed port gives redis "down…" and a 503 degraded /healthz, not a crash."""
    async with running(sqlite_database, f"redis://127.0.0.1:{unused_tcp_port}/0") as (kefu, client):
        state = await kefu.health()
        r = await client.get("/healthz")
        # The rest of kefu keeps working while Redis is down.
        sites = await client.get("/api/v1/sites")
    assert state["redis"].startswith("down")
    assert state["database"] == "ok"
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"].startswith("down")
    assert body["checks"]["database"] == "ok"
    assert sites.status_code == 401  # answered by the app (auth), not a 5xx


async def test_without_redis_health_does_not_mention_it(sqlite_database: Database) -> None:
    """Redis is optional: with no KEFU_REDIS_URL the health report has no redis entry and is ok."""
    async with running(sqlite_database, None) as (kefu, client):
        assert "redis" not in await kefu.health()
        r = await client.get("/healthz")
    assert r.status_code == 200
    assert set(r.json()["checks"]) == {"database", "bus"}
