"""Callbacks: schedule, cancel, record attempts, keep-your-place, and the scheduler's delivery step.

The lifecycle itself is the care core's (``kefu.care.callbacks``); these handlers load a ``CallbackRecord``,
call the core with the clock's ``now`` (read once per command, so every step of one command carries the
same time), save (optimistically: see ``kefu.care.records``), audit every step and
publish ``CallbackChanged`` after commit.

Where a callback's task waits (``queue_id``, chosen when it is scheduled):

1. keep-your-place: the voice conversation's own queue, with the conversation's original place in line;
2. a care customer (elderly or vulnerable): ``elderly_care``;
3. a follow-up after an intervention case: ``anti_fraud`` (the specialists who know the case);
4. anyone else: the queue that serves the business line triage reads from the reason, on the ``callback``
   channel (``social`` when the reason says nothing about a line).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kefu.care import (
    CallbackOrigin,
    CallbackState,
    RetryPolicy,
    cancel_callback,
    mark_due,
    may_offer_callback,
    record_attempt,
    schedule_callback,
    special_callback_queue,
    start_attempt,
    tick,
    triage,
)
from kefu.care import events as care_events
from kefu.care.commands import CancelCallback, RecordCallbackAttempt, ScheduleCallback, TakeCallbackInstead
from kefu.care.records import CallbackRecord
from kefu.config import Settings
from kefu.domain import events
from kefu.domain.commands import Command
from kefu.domain.customers import Customer
from kefu.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.queues import pick_queue
from kefu.domain.tasks import Task
from kefu.services.authz import Permission, require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.shared.bases import check_site
from kefu.services.shared.customers import check_channel
from kefu.services.shared.tasks import close_task
from kefu.services.shared.users import bases_of

_CHANGES: dict[type[Any], str] = {
    care_events.CallbackScheduled: "scheduled",
    care_events.CallbackDue: "due",
    care_events.CallbackAttemptStarted: "attempt_started",
    care_events.CallbackAttemptRecorded: "attempt_recorded",
    care_events.CallbackRetryScheduled: "retry_scheduled",
    care_events.CallbackWindowMissed: "window_missed",
    care_events.CallbackRolledOver: "rolled_over",
    care_events.CallbackCompleted: "completed",
    care_events.CallbackFailed: "failed",
    care_events.CallbackCancelled: "cancelled",
}


class CallbackNotOffered(Conflict):
    """Keep-your-place is for a voice conversation still waiting longer than ``KEFU_CALLBACK_OFFER_S``."""

    code = "callback_not_offered"
    title = "A callback is not on offer for this conversation"


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.callback_max_attempts,
        interval=timedelta(seconds=settings.callback_retry_s),
        backoff=settings.callback_backoff,
        max_rollovers=settings.callback_max_rollovers,
        night_zone=settings.local_timezone,
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def record_changes(
    ctx: Context,
    record: CallbackRecord,
    changes: list[care_events.CallbackEvent],
    now: datetime,
    **detail: Any,
) -> None:
    """Audit each lifecycle step and emit it as ``CallbackChanged`` (published after commit)."""
    for change in changes:
        name = _CHANGES[type(change)]
        fields = {k: _plain(v) for k, v in dataclasses.asdict(change).items() if k != "callback_id"}
        await ctx.audit(f"callback.{name}", "callback", record.id, **fields, **detail)
        ctx.uow.emit(
            events.CallbackChanged(
                record.id, record.callback.customer_id, name, str(record.callback.state), now
            )
        )


async def settle_kept_place(ctx: Context, record: CallbackRecord, now: datetime) -> None:
    """A keep-your-place callback that ended without a call (cancelled, failed) ends its waiting conversation
    as abandoned, so no conversation waits forever for a call that will not come."""
    if record.conversation_id is None or record.callback.state not in (
        CallbackState.CANCELLED,
        CallbackState.FAILED,
    ):
        return
    conversation = await ctx.uow.conversations.get(record.conversation_id, with_messages=False)
    if conversation is None or conversation.status != "queued":
        return
    conversation.abandon(now)
    await ctx.uow.conversations.save(conversation)
    await ctx.audit("conversation.abandoned", "conversation", conversation.id, callback_id=record.id)
    ctx.uow.emit(events.ConversationAbandoned(conversation.id, now))


async def _load(ctx: Context, callback_id: str, permission: Permission) -> CallbackRecord:
    """The callback, if the actor's bases hold it: a callback belongs to its customer's home base."""
    record = await ctx.uow.callbacks.get(callback_id)
    if record is None:
        raise NotFound("callback", callback_id)
    await check_site(ctx, permission, "callback", record.home_site)
    return record


def needs_care(ctx: Context, customer: Customer, now: datetime | None = None) -> bool:
    return customer.needs_care(ctx.local_today(now), ctx.settings.elderly_age)


async def choose_queue(ctx: Context, reason: str, care: bool, after_case: bool = False) -> str:
    """The queue a callback's task waits in (see the module docstring for the order)."""
    queues = await ctx.uow.queues.list()
    ids = {q.id for q in queues}
    if (special := special_callback_queue(ids, care=care, after_case=after_case)) is not None:
        return special
    line = triage(reason).business_line
    queue = pick_queue(queues, line, "callback") or next(
        (q for q in queues if "callback" in q.channels), None
    )
    if queue is None:
        raise InvalidInput("no queue takes callbacks", field="reason")
    return queue.id


