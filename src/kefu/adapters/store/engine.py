"""Creating the async engine for SQLite (embedded default) or PostgreSQL, and applying migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from kefu.domain.errors import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: two kefu processes starting on one PostgreSQL must not migrate at the same time.
_MIGRATION_LOCK = 7_362_001


def create_engine(
    url: str,
    schema: str | None = None,
    echo: bool = False,
    timeout_s: float | None = None,
    statement_timeout_s: float = 0,
) -> AsyncEngine:
    """An async engine; for SQLite the parent folder is created and WAL + foreign keys are switched on.

    On PostgreSQL, ``timeout_s`` bounds connecting and waiting for a pooled connection, and
    ``statement_timeout_s`` (0: none) is the server's statement_timeout, with the client giving up a
    moment later on a connection that stopped answering: a request fails fast instead of hanging."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(f"KEFU_DATABASE_URL is not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"echo": echo}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    elif backend == "postgresql":
        if parsed.get_driver_name() != "asyncpg":
            raise ConfigurationError("PostgreSQL URLs must use the asyncpg driver: postgresql+asyncpg://…")
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        server: dict[str, str] = {"search_path": schema} if schema else {}
        connect: dict[str, Any] = {}
        if timeout_s is not None:
            kwargs["pool_timeout"] = timeout_s
            connect["timeout"] = timeout_s
        if statement_timeout_s > 0:
            server["statement_timeout"] = str(int(statement_timeout_s * 1000))
            connect["command_timeout"] = statement_timeout_s + (timeout_s or 1.0)
        if server:
            connect["server_settings"] = server
        if connect:
            kwargs["connect_args"] = connect
    else:
        raise ConfigurationError(
            f"unsupported database {backend!r}: use sqlite+aiosqlite or postgresql+asyncpg"
        )
    engine = create_async_engine(parsed, **kwargs)
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers work while one writer commits; busy_timeout makes writers queue instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply Alembic migrations up to ``revision``; safe to call from several processes at once."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        await conn.run_sync(_upgrade_sync, revision)


def _upgrade_sync(conn: Connection, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def head_revision() -> str | None:
    """The newest migration this kefu ships (what ``current_revision`` is once migrated)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        exists = await conn.run_sync(lambda c: c.dialect.has_table(c, "alembic_version"))
        if not exists:
            return None
        row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
        return None if row is None else str(row[0])
