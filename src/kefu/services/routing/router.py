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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from kefu.care.keep_place import may_offer_callback
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.agents import Agent
from kefu.domain.commands import AcceptOffer, Command, DeclineOffer
from kefu.domain.errors import Conflict, Forbidden, KefuError, NotFound
from kefu.domain.ids import new_id
from kefu.domain.queues import Queue
from kefu.domain.tasks import Offer, OfferStatus
from kefu.domain.users import SYSTEM_ACTOR
from kefu.routing import (
    CHANNELS,
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
    QueuePositionChanged,
    QueueSpec,
    RoutingEngine,
    RoutingEvent,
    SiteScope,
    Strategy,
    TaskCompleted,
    TaskRemoved,
    TaskRequeued,
    TaskSpec,
    UnknownRoutingId,
)
from kefu.routing.errors import NotQueuedError
from kefu.routing.estimate import HandleTimes, estimate_wait_s
from kefu.routing.lease import Fence, LeaseLost
from kefu.services.authz import allowed, require
from kefu.services.context import Context
from kefu.services.messagebus import MessageBus
from kefu.services.ports import UnitOfWork
from kefu.services.routing.lease import AcquireRouterLease, ReleaseRouterLease, acquire_lease, release_lease

log = structlog.get_logger("kefu.router")

POSITIONS_PUSHED = 20  # queue.position_changed is sent for the first this many places of each queue
# Finding the first places walks the queue's waiting tasks; past this backlog customers poll ``/queue``.
POSITIONS_MAX_WAITING = 5_000

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


def engine_config(settings: Settings) -> EngineConfig:
    """The engine's policy from the settings (``KEFU_OFFER_TIMEOUT_S`` and its neighbours)."""
    return EngineConfig(
        offer_timeout_s=settings.offer_timeout_s,
        max_missed_offers=settings.max_missed_offers,
        decline_cooldown_s=settings.decline_cooldown_s,
        wrap_up_s=settings.wrap_up_s,
        wrap_up_extend_s=settings.wrap_up_extend_s,
        strategy=Strategy(settings.routing_strategy),
    )


def home_first_s(
    kind: str, care: bool, care_home_s: float, by_class: Mapping[str, int] | None = None
) -> float | None:
    """How long a task stays at its customer's home site before any site may take it: as its queue sets
    for the task's priority class (``by_class``), else case tasks not at all, elderly and vulnerable
    customers ``care_home_s``, everyone else as the queue's escalation steps say."""
    klass = "case" if kind == "case" else "care" if care else "other"
    if by_class is not None and klass in by_class:
        return float(by_class[klass])
    if klass == "case":
        return 0.0
    return care_home_s if klass == "care" else None


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
class QueuePlace:
    """A waiting customer's place in line and expected wait (see ``kefu.routing.estimate``)."""

    conversation_id: str
    queue: str
    state: str
    position: int | None
    ahead: int | None
    estimated_wait_s: int | None
    waited_s: int
    callback_offered: bool
    callback_offered_after_s: int | None


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    waiting: int
    longest_wait_s: float
    agents: dict[str, dict[str, int]]
    service_level_pct: float | None
    answered: int
    abandoned: int
    transferred: int
    today: dict[str, float | int | None]
    target_pct: float
    answer_within_s: int
    transferred_in: int = 0  # of answered: contacts another queue answered first and transferred here
    # The store's counts (last 15 minutes, today) that centre-wide figures are summed from.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RebuildRouting(Command[None]):
    """Forget the in-memory engine, rebuild it from the database and route what is due."""


@dataclass(frozen=True, slots=True)
class TickRouting(Command[None]):
    """Process the offer expiries, wrap-up ends and escalations that are due."""