async def new_callback(
    ctx: Context,
    customer: Customer,
    *,
    reason: str,
    window_start: datetime,
    window_end: datetime,
    phone: str | None = None,
    origin: CallbackOrigin = CallbackOrigin.REQUESTED,
    queue_id: str | None = None,
    roll_over: bool | None = None,
    after_case: bool = False,
    now: datetime | None = None,
    **extra: Any,
) -> CallbackRecord:
    """Schedule a callback inside the caller's unit of work (the caller commits); ``now`` is the command's
    time when the caller has already read the clock."""
    now = now or ctx.clock.now()
    care = needs_care(ctx, customer, now)
    callback, changes = schedule_callback(
        callback_id=new_id(),
        customer_id=customer.id,
        reason=reason,
        window_start=window_start,
        window_end=window_end,
        now=now,
        phone=phone or customer.phone,
        origin=origin,
        roll_over=care if roll_over is None else roll_over,
    )
    record = CallbackRecord(
        callback=callback,
        queue_id=queue_id or await choose_queue(ctx, reason, care, after_case),
        care=care,
        created_at=now,
        updated_at=now,
        home_site=customer.home_site,
        **extra,
    )
    await ctx.uow.callbacks.add(record)
    await record_changes(ctx, record, list(changes), now, origin=str(origin), queue_id=record.queue_id)
    return record


async def schedule(cmd: ScheduleCallback, ctx: Context) -> CallbackRecord:
    require(ctx.actor, "callbacks.write")
    if not cmd.reason.strip():
        raise InvalidInput("reason must not be blank", field="reason")
    async with ctx.uow:
        customer = await ctx.uow.customers.get(cmd.customer_id)
        if customer is None:
            raise InvalidInput(f"no customer {cmd.customer_id!r}", field="customer_id")
        await check_site(ctx, "callbacks.write", "callback", customer.home_site)
        record = await new_callback(
            ctx,
            customer,
            reason=cmd.reason.strip(),
            window_start=cmd.window_start,
            window_end=cmd.window_end,
            phone=cmd.phone,
        )
        await ctx.uow.commit()
    return record


async def open_callback_task(ctx: Context, record: CallbackRecord, now: datetime) -> Task:
    """The callback becomes routable work. Keep-your-place keeps the conversation's place in line; a
    retry within the same window keeps the place its first attempt took (set here, saved by the caller)."""
    if record.place_since is None:
        record.place_since = now
    enqueued_at = record.place_since
    task = Task(
        id=new_id(),
        kind="callback",
        subject_id=record.id,
        queue_id=record.queue_id,
        channel="callback",
        priority=0,
        care=record.care,
        state="waiting",
        enqueued_at=enqueued_at,
        home_site=record.home_site,
    )
    await ctx.uow.tasks.add(task)
    ctx.uow.emit(
        events.TaskOpened(
            task.id,
            "callback",
            record.id,
            task.queue_id,
            "callback",
            0,
            task.care,
            task.home_site,
            enqueued_at,
        )
    )
    return task


async def cancel(cmd: CancelCallback, ctx: Context) -> CallbackRecord:
    """Cancelled by the customer's side (integration), a supervisor or admin, or the agent working it."""
    require(ctx.actor, "callbacks.write")
    async with ctx.uow:
        record = await _load(ctx, cmd.callback_id, "callbacks.write")
        if ctx.actor.role == "agent":
            task = await ctx.uow.tasks.open_for_subject(record.id)
            agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if task is None or agent is None or task.agent_id != agent.id:
                raise Forbidden("agents cancel only callbacks assigned to them")
        customer = await ctx.uow.customers.get(record.callback.customer_id)
        if customer is not None:
            check_channel(ctx.actor, customer)
        now = ctx.clock.now()
        record.callback, changes = cancel_callback(record.callback, now, cmd.reason)
        record.updated_at = now
        await close_task(ctx, record.id, "cancelled", now=now)
        await ctx.uow.callbacks.save(record)
        await record_changes(ctx, record, changes, now)
        await settle_kept_place(ctx, record, now)
        await ctx.uow.commit()
    return record


