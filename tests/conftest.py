"""Shared fixtures: real services on 127.0.0.1, isolated per test run.

A test that needs PostgreSQL, Redis or NATS skips when the service is missing on a developer machine, and
fails under ``CI=true``: CI must never go green by skipping what it was meant to prove.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.store.engine import create_engine
from kefu.bootstrap import Kefu, bootstrap
from kefu.config import Settings, load_settings
from kefu.domain.clock import Clock
from kefu.domain.commands import CreateUser, IssueToken
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.api.app import create_app

PG_URL = os.environ.get("KEFU_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NATS_URL = os.environ.get("KEFU_TEST_NATS_URL", "nats://127.0.0.1:4222")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API holds an event loop while a module's browser is open."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (developer machine) or fail (CI) when a real service is not listening."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message}; under CI=true a test that needs it must fail, not skip")
    pytest.skip(message)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """URL of the local Redis (database 15, for tests); skips or fails when Redis is down."""
    require_service("Redis", "127.0.0.1", 6379)
    yield REDIS_URL


@pytest.fixture
def nats_url() -> Iterator[str]:
    """URL of the local NATS with JetStream; skips or fails when NATS is down."""
    require_service("NATS", "127.0.0.1", 4222)
    yield NATS_URL


# --- databases ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """Where a test's data lives: a URL and, on PostgreSQL, a schema of its own."""

    kind: str
    url: str
    schema: str | None = None

    def env(self) -> dict[str, str]:
        """Environment variables that point a ``kefu`` process at this database."""
        out = {"KEFU_DATABASE_URL": self.url}
        if self.schema:
            out["KEFU_DATABASE_SCHEMA"] = self.schema
        return out


async def _pg_schema(action: str, schema: str) -> None:
    engine = create_engine(PG_URL)
    try:
        async with engine.begin() as conn:
            if action == "create":
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            else:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_schema("create", schema)
    try:
        yield Database("postgresql", PG_URL, schema)
    finally:
        await _pg_schema("drop", schema)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    """A fresh SQLite file, for tests whose point is not the choice of database."""
    return Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")


def settings_for(db: Database, **more: object) -> Settings:
    return load_settings(database_url=db.url, database_schema=db.schema, **more)


@asynccontextmanager
async def running_kefu(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Kefu]:
    """A migrated, started kefu with a recording in-process bus and a fast password hasher; closed after."""
    instance = await bootstrap(
        settings, hasher=Argon2Hasher(fast=True), publisher=InProcessBus(), clock=clock
    )
    try:
        yield instance
    finally:
        await instance.close()


@asynccontextmanager
async def asgi_client(instance: Kefu) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the ASGI app in process (no network)."""
    transport = httpx.ASGITransport(app=create_app(kefu=instance), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kefu.test") as client:
        yield client


@pytest_asyncio.fixture
async def kefu(database: Database) -> AsyncIterator[Kefu]:
    """A migrated kefu on each database, with a recording in-process bus and a fast password hasher."""
    async with running_kefu(settings_for(database)) as instance:
        yield instance


ROLES = ("admin", "supervisor", "agent", "integration")


TEST_PASSWORD = "s3cret-pass"


async def make_user(kefu: Kefu, username: str, role: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    """Create a user and return Authorization headers carrying a fresh token for it."""
    await kefu.bus.handle(CreateUser(username, password, role), SYSTEM_ACTOR)  # type: ignore[arg-type]
    issued = await kefu.bus.handle(IssueToken(username, 1), SYSTEM_ACTOR)
    return {"Authorization": f"Bearer {issued.access_token}"}


@pytest_asyncio.fixture
async def api(kefu: Kefu) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the ASGI app in-process (no network)."""
    async with asgi_client(kefu) as client:
        yield client


@pytest_asyncio.fixture
async def headers(kefu: Kefu) -> dict[str, dict[str, str]]:
    """Authorization headers for one user of each role, keyed by role."""
    return {role: await make_user(kefu, f"{role}-user", role) for role in ROLES}
