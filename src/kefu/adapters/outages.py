"""Telling an outage of a backing service from a bug: which dependency an exception says is down.

The HTTP layer answers such an exception 503 ``dependency_unavailable`` with ``Retry-After`` instead of
500; everything else stays a 500 (and is logged as a bug)."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import redis.exceptions
import sqlalchemy.exc
from limits.errors import StorageError

# asyncpg's own: a connection that failed or closed, a statement cancelled by statement_timeout, and
# "the database system is starting up / shutting down" (admin shutdown, crash recovery).
_PG = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
)


# Every exception type that may mean an outage (``dependency_of`` decides); the HTTP layer handles these.
OUTAGES: tuple[type[Exception], ...] = (
    redis.exceptions.RedisError,
    StorageError,
    sqlalchemy.exc.SQLAlchemyError,
    *_PG,
    TimeoutError,
    ConnectionError,
)


def dependency_of(exc: BaseException) -> str | None:
    """``"database"``, ``"redis"`` or None (not an outage), looking through the chain of causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _one(current)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _one(exc: BaseException) -> str | None:
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | StorageError):
        return "redis"
    if isinstance(exc, sqlalchemy.exc.TimeoutError):  # no connection free in the pool in time
        return "database"
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and (
        exc.connection_invalidated
        or isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError)
    ):
        return "database"
    if isinstance(exc, _PG):
        return "database"
    if isinstance(exc, TimeoutError | ConnectionError):
        # Connecting timed out or was refused; the driver raised it bare. Redis and HTTP clients wrap
        # theirs, so a bare one here comes from the database driver.
        return "database"
    return None