async def record_attempt_of(cmd: RecordCallbackAttempt, ctx: Context) -> CallbackRecord:
    """How a call went: reached, no_answer, busy or wrong_number. The attempt's task ends either way."""
    require(ctx.actor, "callbacks.attempt")
    async with ctx.uow:
        record = await _load(ctx, cmd.callback_id, "callbacks.attempt")
        if ctx.actor.role == "agent":
            task = await ctx.uow.tasks.open_for_subject(record.id)
            agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if task is not None and (agent is None or task.agent_id != agent.id):
                raise Forbidden("agents record attempts only on callbacks assigned to them")
        now = ctx.clock.now()
        record.callback, changes = record_attempt(
            record.callback, cmd.result, now, cmd.note, retry_policy(ctx.settings)
        )
        record.updated_at = now
        if any(isinstance(c, care_events.CallbackRolledOver) for c in changes):
            record.place_since = None  # a new day is a new place in line
        await close_task(ctx, record.id, "completed", now=now)
        await ctx.uow.callbacks.save(record)
        await record_changes(ctx, record, changes, now)
        await settle_kept_place(ctx, record, now)
        await ctx.uow.commit()
    return record


async def take_callback_instead(cmd: TakeCallbackInstead, ctx: Context) -> CallbackRecord:
    """Keep your place: the waiting voice customer hangs up and is called back from the same place in line.

    The conversation stays ``queued``; its own task ends (``callback_taken``) and the callback's task
    takes its place at once, with the original ``enqueued_at``. When an agent accepts the callback, the
    conversation is assigned to that agent, who calls back and carries on with it."""
    require(ctx.actor, "callbacks.write")
    async with ctx.uow:
        conversation = await ctx.uow.conversations.get(cmd.conversation_id, with_messages=False)
        if conversation is None:
            raise NotFound("conversation", cmd.conversation_id)
        task = await ctx.uow.tasks.open_for_subject(conversation.id)
        now = ctx.clock.now()
        waiting = conversation.status == "queued" and task is not None and task.state != "assigned"
        since = task.enqueued_at if task is not None else conversation.created_at
        if task is None or not may_offer_callback(
            conversation.channel, since, now, ctx.settings.callback_offer_s, waiting
        ):
            raise CallbackNotOffered(
                f"a callback is offered only to a voice conversation waiting more than "
                f"{ctx.settings.callback_offer_s} s; conversation {conversation.id!r} is "
                f"{conversation.status} on {conversation.channel}",
                conversation_id=conversation.id,
            )
        customer = await ctx.uow.customers.get(conversation.customer_id)
        if customer is None:  # pragma: no cover - a conversation always has its customer
            raise NotFound("customer", conversation.customer_id)
        await check_site(ctx, "callbacks.write", "callback", customer.home_site)
        record = await new_callback(
            ctx,
            customer,
            reason=conversation.subject or "keep your place",
            window_start=now,
            window_end=now + timedelta(seconds=ctx.settings.keep_place_window_s),
            phone=cmd.phone,
            origin=CallbackOrigin.KEEP_PLACE,
            queue_id=conversation.queue,
            conversation_id=conversation.id,
            place_since=task.enqueued_at,
            now=now,
        )
        await close_task(ctx, conversation.id, "callback_taken", now=now)
        record.callback, changes = mark_due(record.callback, now)
        await open_callback_task(ctx, record, now)
        await ctx.uow.callbacks.save(record)
        await record_changes(ctx, record, changes, now)
        await ctx.audit("conversation.callback_taken", "conversation", conversation.id, callback_id=record.id)
        await ctx.uow.commit()
    return record


@dataclass(frozen=True, slots=True)
class ClaimDueCallbacks(Command[tuple[str, list[str]]]):
    """Lease the callbacks that are due now (the scheduler's first step); the result is the token and ids."""


@dataclass(frozen=True, slots=True)
class DeliverCallback(Command[bool]):
    """What the clock implies now for one claimed callback (the scheduler's second step)."""

    callback_id: str
    token: str
    worker: str


