"""Fail fast, report truthfully: with PostgreSQL, Redis or NATS down or hung under a running kefu, requests
that need it answer 503 problem+json ``dependency_unavailable`` with ``Retry-After`` (never a 500, never a
hang), ``/healthz`` names the service and ``/readyz`` says whether the node can serve. Each outage is real:
a TCP proxy in front of PostgreSQL that starts swallowing bytes, a private redis-server stopped with SIGSTOP
(accepts, never answers) or killed, a private nats-server stopped. Answer times are printed, not asserted:
the client's 5 s timeout proves only that nothing hangs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy.engine import make_url

from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from tests.conftest import TEST_PASSWORD, Database, asgi_client, make_user, settings_for
from tests.nats_server import NatsServer, free_port, nats_server

__all__ = ["nats_server"]  # the fixture, imported for this module's tests

CLIENT_TIMEOUT_S = 5.0  # generous: only proves the request returned
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class Proxy:
    """127.0.0.1:port → PostgreSQL. ``hang()`` drops every open connection and swallows new ones (a
    database that accepts and never answers); ``restore()`` relays again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            if not self.up:
                await asyncio.sleep(3600)  # accepted, never answered
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            self.writers.add(up_writer)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while self.up and (data := await reader.read(65536)):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def hang(self) -> None:
        self.up = False
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def restore(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.hang()
        if self.server is not None:
            self.server.close()


@pytest.fixture(autouse=True)
def plain_logs() -> Iterator[None]:
    """Log as ``kefu serve`` does (plain tracebacks): the background jobs fail on every round during an
    outage, and rendering each traceback richly would stall the event loop the answers are timed on."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ]
    )
    yield
    structlog.reset_defaults()


@asynccontextmanager
async def serving(settings: Any) -> AsyncIterator[tuple[Kefu, httpx.AsyncClient]]:
    kefu = await bootstrap(settings, hasher=Argon2Hasher(fast=True))
    try:
        async with asgi_client(kefu) as client:
            yield kefu, client
    finally:
        await kefu.close()


async def timed(client: httpx.AsyncClient, label: str, method: str, path: str, **kw: Any) -> httpx.Response:
    started = time.perf_counter()
    r = await client.request(method, path, timeout=CLIENT_TIMEOUT_S, **kw)
    print(f"{label}: {method} {path} -> {r.status_code} in {(time.perf_counter() - started) * 1000:.0f} ms")  # noqa: T201
    return r


def assert_outage(r: httpx.Response, dependency: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert (body["code"], body["dependency"]) == ("dependency_unavailable", dependency), body
    assert int(r.headers["retry-after"]) > 0


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_postgresql_that_stops_answering_gives_503_not_a_hang(database: Database) -> None:
    """PostgreSQL behind a proxy that starts swallowing: reads, writes and sign-in are 503 with
    Retry-After, /healthz and /readyz say the database is down; once it answers again, so does kefu."""
    url = make_url(database.url)
    proxy = Proxy(url.port or 5432)
    await proxy.start()
    proxied = Database(
        database.kind, url.set(port=proxy.port).render_as_string(hide_password=False), database.schema
    )
    try:
        async with serving(settings_for(proxied)) as (kefu, client):
            admin = await make_user(kefu, "root", "admin")
            await make_user(kefu, "li.na", "agent")
            assert (
                await timed(client, "pg up", "GET", "/api/v1/customers", headers=admin)
            ).status_code == 200
            proxy.hang()
            assert_outage(
                await timed(client, "pg hung", "GET", "/api/v1/customers", headers=admin), "database"
            )
            body = {"external_id": "c-1", "name": "张三", "home_site": "wuhan"}
            r = await timed(client, "pg hung", "POST", "/api/v1/customers", json=body, headers=admin)
            assert_outage(r, "database")
            login = {"username": "li.na", "password": TEST_PASSWORD}
            assert_outage(
                await timed(client, "pg hung", "POST", "/api/v1/auth/login", json=login), "database"
            )
            health = await timed(client, "pg hung", "GET", "/healthz")
            assert health.status_code == 503 and health.json()["checks"]["database"].startswith("down")
            ready = await timed(client, "pg hung", "GET", "/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("down")
            proxy.restore()
            assert (
                await timed(client, "pg back", "GET", "/api/v1/customers", headers=admin)
            ).status_code == 200
            assert (await timed(client, "pg back", "GET", "/readyz")).json() == {
                "status": "ready",
                "checks": {"database": "ok"},
            }
    finally:
        await proxy.close()


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # redis-server (jemalloc) cannot start under libfaketime's preload, which a night-time run of the
            # suite uses; this private server's clock plays no part in the test.
            env={k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        self.process.kill()
        self.process.wait(timeout=10)
        raise RuntimeError("redis-server did not start")

    def signal(self, sig: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REDIS_SERVER} is needed for the Redis outage test")
        pytest.skip("no redis-server binary")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _payment(n: int, customer_id: str) -> dict[str, Any]:
    return {
        "payment_id": f"pay-{n}",
        "payer": {"customer_id": customer_id},
        "payee": {"account_id": "acct-1", "name": "某商户", "kind": "merchant"},
        "amount": 1000,
        "currency": "CNY",
        "channel": "transfer",
        "created_at": "2026-01-05T07:00:00+00:00",
    }


async def test_redis_hung_or_gone_gives_503_not_a_hang(
    sqlite_database: Database, redis_server: RedisServer
) -> None:
    """A private redis-server stopped (SIGSTOP: accepts, never answers), then killed: sign-in and
    screening, which need Redis, are 503 with Retry-After; health and readiness name Redis."""
    async with serving(settings_for(sqlite_database, redis_url=redis_server.url)) as (kefu, client):
        gw = await make_user(kefu, "gateway", "integration")
        await make_user(kefu, "li.na", "agent")
        made = await client.post("/api/v1/customers", json={"external_id": "c-1", "name": "张三"}, headers=gw)
        customer_id = made.json()["id"]
        login = {"username": "li.na", "password": TEST_PASSWORD}
        assert (await timed(client, "redis up", "POST", "/api/v1/auth/login", json=login)).status_code == 200
        r = await timed(
            client, "redis up", "POST", "/api/v1/payments/screen", json=_payment(1, customer_id), headers=gw
        )
        assert r.status_code == 200, r.text
        for how, sig in (("hung", signal.SIGSTOP), ("killed", signal.SIGKILL)):
            redis_server.signal(sig)
            label = f"redis {how}"
            assert_outage(await timed(client, label, "POST", "/api/v1/auth/login", json=login), "redis")
            r = await timed(
                client, label, "POST", "/api/v1/payments/screen", json=_payment(2, customer_id), headers=gw
            )
            assert_outage(r, "redis")
            health = await timed(client, label, "GET", "/healthz")
            assert health.status_code == 503 and health.json()["checks"]["redis"].startswith("down")
            assert health.json()["checks"]["database"] == "ok"
            ready = await timed(client, label, "GET", "/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("down")
            # What does not need Redis carries on.
            assert (await timed(client, label, "GET", "/api/v1/sites", headers=gw)).status_code == 200


async def test_nats_down_leaves_writes_fast_and_the_node_ready(
    sqlite_database: Database, nats_server: NatsServer
) -> None:
    """A private nats-server stopped: opening a conversation still answers 201 at once (the outbox holds
    the event), /healthz is 503 naming the bus, /readyz stays 200: the node can serve."""
    nats_server.start()
    async with serving(settings_for(sqlite_database, nats_url=nats_server.url)) as (kefu, client):
        admin = await make_user(kefu, "root", "admin")
        made = await client.post(
            "/api/v1/customers", json={"external_id": "c-1", "name": "张三"}, headers=admin
        )
        body = {"customer_id": made.json()["id"], "business_line": "social", "channel": "chat"}
        nats_server.stop()
        r = await timed(client, "nats down", "POST", "/api/v1/conversations", json=body, headers=admin)
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 30
        while (health := await timed(client, "nats down", "GET", "/healthz")).status_code == 200:
            assert time.monotonic() < deadline, "the bus was never reported down"
            await asyncio.sleep(0.2)
        assert health.status_code == 503 and health.json()["checks"]["bus"] == "down"
        ready = await timed(client, "nats down", "GET", "/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
