"""Repository contract tests: the same cases against the memory store, SQLite and PostgreSQL.

``stores`` yields a unit-of-work factory on a fresh store of each kind. The SQL kinds come from the root
``database`` fixture (the memory kind ignores the one it is handed), migrated, with ``SqlUnitOfWork``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kefu.adapters.memory import MemoryStore, MemoryUnitOfWorkFactory
from kefu.adapters.store.engine import create_engine, upgrade
from kefu.adapters.store.uow import SqlUnitOfWork
from kefu.domain.clock import FakeClock
from kefu.services.ports import UnitOfWork, UnitOfWorkFactory
from tests.conftest import Database

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

# (store kind, the root ``database`` parameter it runs on). Every kind here runs every contract test.
KINDS = [("memory", "sqlite"), ("sqlite", "sqlite"), ("postgresql", "postgresql")]


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A parametrize mark (not a direct call) so that the root ``database`` fixture's own params step aside.
    if "stores" in metafunc.fixturenames:
        kinds = KINDS
        marker = metafunc.definition.get_closest_marker("kinds")
        if marker is not None:
            kinds = [k for k in KINDS if k[0] in marker.args]
        mark = pytest.mark.parametrize(
            ("kind", "database"), kinds, ids=[k for k, _ in kinds], indirect=["database"]
        )
        metafunc.definition.add_marker(mark)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kinds(*names): run a contract test on these store kinds only")


@dataclass
class Stores:
    """One store of one kind: ``uow()`` makes a unit of work on it; ``clock`` is its frozen clock."""

    kind: str
    uow: UnitOfWorkFactory
    clock: FakeClock


def _sql_factory(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> UnitOfWorkFactory:
    def make() -> UnitOfWork:
        return SqlUnitOfWork(sessions, clock)

    return make


@pytest_asyncio.fixture
async def stores(kind: str, database: Database) -> AsyncIterator[Stores]:
    """A fresh, migrated store of ``kind`` and a factory of units of work on it."""
    clock = FakeClock(T0)
    if kind == "memory":
        yield Stores(kind, MemoryUnitOfWorkFactory(MemoryStore(clock), clock), clock)
        return
    engine = create_engine(database.url, schema=database.schema)
    try:
        await upgrade(engine)
        sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        yield Stores(kind, _sql_factory(sessions, clock), clock)
    finally:
        await engine.dispose()
