"""The in-memory unit of work: the same contract as ``SqlUnitOfWork``, on a shared ``MemoryStore``.

Nothing it writes is visible to another unit of work until ``commit()``; leaving the block without commit
rolls everything back, events included. At commit each emitted event becomes one ``OutboxRecord`` in the
same commit; ``collect_events()`` hands back the committed events once.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from kefu.adapters.memory.care import MemoryCallbacks, MemoryKnowledge
from kefu.adapters.memory.outbox import MemoryOutbox
from kefu.adapters.memory.quality import MemoryQualityRecords
from kefu.adapters.memory.reports import MemoryReportStore
from kefu.adapters.memory.routing import (
    MemoryLeases,
    MemoryOffers,
    MemoryQueues,
    MemoryRoutingRules,
    MemoryTasks,
)
from kefu.adapters.memory.screening import (
    MemoryCases,
    MemoryFraudRecords,
    MemoryPaymentWebhooks,
    MemoryScreenings,
)
from kefu.adapters.memory.screening_models import MemoryScreeningModels
from kefu.adapters.memory.shared import (
    MemoryAgents,
    MemoryApiTokens,
    MemoryAuditLog,
    MemoryConversations,
    MemoryCustomers,
    MemorySites,
    MemoryUsers,
)
from kefu.adapters.memory.store import MemorySession, MemoryStore
from kefu.adapters.memory.thresholds import MemoryThresholds
from kefu.adapters.memory.workspace import MemoryCannedResponses
from kefu.domain.clock import Clock
from kefu.domain.events import Event
from kefu.domain.ids import new_id
from kefu.services.ports import (
    OutboxRecord,
    UnitOfWork,
)


class MemoryUnitOfWork(UnitOfWork):
    """The same contract on a ``MemoryStore``; its repositories are the ``UnitOfWork`` port's."""

    def __init__(self, store: MemoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._events: list[Event] = []
        self._committed: list[Event] = []

    async def __aenter__(self) -> Self:
        self._session = session = MemorySession(self._store)
        self.users = MemoryUsers(session)
        self.api_tokens = MemoryApiTokens(session)
        self.sites = MemorySites(session)
        self.customers = MemoryCustomers(session)
        self.agents = MemoryAgents(session)
        self.conversations = MemoryConversations(session)
        self.queues = MemoryQueues(session)
        self.routing_rules = MemoryRoutingRules(session)
        self.tasks = MemoryTasks(session)
        self.offers = MemoryOffers(session)
        self.leases = MemoryLeases(session)
        self.audit = MemoryAuditLog(session)
        self.screenings = MemoryScreenings(session)
        self.cases = MemoryCases(session)
        self.fraud = MemoryFraudRecords(session)
        self.knowledge = MemoryKnowledge(session)
        self.canned = MemoryCannedResponses(session)
        self.callbacks = MemoryCallbacks(session)
        self.quality = MemoryQualityRecords(session)
        self.reports = MemoryReportStore(session)
        self.outbox = MemoryOutbox(session)
        self.models = MemoryScreeningModels(session)
        self.webhooks = MemoryPaymentWebhooks(session)
        self.thresholds = MemoryThresholds(self._session)
        self._events = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._session.rollback()

    async def commit(self) -> None:
        """Write the changes and one outbox record per emitted event at once, or raise ``Conflict``."""
        at = self._clock.now()
        records = [
            OutboxRecord(id=new_id(), name=e.name, payload=e.payload(), created_at=at) for e in self._events
        ]
        await self.outbox.add(records)
        self.audit.seal()
        self._session.commit()
        self._committed.extend(self._events)
        self._events = []

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def collect_events(self) -> list[Event]:
        out, self._committed = self._committed, []
        return out


class MemoryUnitOfWorkFactory:
    """A ``UnitOfWorkFactory``: every unit of work it makes shares one store and one clock."""

    def __init__(self, store: MemoryStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def __call__(self) -> UnitOfWork:
        return MemoryUnitOfWork(self.store, self.clock)
