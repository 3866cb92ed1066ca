"""The router: this process's routing engine, fed by committed events and persisted after every decision.

The engine (``kefu.routing``) is pure and in memory; the router gives it durability. Every change it is told
about was committed first (``TaskOpened``, ``TaskClosed``, presence and queue changes), and every decision it
makes (offers, expiries, assignments, agents set away) is written back in one transaction before the
events leave the process. On start the engine is rebuilt from the database, so a crash loses nothing.

One lock serialises the engine and its writes; routing decisions take microseconds, so the lock is held only
for the database round trip of what was decided.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from kefu.domain import events as ev
from kefu.domain.agents import Agent
from kefu.domain.errors import Conflict, Forbidden, KefuError, NotFound
from kefu.domain.events import Event
from kefu.domain.ids import new_id
from kefu.domain.queues import Queue
from kefu.domain.tasks import Offer, OfferStatus
from kefu.domain.users import SYSTEM_ACTOR, Actor
from kefu.routing import (
    AgentSetAway,
    AgentSpec,
    EngineConfig,
    EscalationStep,
    OfferAccepted,
    OfferAcceptedError,
    OfferCreated,
    OfferDeclined,
    OfferDeclinedError,
    OfferExpired,
    OfferExpiredError,
    OfferRescinded,
    OfferRescindedError,
    Presence,
    QueueSpec,
    RoutingEngine,
    RoutingEvent,
    SiteScope,
    TaskCompleted,
    TaskRemoved,
    TaskRequeued,
    TaskSpec,
    UnknownRoutingId,
)
from kefu.services.authz import allowed
from kefu.services.context import Context
from kefu.services.messagebus import MessageBus
from kefu.services.ports import UnitOfWork

log = structlog.get_logger("kefu.router")

_DECIDED: dict[type[RoutingEvent], OfferStatus] = {
    OfferDeclined: "declined",
    OfferExpired: "expired",
    OfferRescinded: "rescinded",
}


def _ts(when: datetime) -> float:
    return when.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def queue_spec(queue: Queue) -> QueueSpec:
    return QueueSpec(
        queue_id=queue.id,
        skills=dict(queue.skills),
        priority=queue.priority,
        escalation=tuple(
            EscalationStep(float(s.after_s), dict(s.skills), SiteScope(s.sites)) for s in queue.escalation
        ),
    )


def agent_spec(agent: Agent) -> AgentSpec:
    return AgentSpec(agent.id, agent.site, dict(agent.skills), dict(agent.capacity), Presence(agent.presence))


@dataclass(frozen=True, slots=True)
class OfferCard:
    """What an agent sees of a pending offer."""

    id: str
    task: str
    kind: str
    conversation_id: str | None
    subject_id: str
    queue: str
    channel: str
    care: bool
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    waiting: int
    longest_wait_s: float
    agents: dict[str, dict[str, int]]
    service_level_pct: float | None
    answered: int
    abandoned: int
    today: dict[str, float | int | None]
    target_pct: float
    answer_within_s: int


class Router:
    def __init__(self, bus: MessageBus, config: EngineConfig) -> None:
        self.bus = bus
        self.config = config
        self.engine = RoutingEngine(config, id_factory=new_id)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._ticker: asyncio.Task[None] | None = None
        self._subjects: dict[str, tuple[str, str]] = {}  # task id -> (kind, subject id)
        for event_type, handler in (
            (ev.TaskOpened, self._on_task_opened),
            (ev.TaskClosed, self._on_task_closed),
            (ev.AgentCreated, self._on_agent_changed),
            (ev.AgentUpdated, self._on_agent_changed),
            (ev.AgentPresenceChanged, self._on_agent_changed),
            (ev.QueueChanged, self._on_queue_changed),
        ):
            bus.subscribe(event_type, handler)  # type: ignore[arg-type]

    # == lifecycle =================================================================================
    async def start(self) -> None:
        await self.rebuild()
        self._ticker = asyncio.create_task(self._tick_forever(), name="kefu-router-ticker")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    async def rebuild(self) -> None:
        """Forget the in-memory engine and rebuild it from the database, then route what is due."""
        async with self._lock:
            engine = RoutingEngine(self.config, id_factory=new_id)
            now = self.bus.clock.now()
            subjects: dict[str, tuple[str, str]] = {}
            async with self.bus.uow_factory() as uow:
                for queue in await uow.queues.list():
                    engine.set_queue(queue_spec(queue), _ts(now))
                after: str | None = None
                while page := await uow.agents.page(after, 1000):
                    for agent in page:
                        engine.restore_agent(agent_spec(agent), _ts(now))
                    after = page[-1].id
                live = await uow.tasks.live()
                pending = {o.task_id: o for o in await uow.offers.pending()}
            for task in live:
                subjects[task.id] = (task.kind, task.subject_id)
                spec = TaskSpec(
                    task.id,
                    task.queue_id,
                    task.channel,
                    _ts(task.enqueued_at),
                    task.priority,
                    task.care,
                    task.home_site,
                )
                engine.restore_task(spec, _ts(now))
                try:
                    if task.state == "assigned" and task.agent_id:
                        engine.restore_assignment(task.id, task.agent_id)
                    elif task.state == "offered" and task.id in pending:
                        o = pending[task.id]
                        engine.restore_offer(o.id, task.id, o.agent_id, _ts(o.created_at), _ts(o.expires_at))
                except KefuError:
                    # An agent deleted or renamed since: the task simply waits again.
                    log.warning("could not restore routing state", task_id=task.id)
            self.engine = engine
            self._subjects = subjects
            decided = await self._persist(engine.rebalance(_ts(now)))
        await self.bus.dispatch(decided)
        self._wake.set()
        log.info("routing engine rebuilt", tasks=len(live), pending_offers=len(pending))

    async def _tick_forever(self) -> None:
        while True:
            deadline = self.engine.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - _ts(self.bus.clock.now()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(timeout, 5.0) if timeout else 5.0)
            try:
                await self.tick()
            except Exception:
                log.exception("routing tick failed; rebuilding from the database")
                with contextlib.suppress(Exception):
                    await self.rebuild()

    async def tick(self) -> None:
        """Process offer expiries, wrap-up ends and escalations that are due."""
        await self._run(self.engine.tick)

    # == reactions to committed changes ============================================================
    async def _on_task_opened(self, event: ev.TaskOpened) -> None:
        self._subjects[event.task_id] = (event.kind, event.subject_id)
        spec = TaskSpec(
            event.task_id,
            event.queue_id,
            event.channel,
            _ts(event.enqueued_at),
            event.priority,
            event.care,
            event.home_site,
        )
        await self._run(lambda now: self.engine.add_task(spec, now))

    async def _on_task_closed(self, event: ev.TaskClosed) -> None:
        def close(now: float) -> list[RoutingEvent]:
            try:
                view = self.engine.task(event.task_id)
            except UnknownRoutingId:
                return []
            if view.state == "assigned":
                return self.engine.complete(event.task_id, now)
            return self.engine.remove_task(event.task_id, now, reason=event.reason)

        await self._run(close)
        self._subjects.pop(event.task_id, None)

    async def _on_agent_changed(self, event: ev.Event) -> None:
        agent_id = str(event.payload()["agent_id"])
        async with self.bus.uow_factory() as uow:
            agent = await uow.agents.get(agent_id)
        if agent is None:
            return
        spec = agent_spec(agent)

        def change(now: float) -> list[RoutingEvent]:
            try:
                self.engine.agent(agent_id)
            except UnknownRoutingId:
                return self.engine.add_agent(spec, now)
            return self.engine.update_agent(spec, now)

        await self._run(change)

    async def _on_queue_changed(self, event: ev.QueueChanged) -> None:
        async with self.bus.uow_factory() as uow:
            queue = await uow.queues.get(event.queue_id)
        if queue is not None:
            spec = queue_spec(queue)
            await self._run(lambda now: self.engine.set_queue(spec, now))

    # == agents' answers ============================================================================
    async def _offer_for_actor(self, offer_id: str, actor: Actor) -> Offer:
        async with self.bus.uow_factory() as uow:
            offer = await uow.offers.get(offer_id)
            agent = None if offer is None else await uow.agents.get(offer.agent_id)
        if offer is None or agent is None:
            raise NotFound("offer", offer_id)
        if agent.user_id != actor.user_id and not allowed(actor, "offers.read_any"):
            raise Forbidden("this offer was made to another agent")
        if offer.status != "pending":
            errors = {"accepted": "offer_accepted", "declined": "offer_declined", "expired": "offer_expired"}
            raise _conflict(errors.get(offer.status, "offer_rescinded"), offer_id, offer.status)
        return offer

    async def accept(self, offer_id: str, actor: Actor) -> str:
        """Accept an offer; returns the task's subject id (e.g. the conversation now assigned)."""
        offer = await self._offer_for_actor(offer_id, actor)
        await self._run(lambda now: self.engine.accept(offer_id, now), actor=actor)
        return self._subject_of(offer.task_id)

    async def decline(self, offer_id: str, actor: Actor) -> None:
        await self._offer_for_actor(offer_id, actor)
        await self._run(lambda now: self.engine.decline(offer_id, now), actor=actor)

    def _subject_of(self, task_id: str) -> str:
        return self._subjects.get(task_id, ("", task_id))[1]

    async def offers(self, agent_id: str, ctx: Context) -> list[OfferCard]:
        async with ctx.uow:
            agent = await ctx.uow.agents.get(agent_id)
        if agent is None:
            raise NotFound("agent", agent_id)
        if agent.user_id != ctx.actor.user_id and not allowed(ctx.actor, "offers.read_any"):
            raise Forbidden("agents may read only their own offers")
        try:
            views = self.engine.offers_for(agent_id)
        except UnknownRoutingId:
            return []
        cards = []
        for o in views:
            task = self.engine.task(o.task_id)
            kind, subject = self._subjects.get(o.task_id, ("conversation", o.task_id))
            cards.append(
                OfferCard(
                    id=o.offer_id,
                    task=o.task_id,
                    kind=kind,
                    conversation_id=subject if kind == "conversation" else None,
                    subject_id=subject,
                    queue=task.queue_id,
                    channel=o.channel,
                    care=task.vulnerable,
                    created_at=_dt(o.created_at),
                    expires_at=_dt(o.expires_at),
                )
            )
        return cards

    # == stats ======================================================================================
    async def stats(self, queue_id: str, ctx: Context) -> QueueStats:
        now = ctx.clock.now()
        async with ctx.uow:
            queue = await ctx.uow.queues.get(queue_id)
            if queue is None:
                raise NotFound("queue", queue_id)
            sl = queue.service_level
            recent = await ctx.uow.tasks.service_counts(
                queue_id, now - timedelta(minutes=15), sl.answer_within_s
            )
            local = now.astimezone(ZoneInfo(ctx.settings.local_timezone))
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
            today = await ctx.uow.tasks.service_counts(queue_id, midnight, sl.answer_within_s)
        try:
            figures = self.engine.queue_figures(queue_id, _ts(now))
            waiting, longest, agents = figures.waiting, figures.longest_wait_s, figures.agents
        except UnknownRoutingId:
            waiting, longest, agents = 0, 0.0, {}
        return QueueStats(
            queue=queue_id,
            waiting=waiting,
            longest_wait_s=round(longest, 1),
            agents={site: dict(counts) for site, counts in agents.items()},
            service_level_pct=_sl(recent),
            answered=recent["answered"],
            abandoned=recent["abandoned"],
            today={
                "service_level_pct": _sl(today),
                "answered": today["answered"],
                "abandoned": today["abandoned"],
            },
            target_pct=sl.target_pct,
            answer_within_s=sl.answer_within_s,
        )

    # == the one place the engine changes ===========================================================
    async def _run(self, change: Callable[[float], list[RoutingEvent]], actor: Actor = SYSTEM_ACTOR) -> None:
        async with self._lock:
            now = _ts(self.bus.clock.now())
            decided = change(now)
            try:
                out = await self._persist(decided, actor)
            except Exception:
                failed = True
            else:
                failed = False
        if failed:
            # The engine moved on but its decision was not saved (e.g. a row changed under it): rebuild from
            # the database, which is the truth, and let the caller retry.
            log.warning("routing decision not saved; rebuilding the engine", events=[e.name for e in decided])
            await self.rebuild()
            raise Conflict("routing state changed at the same moment; retry")
        self._wake.set()
        await self.bus.dispatch(out)

    async def _persist(self, decided: Sequence[RoutingEvent], actor: Actor = SYSTEM_ACTOR) -> list[Event]:
        """Write what the engine decided in one transaction; return the events to publish after it."""
        if not decided:
            return []
        out: list[Event] = list(decided)
        ctx = self.bus.context(actor)
        async with ctx.uow:
            for e in decided:
                await self._persist_one(ctx, ctx.uow, e, out)
            await ctx.uow.commit()
        return out

    async def _persist_one(self, ctx: Context, uow: UnitOfWork, e: RoutingEvent, out: list[Event]) -> None:
        if isinstance(e, OfferCreated):
            await uow.offers.add(Offer(e.offer_id, e.task_id, e.agent_id, _dt(e.at), _dt(e.expires_at)))
            await self._set_task(uow, e.task_id, state="offered")
        elif type(e) in _DECIDED:
            await uow.offers.decide(e.offer_id, _DECIDED[type(e)], _dt(e.at))  # type: ignore[attr-defined]
        elif isinstance(e, TaskRequeued):
            await self._set_task(uow, e.task_id, state="waiting")
        elif isinstance(e, OfferAccepted):
            await uow.offers.decide(e.offer_id, "accepted", _dt(e.at))
            await self._assign(ctx, uow, e, out)
        elif isinstance(e, TaskCompleted | TaskRemoved):
            task = await uow.tasks.get(e.task_id)
            if task is not None and task.state != "ended":
                task.state, task.ended_at = "ended", _dt(e.at)
                task.end_reason = "completed" if isinstance(e, TaskCompleted) else e.reason
                await uow.tasks.save(task)
        elif isinstance(e, AgentSetAway):
            agent = await uow.agents.get(e.agent_id)
            if agent is not None and agent.presence != "away":
                agent.presence, agent.presence_since = "away", _dt(e.at)
                await uow.agents.save(agent)
                await ctx.audit("agent.set_away", "agent", agent.id, missed_offers=e.missed_offers)

    async def _set_task(self, uow: UnitOfWork, task_id: str, state: str) -> None:
        task = await uow.tasks.get(task_id)
        if task is not None and task.state not in {"ended", "assigned"}:
            task.state = state  # type: ignore[assignment]
            await uow.tasks.save(task)

    async def _assign(self, ctx: Context, uow: UnitOfWork, e: OfferAccepted, out: list[Event]) -> None:
        task = await uow.tasks.get(e.task_id)
        if task is None:
            return
        at = _dt(e.at)
        task.state, task.agent_id, task.assigned_at = "assigned", e.agent_id, at
        task.wait_s = (at - task.enqueued_at).total_seconds()
        await uow.tasks.save(task)
        out.append(ev.TaskAssigned(task.id, task.kind, task.subject_id, e.agent_id, at))
        if task.kind == "conversation":
            conversation = await uow.conversations.get(task.subject_id, with_messages=False)
            if conversation is not None and conversation.status == "queued":
                conversation.assign(e.agent_id, at)
                await uow.conversations.save(conversation)
                await ctx.audit("conversation.assigned", "conversation", conversation.id, agent_id=e.agent_id)
                out.append(ev.ConversationAssigned(conversation.id, e.agent_id, at))


def _sl(counts: dict[str, int]) -> float | None:
    """Share answered within target among those answered or abandoned (abandons count against it)."""
    offered = counts["answered"] + counts["abandoned"]
    return None if offered == 0 else round(100.0 * counts["in_target"] / offered, 1)


def _conflict(code: str, offer_id: str, status: str) -> KefuError:
    kinds: dict[str, type[KefuError]] = {
        "offer_accepted": OfferAcceptedError,
        "offer_declined": OfferDeclinedError,
        "offer_expired": OfferExpiredError,
        "offer_rescinded": OfferRescindedError,
    }
    return kinds[code](f"offer {offer_id!r} is no longer pending: {status}", offer_id=offer_id)