@dataclass(frozen=True, slots=True)
class StartCallbackAttempt(Command[None]):
    """An agent accepted a callback's task: the attempt starts (reaction to ``TaskAssigned``)."""

    callback_id: str
    agent_id: str
    at: datetime


async def claim_due(cmd: ClaimDueCallbacks, ctx: Context) -> tuple[str, list[str]]:
    settings = ctx.settings
    now = ctx.clock.now()
    token = new_id()
    async with ctx.uow:
        ids = await ctx.uow.callbacks.claim_due(
            now, now + timedelta(seconds=settings.scheduler_lease_s), token, settings.scheduler_batch
        )
        await ctx.uow.commit()
    return token, ids


async def deliver(cmd: DeliverCallback, ctx: Context) -> bool:
    """The scheduler's step for one claimed callback: what its clock implies now. True when it changed.

    Becoming due opens the callback's task; a window that ends while due closes it. The save is
    version-checked, so if another scheduler already acted on this callback nothing is delivered twice."""
    callback_id, token, worker = cmd.callback_id, cmd.token, cmd.worker
    async with ctx.uow:
        record = await ctx.uow.callbacks.get(callback_id)
        if (
            record is None
            or record.callback.state in (CallbackState.IN_PROGRESS,)
            or record.callback.terminal
        ):
            await ctx.uow.callbacks.release(callback_id, token)
            await ctx.uow.commit()
            return False
        now = ctx.clock.now()
        before = record.callback.state
        record.callback, changes = tick(record.callback, now, retry_policy(ctx.settings))
        if not changes:
            await ctx.uow.callbacks.release(callback_id, token)
            await ctx.uow.commit()
            return False
        record.updated_at = now
        if before is CallbackState.DUE:  # the window ended with nobody calling: withdraw the old task
            await close_task(ctx, record.id, "window_missed", now=now)
        if any(isinstance(c, care_events.CallbackRolledOver) for c in changes):
            record.place_since = None  # a new day is a new place in line
        if record.callback.state is CallbackState.DUE:
            await open_callback_task(ctx, record, now)
        await ctx.uow.callbacks.save(record)
        await record_changes(ctx, record, changes, now, worker=worker)
        await settle_kept_place(ctx, record, now)
        await ctx.uow.commit()
    return True


def on_task_assigned(event: events.TaskAssigned) -> StartCallbackAttempt | None:
    if event.kind != "callback":
        return None
    return StartCallbackAttempt(event.subject_id, event.agent_id, event.at)


async def start_callback_attempt(cmd: StartCallbackAttempt, ctx: Context) -> None:
    """The attempt starts, and a kept place's conversation becomes the agent's."""
    async with ctx.uow:
        record = await ctx.uow.callbacks.get(cmd.callback_id)
        if record is None or record.callback.state is not CallbackState.DUE:
            return
        record.callback, changes = start_attempt(record.callback, cmd.at)
        record.updated_at = cmd.at
        await ctx.uow.callbacks.save(record)
        await record_changes(ctx, record, changes, cmd.at, agent_id=cmd.agent_id)
        if record.conversation_id is not None:
            conversation = await ctx.uow.conversations.get(record.conversation_id, with_messages=False)
            if conversation is not None and conversation.status == "queued":
                conversation.assign(cmd.agent_id, cmd.at)
                await ctx.uow.conversations.save(conversation)
                await ctx.audit(
                    "conversation.assigned", "conversation", conversation.id, agent_id=cmd.agent_id
                )
                ctx.uow.emit(events.ConversationAssigned(conversation.id, cmd.agent_id, cmd.at))
        await ctx.uow.commit()


async def get_callback(callback_id: str, ctx: Context) -> CallbackRecord:
    require(ctx.actor, "callbacks.read")
    async with ctx.uow:
        return await _load(ctx, callback_id, "callbacks.read")


async def list_callbacks(
    after: str | None, limit: int, ctx: Context, state: str | None = None, customer_id: str | None = None
) -> Page[CallbackRecord]:
    require(ctx.actor, "callbacks.read")
    if state is not None and state not in {s.value for s in CallbackState}:
        raise InvalidInput(f"unknown status {state!r}", field="status")
    async with ctx.uow:
        bases = await bases_of(ctx, "callbacks.read")
        rows = await ctx.uow.callbacks.page(
            after, limit + 1, state=state, customer_id=customer_id, bases=bases
        )
    return page_of(rows, limit)
