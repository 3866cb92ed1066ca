"""Shared fixtures: real services on 127.0.0.1, isolated per test run.

A test that needs PostgreSQL, Redis or NATS skips when the service is missing on a developer machine, and
fails under ``CI=true``: CI must never go green by skipping what it was meant to prove.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import shutil
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import httpx
import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.store.engine import create_engine, upgrade
from kefu.bootstrap import Kefu, bootstrap
from kefu.config import Settings, load_settings
from kefu.domain.clock import Clock
from kefu.domain.commands import CreateUser, IssueToken
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.api.app import create_app

# Property tests check what holds, never how fast: a busy 2-core machine must not turn a slow example into a
# failure, so Hypothesis's per-example deadline is off for the whole suite.
hypothesis_settings.register_profile("kefu", deadline=None)
hypothesis_settings.load_profile("kefu")

PG_URL = os.environ.get("KEFU_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NATS_URL = os.environ.get("KEFU_TEST_NATS_URL", "nats://127.0.0.1:4222")

T = TypeVar("T")


@pytest.fixture(autouse=True, scope="session")
def _no_kefu_environment_for_the_session() -> Iterator[None]:
    """No KEFU_* variable of the developer's shell reaches a session or module fixture."""
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("KEFU_")]:
            mp.delenv(name)
        yield


@pytest.fixture(autouse=True)
def clean_kefu_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no KEFU_* variable set: a developer's shell never changes a result."""
    for name in [n for n in os.environ if n.startswith("KEFU_")]:
        monkeypatch.delenv(name)


# Modules whose tests share one server (a module-scoped fixture): under pytest-xdist each runs on one worker,
# so the server and the browser start once, not once per worker.
ONE_WORKER_MODULES = ("tests/browser/", "tests/e2e/test_schemathesis.py")


# The slow unit tests (long property runs, the Erlang C simulation, the quick benchmarks) drive the pure cores
# through the same lines thousands of times; the fast tests of the same modules cover those lines. Traced,
# they would cost more CPU than the rest of the unit tier, so coverage pauses while they run.
UNTRACED_DIRS = ("tests/unit/",)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last (Playwright's sync API holds an event loop while a module's browser is open);
    modules sharing one server stay on one worker; slow unit tests run untraced."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
    for item in items:
        path = item.nodeid.replace("\\", "/").split("::", 1)[0]
        if path.startswith(ONE_WORKER_MODULES):
            item.add_marker(pytest.mark.xdist_group(path))
        if path.startswith(UNTRACED_DIRS) and item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.no_cover)


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
#
# Migrating takes far longer than copying, so each test process migrates once: into a SQLite template file,
# and into a PostgreSQL template database. A test gets a copy of the file, or a database cloned from the
# template (CREATE DATABASE ... TEMPLATE); tests marked ``unmigrated`` get an empty database instead, because
# their point is the migrations themselves.
#
# Where the database matters a test runs on both: every test of tests/integration/, and the end-to-end tests
# marked ``both_databases`` (restart, concurrency, the CLI's migrations, one HTTP story). Other end-to-end
# tests run on SQLite only: the handlers behind them are the same code on either database.

MIGRATED_SCHEMA = "kefu"  # the schema the PostgreSQL template is migrated into (search_path of every clone)
BOTH_DATABASES_DIRS = ("tests/integration/",)


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


def database_kinds(item: pytest.Item | pytest.Function) -> list[str]:
    """The databases a test that uses the ``database`` fixture runs on."""
    path = item.nodeid.replace("\\", "/")
    if path.startswith(BOTH_DATABASES_DIRS) or item.get_closest_marker("both_databases"):
        return ["sqlite", "postgresql"]
    return ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the ``database`` fixture (and so ``kefu``, ``api``...) by where the database matters."""
    if "database" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "database" in (names if isinstance(names, list | tuple) else names.replace(" ", "").split(",")):
            return  # the module chose its databases itself (the contract tests do)
    metafunc.parametrize("database", database_kinds(metafunc.definition), indirect=True)


def _in_thread(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a loop of its own, whatever loop (pytest-asyncio's, Playwright's) runs here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work()).result()


def _pg_url(database: str) -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def _pg_admin(*statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE) on the server's test database."""

    async def work() -> None:
        engine = create_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    _in_thread(work)


async def _pg_schema(action: str, schema: str) -> None:
    """Create or drop a schema of the server's test database (for tests that manage their own)."""
    engine = create_engine(PG_URL)
    try:
        async with engine.begin() as conn:
            if action == "create":
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            else:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