@dataclass(frozen=True, slots=True)
class RouteTask(Command[None]):
    """A committed task joins the engine (the reaction to ``TaskOpened``)."""

    task_id: str
    kind: str
    subject_id: str
    queue_id: str
    channel: str
    enqueued_at: datetime
    priority: int
    care: bool
    home_site: str | None
    preferred_agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class EndRoutingTask(Command[None]):
    """A task ended elsewhere (conversation resolved, callback taken): its offers go, its agent is freed."""

    task_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class AssignRoutingTask(Command[None]):
    """A task was assigned by hand (the reaction to ``TaskAssigned``): the engine counts it against the
    agent's capacity; an assignment the engine made itself is already known and changes nothing."""

    task_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class EndWrapUp(Command[dict[str, datetime]]):
    """The agent is ready: their wrap-up ends now (the agent themself, or a supervisor)."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class ExtendWrapUp(Command[dict[str, datetime]]):
    """The agent needs more time: their running wrap-up is extended once, by at most the configured bound."""

    agent_id: str
    seconds: float


@dataclass(frozen=True, slots=True)
class SyncAgent(Command[None]):
    """The engine takes the agent's saved skills, capacity and presence."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class SyncQueue(Command[None]):
    """The engine takes the queue's saved skills, priority and escalation."""

    queue_id: str


Change = Callable[[float], list[RoutingEvent]]


def react(bus: MessageBus) -> None:
    """Turn the committed events the engine follows into routing commands, wherever the engine runs (a
    ``Router`` in this process, or ``RemoteRouting`` that sends them to the partition's router)."""

    async def task_opened(e: ev.TaskOpened) -> None:
        cmd = RouteTask(
            e.task_id,
            e.kind,
            e.subject_id,
            e.queue_id,
            e.channel,
            e.enqueued_at,
            e.priority,
            e.care,
            e.home_site,
            e.preferred_agent_id,
        )
        await bus.handle(cmd, SYSTEM_ACTOR)

    async def task_assigned(e: ev.TaskAssigned) -> None:
        await bus.handle(AssignRoutingTask(e.task_id, e.agent_id), SYSTEM_ACTOR)

    async def task_closed(e: ev.TaskClosed) -> None:
        await bus.handle(EndRoutingTask(e.task_id, e.reason), SYSTEM_ACTOR)

    async def agent_changed(e: ev.AgentCreated | ev.AgentUpdated | ev.AgentPresenceChanged) -> None:
        await bus.handle(SyncAgent(e.agent_id), SYSTEM_ACTOR)

    async def queue_changed(e: ev.QueueChanged) -> None:
        await bus.handle(SyncQueue(e.queue_id), SYSTEM_ACTOR)

    bus.subscribe(ev.TaskOpened, task_opened)
    bus.subscribe(ev.TaskAssigned, task_assigned)
    bus.subscribe(ev.TaskClosed, task_closed)
    bus.subscribe(ev.AgentCreated, agent_changed)
    bus.subscribe(ev.AgentUpdated, agent_changed)
    bus.subscribe(ev.AgentPresenceChanged, agent_changed)
    bus.subscribe(ev.QueueChanged, queue_changed)


