"""Repositories for routing: queues, tasks and offers, and the service-level counts behind live stats."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kefu.adapters.store.routing.tables import OfferRow, QueueRow, RoutingRuleRow, TaskRow
from kefu.domain.queues import EscalationStep, Queue, ServiceLevel, SiteScope
from kefu.domain.routing_rules import RoutingRule
from kefu.domain.tasks import Offer, OfferStatus, Task, TaskKind, TaskState

_TASK_FIELDS = (
    "id",
    "subject_id",
    "queue_id",
    "channel",
    "priority",
    "care",
    "enqueued_at",
    "home_site",
    "agent_id",
    "assigned_at",
    "ended_at",
    "end_reason",
    "wait_s",
    "preferred_agent_id",
)


def _queue_from_row(row: QueueRow) -> Queue:
    return Queue(
        id=row.id,
        name=row.name,
        business_line=row.business_line,
        channels=tuple(row.channels),
        skills={str(k): int(v) for k, v in row.skills.items()},
        priority=row.priority,
        service_level=ServiceLevel(**row.service_level),
        created_at=row.created_at,
        updated_at=row.updated_at,
        escalation=tuple(
            EscalationStep(int(s["after_s"]), dict(s["skills"]), cast(SiteScope, s["sites"]))
            for s in row.escalation
        ),
        home_first_s={str(k): int(v) for k, v in (row.home_first_s or {}).items()},
    )


def _queue_to_row(q: Queue, row: QueueRow) -> None:
    row.id, row.name, row.business_line = q.id, q.name, q.business_line
    row.channels = list(q.channels)
    row.skills = dict(q.skills)
    row.priority = q.priority
    row.service_level = asdict(q.service_level)
    row.escalation = [asdict(s) for s in q.escalation]
    row.home_first_s = dict(q.home_first_s)
    row.created_at, row.updated_at = q.created_at, q.updated_at


def _task_from_row(row: TaskRow) -> Task:
    values: dict[str, Any] = {f: getattr(row, f) for f in _TASK_FIELDS}
    return Task(kind=cast(TaskKind, row.kind), state=cast(TaskState, row.state), **values)


def _task_to_row(t: Task, row: TaskRow) -> None:
    for f in _TASK_FIELDS:
        setattr(row, f, getattr(t, f))
    row.kind, row.state = t.kind, t.state


def _offer_from_row(row: OfferRow) -> Offer:
    return Offer(
        id=row.id,
        task_id=row.task_id,
        agent_id=row.agent_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        status=cast(OfferStatus, row.status),
        decided_at=row.decided_at,
    )


class SqlQueues:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, queue: Queue) -> None:
        row = QueueRow()
        _queue_to_row(queue, row)
        self._s.add(row)

    async def get(self, queue_id: str) -> Queue | None:
        row = await self._s.get(QueueRow, queue_id)
        return None if row is None else _queue_from_row(row)

    async def save(self, queue: Queue) -> None:
        row = await self._s.get(QueueRow, queue.id)
        if row is not None:
            _queue_to_row(queue, row)

    async def list(self) -> list[Queue]:
        rows = (await self._s.execute(select(QueueRow).order_by(QueueRow.id))).scalars()
        return [_queue_from_row(r) for r in rows]


_RULE_FIELDS = (
    "id",
    "position",
    "queue",
    "created_at",
    "business_line",
    "channel",
    "intent",
    "language",
    "care",
    "vip",
)


class SqlRoutingRules:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, rule: RoutingRule) -> None:
        self._s.add(RoutingRuleRow(**{name: getattr(rule, name) for name in _RULE_FIELDS}))

    async def list(self) -> list[RoutingRule]:
        stmt = select(RoutingRuleRow).order_by(RoutingRuleRow.position, RoutingRuleRow.id)
        rows = (await self._s.execute(stmt)).scalars()
        return [RoutingRule(**{name: getattr(row, name) for name in _RULE_FIELDS}) for row in rows]

    async def delete(self, rule_id: str) -> bool:
        row = await self._s.get(RoutingRuleRow, rule_id)
        if row is None:
            return False
        await self._s.delete(row)
        return True


class SqlTasks:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # Rows read in this unit of work stay in the identity map, so a save from an old read is refused by
        # the version check instead of overwriting a change committed since (see ``SqlConversations``).
        self._held: dict[str, TaskRow] = {}

    def _hold(self, row: TaskRow | None) -> TaskRow | None:
        if row is not None:
            self._held[row.id] = row
        return row

    async def add(self, task: Task) -> None:
        row = TaskRow()
        _task_to_row(task, row)
        self._s.add(row)

    async def get(self, task_id: str) -> Task | None:
        row = self._hold(await self._s.get(TaskRow, task_id))
        return None if row is None else _task_from_row(row)

    async def save(self, task: Task) -> None:
        row = await self._s.get(TaskRow, task.id)
        if row is not None:
            _task_to_row(task, row)

    async def open_for_subject(self, subject_id: str) -> Task | None:
        """The live (not ended) task of a conversation, callback or case, if any."""
        stmt = select(TaskRow).where(TaskRow.subject_id == subject_id, TaskRow.state != "ended")
        row = self._hold((await self._s.execute(stmt)).scalars().first())
        return None if row is None else _task_from_row(row)

    async def live(self) -> list[Task]:
        """Every task not yet ended, oldest first: what the engine is rebuilt from."""
        stmt = select(TaskRow).where(TaskRow.state != "ended").order_by(TaskRow.enqueued_at, TaskRow.id)
        return [_task_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def service_counts(self, queue_id: str, since: datetime, answer_within_s: float) -> dict[str, int]:
        """answered, within the target, abandoned and transferred out since ``since`` for one queue; and of
        those answered (within the target) and abandoned, the contacts another queue had already answered
        and transferred here: ``transferred_in``, ``transferred_in_in_target``, ``abandoned_after_answer``."""
        earlier = aliased(TaskRow)
        # Another task of the same conversation, answered and transferred on before this one was answered
        # (or, unanswered, ended).
        after_answer = (
            select(earlier.id)
            .where(
                earlier.subject_id == TaskRow.subject_id,
                earlier.id != TaskRow.id,
                earlier.end_reason == "transferred",
                earlier.assigned_at.is_not(None),
                earlier.ended_at <= func.coalesce(TaskRow.assigned_at, TaskRow.ended_at),
            )
            .exists()
        )
        in_target = TaskRow.wait_s <= answer_within_s
        answered = select(
            func.count(),
            func.coalesce(func.sum(case((in_target, 1), else_=0)), 0),
            func.coalesce(func.sum(case((after_answer, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(after_answer, in_target), 1), else_=0)), 0),
        ).where(TaskRow.queue_id == queue_id, TaskRow.assigned_at >= since)
        abandoned = select(func.count(), func.coalesce(func.sum(case((after_answer, 1), else_=0)), 0)).where(
            TaskRow.queue_id == queue_id,
            TaskRow.ended_at >= since,
            TaskRow.end_reason == "abandoned",
            TaskRow.assigned_at.is_(None),
        )
        transferred = select(func.count()).where(
            TaskRow.queue_id == queue_id, TaskRow.ended_at >= since, TaskRow.end_reason == "transferred"
        )
        n_answered, n_in_target, n_in, n_in_in_target = (await self._s.execute(answered)).one()
        n_abandoned, n_abandoned_after = (await self._s.execute(abandoned)).one()
        n_transferred = (await self._s.execute(transferred)).scalar_one()
        return {
            "answered": int(n_answered),
            "in_target": int(n_in_target),
            "abandoned": int(n_abandoned),
            "transferred": int(n_transferred),
            "transferred_in": int(n_in),
            "transferred_in_in_target": int(n_in_in_target),
            "abandoned_after_answer": int(n_abandoned_after),
        }


class SqlOffers:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, offer: Offer) -> None:
        self._s.add(
            OfferRow(
                id=offer.id,
                task_id=offer.task_id,
                agent_id=offer.agent_id,
                status=offer.status,
                created_at=offer.created_at,
                expires_at=offer.expires_at,
                decided_at=offer.decided_at,
            )
        )

    async def get(self, offer_id: str) -> Offer | None:
        row = await self._s.get(OfferRow, offer_id)
        return None if row is None else _offer_from_row(row)

    async def decide(self, offer_id: str, status: OfferStatus, at: datetime) -> None:
        row = await self._s.get(OfferRow, offer_id)
        if row is not None and row.status == "pending":
            row.status, row.decided_at = status, at

    async def pending(self, agent_id: str | None = None) -> list[Offer]:
        stmt = select(OfferRow).where(OfferRow.status == "pending")
        if agent_id is not None:
            stmt = stmt.where(OfferRow.agent_id == agent_id)
        rows = (await self._s.execute(stmt.order_by(OfferRow.created_at, OfferRow.id))).scalars()
        return [_offer_from_row(r) for r in rows]