async def _migrate(url: str, schema: str | None = None) -> None:
    engine = create_engine(url)
    try:
        if schema:
            async with engine.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await engine.dispose()
        engine = create_engine(url, schema=schema)
        await upgrade(engine)
        if engine.dialect.name == "sqlite":  # fold the write-ahead log into the file that is copied
            async with engine.connect() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test process; tests get copies (``migrated_sqlite``)."""
    path = tmp_path_factory.mktemp("template") / "kefu.db"
    _in_thread(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
    return path


def migrated_sqlite(template: Path, folder: Path) -> Database:
    """A migrated SQLite database in ``folder``: a copy of the session's template file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "kefu.db"
    shutil.copyfile(template, target)
    return Database("sqlite", f"sqlite+aiosqlite:///{target}")


class PgClones:
    """Clones of a migrated template database, made ahead and dropped behind by a thread of their own.

    CREATE DATABASE and DROP DATABASE each take from a tenth of a second to several seconds on a busy
    server; done in the background, a test only waits when it takes clones faster than they are made."""

    AHEAD = 2

    def __init__(self, template: str) -> None:
        self.template = template
        self._jobs: queue.PriorityQueue[tuple[int, int, str]] = queue.PriorityQueue()
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._order = itertools.count()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        for _ in range(self.AHEAD):
            self._put(0, "")

    def _put(self, priority: int, name: str) -> None:
        self._jobs.put((priority, next(self._order), name))

    def take(self) -> str:
        """A database of its own, migrated to head (another is started in its place)."""
        self._put(0, "")
        made = self._ready.get(timeout=300)
        if isinstance(made, BaseException):
            raise made
        return made

    def give_back(self, name: str) -> None:
        """Drop ``name`` later (connections still open are closed by the server)."""
        self._put(1, name)

    def close(self) -> None:
        self._put(2, "")
        self._thread.join(timeout=300)

    async def _serve(self) -> None:
        admin_url = make_url(PG_URL).set(drivername="postgresql").render_as_string(False)
        conn = await asyncpg.connect(admin_url)
        drops: set[asyncio.Task[None]] = set()

        async def drop(name: str) -> None:
            # DROP DATABASE waits for a checkpoint (seconds on a busy server): each runs on a connection of
            # its own beside the loop, so the next clone is never queued behind it, and drops that overlap
            # share one checkpoint.
            other = await asyncpg.connect(admin_url)
            try:
                await other.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await other.close()

        def drop_later(name: str) -> None:
            task = asyncio.create_task(drop(name))
            drops.add(task)
            task.add_done_callback(drops.discard)

        try:
            while True:
                priority, _, name = await asyncio.to_thread(self._jobs.get)
                if priority == 0:
                    try:
                        made = f"kefu_t_{uuid.uuid4().hex[:12]}"
                        await conn.execute(f'CREATE DATABASE "{made}" TEMPLATE "{self.template}"')
                        self._ready.put(made)
                    except Exception as exc:  # handed to the test that waits for it
                        self._ready.put(exc)
                elif priority == 1:
                    drop_later(name)
                else:
                    while not self._ready.empty():
                        left = self._ready.get()
                        if isinstance(left, str):
                            drop_later(left)
                    await asyncio.gather(*drops)
                    return
        finally:
            await conn.close()


@pytest.fixture(scope="session")
def pg_clones() -> Iterator[PgClones]:
    """A PostgreSQL database migrated to head once per test process, cloned for each test."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"kefu_tpl_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _in_thread(lambda: _migrate(_pg_url(name), MIGRATED_SCHEMA))
        clones = PgClones(name)
        try:
            yield clones
        finally:
            clones.close()
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of its own: a copy of the SQLite template, or a clone of the PostgreSQL one.

    Marked ``unmigrated``: an empty SQLite file, or an empty PostgreSQL schema of its own."""
    kind = getattr(request, "param", "sqlite")
    unmigrated = request.node.get_closest_marker("unmigrated") is not None
    if kind == "sqlite":
        if unmigrated:
            yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
        else:
            yield migrated_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    if unmigrated:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE SCHEMA "{schema}"')
        try:
            yield Database("postgresql", PG_URL, schema)
        finally:
            _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        return
    clones: PgClones = request.getfixturevalue("pg_clones")
    name = clones.take()
    try:
        yield Database("postgresql", _pg_url(name), MIGRATED_SCHEMA)
    finally:
        clones.give_back(name)


@pytest.fixture
def sqlite_database(sqlite_template: Path, tmp_path: Path) -> Database:
    """A migrated SQLite database of its own, for tests whose point is not the choice of database."""
    return migrated_sqlite(sqlite_template, tmp_path)


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


# --- a webhook receiver ------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A gateway's webhook endpoint on 127.0.0.1: answers 500 to the first ``refuse`` requests, then 200."""

    url: str
    refuse: int = 0
    received: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server in a thread of its own, recording every request and the status it answered."""
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = 500 if state.refuse > 0 else 200
            state.refuse = max(0, state.refuse - 1)
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/kefu/payments"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
