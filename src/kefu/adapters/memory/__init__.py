"""Shipped fakes: an in-memory database, unit of work, repositories and outbox that behave like the SQL ones.

Use them wherever a real database is not the point (handler unit tests, demos): ``MemoryStore`` is the
database, ``MemoryUnitOfWorkFactory(store, clock)`` makes units of work on it. The repository contract tests
(``tests/integration/contract``) run the same cases against these and against SQLite and PostgreSQL.
"""

from kefu.adapters.memory.outbox import MemoryOutbox
from kefu.adapters.memory.store import MemorySession, MemoryStore
from kefu.adapters.memory.uow import MemoryUnitOfWork, MemoryUnitOfWorkFactory

__all__ = ["MemoryOutbox", "MemorySession", "MemoryStore", "MemoryUnitOfWork", "MemoryUnitOfWorkFactory"]