class Router:
    """This process's routing engine. Its state changes only inside command handlers (``apply``)."""

    def __init__(
        self,
        bus: MessageBus,
        config: EngineConfig,
        care_home_s: float = 10.0,
        *,
        owns: Callable[[str], bool] | None = None,
    ) -> None:
        self.bus = bus
        # Whether a queue is in this router's partition (None: every queue, the embedded default).
        self._owns = owns
        # Set while this router holds its partition's lease (``kefu router``); every write checks it.
        self.fence: Fence | None = None
        self.leased = (
            False  # run under a lease (``RouterNode``): without a fence it stands by, writing nothing
        )
        self.config = config
        self.care_home_s = care_home_s
        self._home_first: dict[str, dict[str, int]] = {}  # queue id -> its home-site-first times by class
        self.handle_times = HandleTimes()
        self._positions: dict[str, int] = {}  # conversation task -> the place last pushed
        self.engine = RoutingEngine(config, id_factory=new_id)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._ticker: asyncio.Task[None] | None = None
        self._stale = False  # a decision was not saved: rebuild before the next change
        self._subjects: dict[str, tuple[str, str]] = {}  # task id -> (kind, subject id)
        self.register(bus)

    def register(self, bus: MessageBus) -> None:
        """Put the routing commands on the bus and turn the events it reacts to into commands."""
        bus.register(RebuildRouting, self._handle_rebuild)
        bus.register(TickRouting, lambda cmd, ctx: self.apply(ctx, self.engine_tick))
        bus.register(RouteTask, self._handle_route_task)
        bus.register(EndRoutingTask, self._handle_end_task)
        bus.register(AssignRoutingTask, self._handle_assign_task)
        bus.register(EndWrapUp, self._handle_end_wrap_up)
        bus.register(ExtendWrapUp, self._handle_extend_wrap_up)
        bus.register(SyncAgent, self._handle_sync_agent)
        bus.register(SyncQueue, self._handle_sync_queue)
        bus.register(AcceptOffer, self._handle_accept)
        bus.register(DeclineOffer, self._handle_decline)
        bus.register(AcquireRouterLease, acquire_lease)
        bus.register(ReleaseRouterLease, release_lease)

        react(bus)

    # == lifecycle =================================================================================
    async def start(self) -> None:
        await self.bus.handle(RebuildRouting(), SYSTEM_ACTOR)
        self._ticker = asyncio.create_task(self._tick_forever(), name="kefu-router-ticker")

    async def stop(self) -> None:
        """Stop ticking; a tick under way finishes first (its write is saved or refused, never cut short)."""
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(ticker), timeout=5.0)
            except TimeoutError:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker

    async def rebuild(self) -> None:
        await self.bus.handle(RebuildRouting(), SYSTEM_ACTOR)

    async def _handle_rebuild(self, cmd: RebuildRouting, ctx: Context) -> None:
        async with self._lock:
            try:
                async with ctx.uow:
                    decided = await self._rebuild(ctx.uow)
                    await self._persist(ctx, decided)
                    await self._fenced(ctx.uow)
                    await ctx.uow.commit()
            except Exception:
                self._stale = True
                raise
        self._wake.set()

    async def _rebuild(self, uow: UnitOfWork) -> list[RoutingEvent]:
        """Replace the engine with one rebuilt from the database (read in ``uow``); return its decisions."""
        engine = RoutingEngine(self.config, id_factory=new_id)
        now = self.bus.clock.now()
        subjects: dict[str, tuple[str, str]] = {}
        for queue in await uow.queues.list():
            if not self.routes(queue.id):
                continue
            engine.set_queue(queue_spec(queue), _ts(now))
            self._home_first[queue.id] = dict(queue.home_first_s)
        after: str | None = None
        while page := await uow.agents.page(after, 1000):
            for agent in page:
                engine.restore_agent(agent_spec(agent), _ts(now))
            after = page[-1].id
        live = await uow.tasks.live()
        pending = {o.task_id: o for o in await uow.offers.pending()}
        live = [t for t in live if self.routes(t.queue_id)]
        live_ids = {t.id for t in live}
        pending = {k: o for k, o in pending.items() if k in live_ids}
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
                home_first_s(task.kind, task.care, self.care_home_s, self._home_first.get(task.queue_id)),
                task.preferred_agent_id or await self._preferred(uow, task.kind, task.subject_id),
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
        self._stale = False
        log.info("routing engine rebuilt", tasks=len(live), pending_offers=len(pending))
        return engine.rebalance(_ts(now))

    async def _tick_forever(self) -> None:
        me = asyncio.current_task()
        while self._ticker is me:
            deadline = self.engine.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - _ts(self.bus.clock.now()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(timeout, 5.0) if timeout else 5.0)
            if self._ticker is not me:
                return
            try:
                await self.tick()
            except Exception:
                log.exception("routing tick failed; the engine is rebuilt before the next change")

    async def tick(self) -> None:
        """Process offer expiries, wrap-up ends and escalations that are due."""
        await self.bus.handle(TickRouting(), SYSTEM_ACTOR)

    def engine_tick(self, now: float) -> list[RoutingEvent]:
        # Looked up when the change runs, under the lock: ``apply`` may first replace a stale engine.
        return self.engine.tick(now)

    # == the routing commands ======================================================================
    @staticmethod
    async def _preferred(uow: UnitOfWork, kind: str, subject_id: str) -> str | None:
        """The agent a task goes to first when free: for a case contacted again, its specialist."""
        if kind != "case":
            return None
        case = await uow.cases.get(subject_id, with_history=False)
        return None if case is None else case.agent_id

    async def _handle_route_task(self, cmd: RouteTask, ctx: Context) -> None:
        if not self.routes(cmd.queue_id) or self.knows(cmd.task_id):
            return  # another partition's, or known already (a rebuild read it, a command came twice)
        self._subjects[cmd.task_id] = (cmd.kind, cmd.subject_id)
        preferred = cmd.preferred_agent_id
        if preferred is None:
            async with ctx.uow:
                preferred = await self._preferred(ctx.uow, cmd.kind, cmd.subject_id)
        spec = TaskSpec(
            cmd.task_id,
            cmd.queue_id,
            cmd.channel,
            _ts(cmd.enqueued_at),
            cmd.priority,
            cmd.care,
            cmd.home_site,
            home_first_s(cmd.kind, cmd.care, self.care_home_s, self._home_first.get(cmd.queue_id)),
            preferred,
        )
        await self.apply(ctx, lambda now: self.engine.add_task(spec, now))

    async def _handle_end_task(self, cmd: EndRoutingTask, ctx: Context) -> None:
        def close(now: float) -> list[RoutingEvent]:
            try:
                view = self.engine.task(cmd.task_id)
            except UnknownRoutingId:
                return []
            if view.state == "assigned":
                return self.engine.complete(cmd.task_id, now)
            return self.engine.remove_task(cmd.task_id, now, reason=cmd.reason)

        await self.apply(ctx, close)
        self._subjects.pop(cmd.task_id, None)

    async def _handle_assign_task(self, cmd: AssignRoutingTask, ctx: Context) -> None:
        with contextlib.suppress(UnknownRoutingId):
            view = self.engine.task(cmd.task_id)
            if view.state == "assigned" and view.agent_id == cmd.agent_id:
                return  # the engine's own assignment (an accepted offer)

        def assign(now: float) -> list[RoutingEvent]:
            try:
                return self.engine.assign(cmd.task_id, cmd.agent_id, now)
            except UnknownRoutingId:
                return []  # the task or agent is gone: nothing to count

        await self.apply(ctx, assign)

    async def _own_agent(self, agent_id: str, ctx: Context) -> None:
        async with ctx.uow:
            agent = await ctx.uow.agents.get(agent_id)
        if agent is None:
            raise NotFound("agent", agent_id)
        if agent.user_id != ctx.actor.user_id and not allowed(ctx.actor, "agents.presence_any"):
            raise Forbidden("agents may change only their own wrap-up")

    async def wrap_up_until(self, agent_id: str, ctx: Context) -> dict[str, datetime]:
        """``wrap_up`` as the API asks it (``RoutingView``), the same for a router in another process."""
        del ctx
        return self.wrap_up(agent_id)

    def wrap_up(self, agent_id: str) -> dict[str, datetime]:
        """When each of the agent's running wrap-ups ends (channel → time); empty when none."""
        try:
            view = self.engine.agent(agent_id)
        except UnknownRoutingId:
            return {}
        return {channel: _dt(until) for channel, until in sorted(view.wrap_up_until.items())}

    async def _handle_end_wrap_up(self, cmd: EndWrapUp, ctx: Context) -> dict[str, datetime]:
        await self._own_agent(cmd.agent_id, ctx)
        await self.apply(ctx, lambda now: self.engine.end_wrap_up(cmd.agent_id, now))
        return self.wrap_up(cmd.agent_id)

    async def _handle_extend_wrap_up(self, cmd: ExtendWrapUp, ctx: Context) -> dict[str, datetime]:
        await self._own_agent(cmd.agent_id, ctx)
        await self.apply(ctx, lambda now: self.engine.extend_wrap_up(cmd.agent_id, cmd.seconds, now))
        return self.wrap_up(cmd.agent_id)

    async def _handle_sync_agent(self, cmd: SyncAgent, ctx: Context) -> None:
        async with ctx.uow:
            agent = await ctx.uow.agents.get(cmd.agent_id)
        if agent is None:
            return
        spec = agent_spec(agent)

        def change(now: float) -> list[RoutingEvent]:
            try:
                self.engine.agent(cmd.agent_id)
            except UnknownRoutingId:
                return self.engine.add_agent(spec, now)
            return self.engine.update_agent(spec, now)

        await self.apply(ctx, change)

    async def _handle_sync_queue(self, cmd: SyncQueue, ctx: Context) -> None:
        async with ctx.uow:
            queue = await ctx.uow.queues.get(cmd.queue_id)
        if queue is not None and self.routes(queue.id):
            self._home_first[queue.id] = dict(queue.home_first_s)
            spec = queue_spec(queue)
            await self.apply(ctx, lambda now: self.engine.set_queue(spec, now))

    # == agents' answers ============================================================================
    async def _offer_for_actor(self, offer_id: str, ctx: Context) -> Offer:
        async with ctx.uow:
            offer = await ctx.uow.offers.get(offer_id)
            agent = None if offer is None else await ctx.uow.agents.get(offer.agent_id)
        if offer is None or agent is None:
            raise NotFound("offer", offer_id)
        if agent.user_id != ctx.actor.user_id and not allowed(ctx.actor, "offers.read_any"):
            raise Forbidden("this offer was made to another agent")
        if offer.status != "pending":
            errors = {"accepted": "offer_accepted", "declined": "offer_declined", "expired": "offer_expired"}
            raise _conflict(errors.get(offer.status, "offer_rescinded"), offer_id, offer.status)
        return offer

    async def _handle_accept(self, cmd: AcceptOffer, ctx: Context) -> str:
        """Accept an offer; returns the task's subject id (e.g. the conversation now assigned)."""
        offer = await self._offer_for_actor(cmd.offer_id, ctx)
        await self.apply(ctx, lambda now: self.engine.accept(cmd.offer_id, now))
        return self._subject_of(offer.task_id)

    async def _handle_decline(self, cmd: DeclineOffer, ctx: Context) -> None:
        await self._offer_for_actor(cmd.offer_id, ctx)
        await self.apply(ctx, lambda now: self.engine.decline(cmd.offer_id, now))

    def known_tasks(self) -> set[str]:
        """The tasks the engine holds (waiting, offered or assigned)."""
        return set(self._subjects)

    def knows(self, task_id: str) -> bool:
        try:
            self.engine.task(task_id)
        except UnknownRoutingId:
            return False
        return True

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

    # == the customer's place =======================================================================
    async def place(self, conversation_id: str, ctx: Context) -> QueuePlace:
        """Where a queued conversation stands: position, tasks ahead, expected wait, callback offer."""
        require(ctx.actor, "conversations.read")
        async with ctx.uow:
            conversation = await ctx.uow.conversations.get(conversation_id, with_messages=False)
            if conversation is None:
                raise NotFound("conversation", conversation_id)
            task = await ctx.uow.tasks.open_for_subject(conversation.id)
        if conversation.status != "queued" or task is None or task.state == "assigned":
            raise NotQueuedError(
                f"conversation {conversation_id!r} is {conversation.status}, not waiting in a queue",
                conversation_id=conversation_id,
            )
        now = ctx.clock.now()
        waited = max(0.0, (now - task.enqueued_at).total_seconds())
        try:
            view = self.engine.place(task.id)
        except UnknownRoutingId:  # committed a moment ago; the router has not taken it yet
            view = None
        position = ahead = estimate = None
        if view is not None:
            ahead = view.ahead
            position = ahead + 1
            if view.state == "waiting":
                wait = estimate_wait_s(ahead, self.handle_times.mean(task.queue_id), view.servers)
                estimate = None if wait is None else round(wait)
            else:
                estimate = 0  # an agent is being asked right now
        offer_s = ctx.settings.callback_offer_s
        voice = conversation.channel == "voice"
        return QueuePlace(
            conversation_id=conversation.id,
            queue=task.queue_id,
            state=task.state,
            position=position,
            ahead=ahead,
            estimated_wait_s=estimate,
            waited_s=int(waited),
            callback_offered=may_offer_callback(conversation.channel, task.enqueued_at, now, offer_s),
            callback_offered_after_s=max(0, offer_s - int(waited)) if voice else None,
        )

    def _push_positions(self, ctx: Context, decided: Sequence[RoutingEvent]) -> None:
        """Emit ``queue.position_changed`` for the first places of every queue this decision touched."""
        queues: set[str] = set()
        for e in decided:
            queue_id = getattr(e, "queue_id", None)
            task_id = getattr(e, "task_id", None)
            if queue_id is None and task_id is not None:
                with contextlib.suppress(UnknownRoutingId):
                    queue_id = self.engine.task(task_id).queue_id
            if isinstance(e, OfferCreated | TaskRemoved | TaskCompleted) and task_id is not None:
                self._positions.pop(task_id, None)
            if queue_id is not None:
                queues.add(queue_id)
        at = _ts(ctx.clock.now())
        for queue_id in sorted(queues):
            if self.engine.waiting_count(queue_id) > POSITIONS_MAX_WAITING:
                continue
            for channel in CHANNELS:
                try:
                    line = self.engine.line(queue_id, channel, POSITIONS_PUSHED)
                except UnknownRoutingId:
                    break
                for position, task_id in enumerate(line, start=1):
                    kind, subject = self._subjects.get(task_id, ("", ""))
                    if kind != "conversation" or self._positions.get(task_id) == position:
                        continue
                    self._positions[task_id] = position
                    ctx.uow.emit(QueuePositionChanged(subject, task_id, queue_id, position, at))

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
            transferred=recent["transferred"],
            today={
                "service_level_pct": _sl(today),
                "answered": today["answered"],
                "abandoned": today["abandoned"],
                "transferred": today["transferred"],
                "transferred_in": today["transferred_in"],
            },
            target_pct=sl.target_pct,
            answer_within_s=sl.answer_within_s,
            transferred_in=recent["transferred_in"],
            counts={"recent": recent, "today": today},
        )

    # == the one place the engine changes ===========================================================
    async def apply(self, ctx: Context, change: Change) -> None:
        """Change the engine and save what it decided in ``ctx``'s unit of work, under the engine's lock.

        If the decision cannot be saved (a row changed under it), the engine has moved on without the
        database, which is the truth: it is rebuilt from the database before the next change, and the caller
        gets a ``Conflict`` to retry."""
        async with self._lock:
            changed = False  # an error before the engine changed leaves it as it was
            try:
                async with ctx.uow:
                    decided: list[RoutingEvent] = []
                    if self._stale:
                        decided.extend(await self._rebuild(ctx.uow))
                        self._stale = changed = True  # saved below, or rebuilt again next time
                    decided.extend(change(_ts(ctx.clock.now())))
                    changed = True
                    await self._persist(ctx, decided)
                    await self._fenced(ctx.uow)
                    await ctx.uow.commit()
                    self._stale = False
            except Exception as exc:
                if not changed:
                    raise
                self._stale = True
                log.warning("routing decision not saved; the engine is rebuilt", error=type(exc).__name__)
                if isinstance(exc, Conflict | LeaseLost):
                    raise
                raise Conflict("routing state changed at the same moment; retry") from exc
        self._wake.set()

    async def _fenced(self, uow: UnitOfWork) -> None:
        """Refuse the routing write unless this router's fencing token is still the partition's: checked
        in the write's own transaction, so a router that lost its lease meanwhile writes nothing."""
        fence = self.fence
        if fence is None and self.leased:
            log.warning("routing write refused: lease lost", partition=None, token=None)
            raise LeaseLost("this router stands by: another router holds the routing lease")
        if fence is not None and not await uow.leases.fence(fence):
            log.warning("routing write refused: lease lost", partition=fence.partition, token=fence.token)
            raise LeaseLost(f"this router no longer holds the routing lease of {fence.partition!r}")

    def routes(self, queue_id: str) -> bool:
        """Whether this router's partition holds the queue."""
        return self._owns is None or self._owns(queue_id)

    async def _persist(self, ctx: Context, decided: Sequence[RoutingEvent]) -> None:
        """Write what the engine decided into the current transaction, with the events it implies."""
        for e in decided:
            ctx.uow.emit(e)
            await self._persist_one(ctx, ctx.uow, e)
        self._push_positions(ctx, decided)

    async def _persist_one(self, ctx: Context, uow: UnitOfWork, e: RoutingEvent) -> None:
        if isinstance(e, OfferCreated):
            await uow.offers.add(Offer(e.offer_id, e.task_id, e.agent_id, _dt(e.at), _dt(e.expires_at)))
            await self._set_task(uow, e.task_id, state="offered")
        elif type(e) in _DECIDED:
            await uow.offers.decide(e.offer_id, _DECIDED[type(e)], _dt(e.at))  # type: ignore[attr-defined]
        elif isinstance(e, TaskRequeued):
            await self._set_task(uow, e.task_id, state="waiting")
        elif isinstance(e, OfferAccepted):
            await uow.offers.decide(e.offer_id, "accepted", _dt(e.at))
            await self._assign(ctx, uow, e)
        elif isinstance(e, TaskCompleted | TaskRemoved):
            task = await uow.tasks.get(e.task_id)
            if isinstance(e, TaskCompleted) and task is not None and task.assigned_at is not None:
                self.handle_times.add(task.queue_id, (_dt(e.at) - task.assigned_at).total_seconds())
            if task is not None and task.state != "ended":
                task.state, task.ended_at = "ended", _dt(e.at)
                task.end_reason = "completed" if isinstance(e, TaskCompleted) else e.reason
                await uow.tasks.save(task)
        elif isinstance(e, AgentSetAway):
            agent = await uow.agents.get(e.agent_id)
            if agent is not None and agent.presence != "away":
                agent.presence, agent.presence_since = "away", _dt(e.at)
                agent.presence_reason = e.reason
                await uow.agents.save(agent)
                await ctx.audit(
                    "agent.set_away", "agent", agent.id, missed_offers=e.missed_offers, reason=e.reason
                )

    async def _set_task(self, uow: UnitOfWork, task_id: str, state: str) -> None:
        task = await uow.tasks.get(task_id)
        if task is not None and task.state not in {"ended", "assigned"}:
            task.state = state  # type: ignore[assignment]
            await uow.tasks.save(task)

    async def _assign(self, ctx: Context, uow: UnitOfWork, e: OfferAccepted) -> None:
        task = await uow.tasks.get(e.task_id)
        if task is None:
            return
        at = _dt(e.at)
        task.state, task.agent_id, task.assigned_at = "assigned", e.agent_id, at
        task.wait_s = (at - task.enqueued_at).total_seconds()
        await uow.tasks.save(task)
        uow.emit(ev.TaskAssigned(task.id, task.kind, task.subject_id, e.agent_id, at))
        if task.kind == "conversation":
            conversation = await uow.conversations.get(task.subject_id, with_messages=False)
            if conversation is not None and conversation.status == "queued":
                conversation.assign(e.agent_id, at)
                await uow.conversations.save(conversation)
                await ctx.audit("conversation.assigned", "conversation", conversation.id, agent_id=e.agent_id)
                uow.emit(ev.ConversationAssigned(conversation.id, e.agent_id, at))


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
