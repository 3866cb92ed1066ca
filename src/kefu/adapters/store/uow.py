"""The SQLAlchemy unit of work: one session, one transaction, events held until commit.

At ``commit()`` the emitted events are written to the outbox in the same transaction as the change, so
they commit together or not at all; ``collect_events()`` then hands them to the in-process reactions.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from kefu.adapters.store.care.repositories import SqlCallbacks, SqlKnowledge
from kefu.adapters.store.outbox import SqlOutbox
from kefu.adapters.store.quality.repositories import SqlQualityRecords
from kefu.adapters.store.reports.queries import SqlReportStore
from kefu.adapters.store.reports.thresholds import SqlThresholds
from kefu.adapters.store.repositories import (
    SqlAgents,
    SqlApiTokens,
    SqlAuditLog,
    SqlConversations,
    SqlCustomers,
    SqlSites,
    SqlUsers,
)
from kefu.adapters.store.routing.leases import SqlLeases
from kefu.adapters.store.routing.repositories import SqlOffers, SqlQueues, SqlRoutingRules, SqlTasks
from kefu.adapters.store.screening.models import SqlScreeningModels
from kefu.adapters.store.screening.repositories import (
    SqlCases,
    SqlFraudRecords,
    SqlPaymentWebhooks,
    SqlScreenings,
)
from kefu.adapters.store.workspace.repositories import SqlCannedResponses
from kefu.domain.clock import Clock
from kefu.domain.errors import Conflict
from kefu.domain.events import Event
from kefu.domain.ids import new_id
from kefu.services.ports import OutboxRecord, UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    """One session, one transaction; its repositories are the ``UnitOfWork`` port's, declared there."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._events: list[Event] = []
        self._committed: list[Event] = []

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.users = SqlUsers(self._session)
        self.api_tokens = SqlApiTokens(self._session)
        self.sites = SqlSites(self._session)
        self.customers = SqlCustomers(self._session)
        self.agents = SqlAgents(self._session)
        self.conversations = SqlConversations(self._session)
        self.queues = SqlQueues(self._session)
        self.routing_rules = SqlRoutingRules(self._session)
        self.tasks = SqlTasks(self._session)
        self.offers = SqlOffers(self._session)
        self.leases = SqlLeases(self._session)
        self.audit = SqlAuditLog(self._session)
        self.screenings = SqlScreenings(self._session)
        self.cases = SqlCases(self._session)
        self.fraud = SqlFraudRecords(self._session)
        self.knowledge = SqlKnowledge(self._session)
        self.canned = SqlCannedResponses(self._session)
        self.callbacks = SqlCallbacks(self._session)
        self.quality = SqlQualityRecords(self._session)
        self.reports = SqlReportStore(self._session)
        self.outbox = SqlOutbox(self._session)
        self.models = SqlScreeningModels(self._session)
        self.webhooks = SqlPaymentWebhooks(self._session)
        self.thresholds = SqlThresholds(self._session)
        self._events = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
        if isinstance(exc, IntegrityError | StaleDataError):
            # Raised by an autoflush inside the block: the same race as in ``commit``, so the same answer.
            raise Conflict("the change clashes with data saved at the same moment; retry") from exc

    async def commit(self) -> None:
        events = self._events
        try:
            await self.audit.seal()
            if events:
                now = self._clock.now()
                await self.outbox.add(
                    [
                        OutboxRecord(id=new_id(), name=e.name, payload=e.payload(), created_at=now)
                        for e in events
                    ]
                )
            await self._session.commit()
        except (IntegrityError, StaleDataError) as exc:
            # A race the handler's own checks could not see: two creates with one unique key at once, or a
            # change to a row that someone else changed since it was read.
            await self._session.rollback()
            raise Conflict("the change clashes with data saved at the same moment; retry") from exc
        self._committed.extend(events)
        self._events = []

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def collect_events(self) -> list[Event]:
        out, self._committed = self._committed, []
        return out
