"""Routable work as durable rows: opened in the same transaction as the thing it routes, closed with it.

The routing engine learns of each change from the ``TaskOpened`` / ``TaskClosed`` events after commit; after
a crash it is rebuilt from these rows, so no task is lost between the commit and the engine.
"""

from __future__ import annotations

from datetime import datetime

from kefu.domain import events
from kefu.domain.cases import CASE_QUEUE, REPORT_PRIORITY, Case, case_priority
from kefu.domain.customers import Customer
from kefu.domain.ids import new_id
from kefu.domain.tasks import Task, TaskKind
from kefu.services.context import Context


async def open_task(
    ctx: Context,
    kind: TaskKind,
    subject_id: str,
    queue_id: str,
    channel: str,
    care: bool,
    home_site: str | None,
    priority: int = 0,
    *,
    enqueued_at: datetime | None = None,
    preferred_agent_id: str | None = None,
) -> Task:
    """New routable work, waiting since ``enqueued_at`` (now unless a transfer keeps the original wait)."""
    now = enqueued_at or ctx.clock.now()
    task = Task(
        id=new_id(),
        kind=kind,
        subject_id=subject_id,
        queue_id=queue_id,
        channel=channel,
        priority=priority,
        care=care,
        state="waiting",
        enqueued_at=now,
        home_site=home_site,
        preferred_agent_id=preferred_agent_id,
    )
    await ctx.uow.tasks.add(task)
    ctx.uow.emit(
        events.TaskOpened(
            task.id,
            kind,
            subject_id,
            queue_id,
            channel,
            priority,
            care,
            home_site,
            task.enqueued_at,
            preferred_agent_id,
        )
    )
    return task


async def close_task(
    ctx: Context,
    subject_id: str,
    reason: str,
    agent_id: str | None = None,
    now: datetime | None = None,
) -> Task | None:
    """End the live task of a subject (if it has one) and tell the engine after commit; ``now`` is the
    command's time when the caller has already read the clock."""
    task = await ctx.uow.tasks.open_for_subject(subject_id)
    if task is None:
        return None
    now = now or ctx.clock.now()
    if reason == "assigned_by_hand" and task.assigned_at is None:
        task.assigned_at = now
        task.agent_id = agent_id
        task.wait_s = (now - task.enqueued_at).total_seconds()
    if reason == "abandoned" and task.assigned_at is None:
        task.wait_s = (now - task.enqueued_at).total_seconds()
    task.state = "ended"
    task.ended_at = now
    task.end_reason = reason
    await ctx.uow.tasks.save(task)
    ctx.uow.emit(events.TaskClosed(task.id, reason, now))
    return task


async def hand_assign_task(ctx: Context, subject_id: str, agent_id: str, now: datetime) -> Task | None:
    """A supervisor's hand assignment: the live task stays, assigned to the agent, and the routing engine
    counts it against the agent's capacity (``TaskAssigned`` after commit) until the work is done."""
    task = await ctx.uow.tasks.open_for_subject(subject_id)
    if task is None:
        return None
    task.state, task.agent_id, task.assigned_at = "assigned", agent_id, now
    task.wait_s = (now - task.enqueued_at).total_seconds()
    await ctx.uow.tasks.save(task)
    ctx.uow.emit(events.TaskAssigned(task.id, task.kind, task.subject_id, agent_id, now))
    return task


async def route_case(ctx: Context, case: Case, customer: Customer | None, care: bool) -> None:
    """Put the case on the anti-fraud queue (the top-priority queue); elderly and vulnerable payers get the
    care boost and a higher score ranks first among the rest; a customer's scam report ranks with the
    riskiest holds."""
    await open_task(
        ctx,
        "case",
        case.id,
        CASE_QUEUE,
        "voice",
        care,
        None if customer is None else customer.home_site,
        priority=REPORT_PRIORITY if case.kind == "report" else case_priority(case.score),
    )
