"""The engine's state: registries of queues, agents, tasks and offers, their placement into pools, the
deadline heaps, read-only views, and rebuilding from persisted state.

``RoutingEngine`` (``engine.py``) adds the decisions on top. Restoring never creates offers: the service
layer restores agents, tasks (with their original ``enqueued_at``), pending offers, assignments and
wrap-ups from the database, then calls ``RoutingEngine.rebalance(now)`` once.
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Callable

from kefu.routing.errors import (
    DuplicateError,
    InvalidRoutingSpec,
    OfferAcceptedError,
    OfferDeclinedError,
    OfferExpiredError,
    OfferRescindedError,
    TaskStateError,
    UnknownRoutingId,
)
from kefu.routing.model import (
    CHANNELS,
    AgentSpec,
    AgentView,
    EngineConfig,
    OfferView,
    PlaceView,
    Presence,
    QueueFigures,
    SiteScope,
    Strategy,
    TaskSpec,
    TaskState,
    TaskView,
)
from kefu.routing.pools import Agent, Offer, Pool, PoolKey, QueueState, Task


class EngineState:
    """Everything the engine knows, and the bookkeeping that keeps its indexes consistent."""

    def __init__(
        self, config: EngineConfig | None = None, id_factory: Callable[[], str] | None = None
    ) -> None:
        self.config = config or EngineConfig()
        counter = itertools.count(1)
        self._new_id = id_factory or (lambda: f"offer-{next(counter)}")
        self._seq = itertools.count()
        self._offer_seq = itertools.count()
        self._queues: dict[str, QueueState] = {}
        self._tasks: dict[str, Task] = {}
        self._agents: dict[str, Agent] = {}
        self._agents_by_site: dict[str, dict[str, Agent]] = {}
        self._pools: dict[PoolKey, Pool] = {}
        self._offers: dict[str, Offer] = {}
        self._outcomes: OrderedDict[str, str] = OrderedDict()
        self._expiries: list[tuple[float, int, Offer]] = []
        self._wrap_ups: list[tuple[float, int, Agent, str]] = []
        self._escalations: list[tuple[float, int, Task, int]] = []
        self._cooldowns: list[tuple[float, int, Task, str]] = []
        self._openings: list[tuple[float, int, Task]] = []

    def _leave_waiting(self, task: Task) -> None:
        pool = task.pool
        if pool is not None:
            pool.drop_task(task)
            pool.compact()
        task.queue.waiting.pop(task.task_id, None)

    def _end(self, task: Task) -> None:
        task.state, task.offer, task.agent = TaskState.ENDED, None, None
        del self._tasks[task.task_id]

    def _start_wrap_up(self, agent: Agent, channel: str, until: float) -> None:
        agent.wrap_until[channel] = until
        agent.wrap_extended.discard(channel)
        heapq.heappush(self._wrap_ups, (until, next(self._seq), agent, channel))

    # == placement and registration ==============================================================
    def _place(self, task: Task) -> Pool:
        """Put a waiting task into the pool of its current step (pool lookups are cached per queue)."""
        queue = task.queue
        home = None if task.home_open else task.home_site
        slot = (task.step, home, task.channel, task.vulnerable)
        pool = queue.pools.get(slot)
        if pool is None:
            skills, sites, _ = queue.steps[task.step]
            site = home if sites is SiteScope.HOME else None
            pool = queue.pools[slot] = self._pool((skills, site, task.channel, task.vulnerable))
        pool.push_task(task)
        return pool

    def _pool(self, key: PoolKey) -> Pool:
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = Pool(key)
            candidates = self._agents_by_site.get(key[1], {}) if key[1] is not None else self._agents
            for agent in candidates.values():
                if pool.admits(agent):
                    pool.agents[agent.agent_id] = agent
                    agent.pools[pool.channel].append(pool)
            for agent in pool.agents.values():
                if agent.idle_on(pool.channel):
                    pool.push_idle(agent, self._strategy_key(agent))
        return pool

    def _link(self, agent: Agent) -> None:
        self._agents_by_site.setdefault(agent.site, {})[agent.agent_id] = agent
        agent.pools = {channel: [] for channel in agent.capacity}
        for pool in self._pools.values():
            if pool.admits(agent):
                pool.agents[agent.agent_id] = agent
                agent.pools[pool.channel].append(pool)
        for queue in self._queues.values():
            if all(agent.level(s) >= lv for s, lv in queue.steps[0][0]):
                queue.agents[agent.agent_id] = agent
        agent.version += 1

    def _unlink(self, agent: Agent) -> None:
        self._agents_by_site.get(agent.site, {}).pop(agent.agent_id, None)
        for own in agent.pools.values():
            for pool in own:
                pool.agents.pop(agent.agent_id, None)
        for queue in self._queues.values():
            queue.agents.pop(agent.agent_id, None)

    def _validated_agent(self, spec: AgentSpec) -> tuple[str, dict[str, int], dict[str, int]]:
        if not spec.site:
            raise InvalidRoutingSpec(f"agent {spec.agent_id!r} needs a site")
        for name, level in spec.skills.items():
            if not name or not 1 <= level <= 5:
                raise InvalidRoutingSpec(f"agent {spec.agent_id!r}: skill {name!r} level must be 1-5")
        for channel, cap in spec.capacity.items():
            if channel not in CHANNELS or cap < 0:
                raise InvalidRoutingSpec(f"agent {spec.agent_id!r}: bad capacity {channel}={cap}")
        return spec.site, dict(spec.skills), dict(spec.capacity)

    def _register_agent(self, spec: AgentSpec, now: float) -> Agent:
        if spec.agent_id in self._agents:
            raise DuplicateError(f"agent {spec.agent_id!r} is already registered", agent_id=spec.agent_id)
        site, skills, capacity = self._validated_agent(spec)
        agent = Agent(
            agent_id=spec.agent_id,
            site=site,
            skills=skills,
            capacity=capacity,
            presence=Presence(spec.presence),
            seq=next(self._seq),
            now=now,
        )
        self._agents[spec.agent_id] = agent
        self._link(agent)
        return agent

    def _register_task(self, spec: TaskSpec, now: float) -> Task:
        if spec.task_id in self._tasks:
            raise DuplicateError(f"task {spec.task_id!r} is already routed", task_id=spec.task_id)
        queue = self._queues.get(spec.queue_id)
        if queue is None:
            raise UnknownRoutingId("queue", spec.queue_id)
        if spec.channel not in CHANNELS:
            raise InvalidRoutingSpec(f"task {spec.task_id!r}: unknown channel {spec.channel!r}")
        priority = (
            queue.spec.priority + spec.priority + (self.config.vulnerable_boost if spec.vulnerable else 0)
        )
        rank = self.config.aging_per_s * spec.enqueued_at - priority
        task = Task(
            task_id=spec.task_id,
            queue=queue,
            channel=spec.channel,
            enqueued_at=spec.enqueued_at,
            base_priority=priority,
            vulnerable=spec.vulnerable,
            home_site=spec.home_site,
            seq=next(self._seq),
            rank=rank,
            home_s=spec.home_s,
            preferred=spec.preferred_agent,
        )
        task.step = self._step_at(queue, now - spec.enqueued_at)
        if spec.home_s is not None and spec.home_site is not None:
            if now - spec.enqueued_at >= spec.home_s:
                task.home_open = True
            else:
                heapq.heappush(self._openings, (spec.enqueued_at + spec.home_s, next(self._seq), task))
        self._tasks[task.task_id] = task
        queue.add_waiting(task)
        self._place(task)
        self._schedule_escalation(task)
        return task

    def _held_back(self, task: Task) -> bool:
        """Whether the agents who declined or missed ``task`` (cool-down running) still wait behind
        someone else: true while another agent eligible for it is available, busy or not. Once nobody
        else is, the task goes back to them rather than wait with an eligible agent idle."""
        pool = task.pool
        if pool is None:
            return False
        excluded = task.excluded
        return any(
            a.presence is Presence.AVAILABLE and a.agent_id not in excluded for a in pool.agents.values()
        )

    def _exclude(self, task: Task, agent: Agent, now: float) -> None:
        """Hold ``agent`` back from ``task`` for the cool-down (nothing at all if it is zero)."""
        cooldown = self.config.decline_cooldown_s
        if cooldown <= 0:
            return
        until = now + cooldown
        task.excluded = task.excluded | {agent.agent_id}
        task.excluded_until = {**task.excluded_until, agent.agent_id: until}
        agent.excluded_from.add(task.task_id)
        heapq.heappush(self._cooldowns, (until, next(self._seq), task, agent.agent_id))

    def _forgive(self, task: Task, agent_id: str) -> None:
        task.excluded = task.excluded - {agent_id}
        task.excluded_until = {k: v for k, v in task.excluded_until.items() if k != agent_id}

    def _strategy_key(self, agent: Agent) -> float:
        """Order among equally fit idle agents: smaller goes first."""
        strategy = self.config.strategy
        if strategy is Strategy.LONGEST_IDLE:
            return agent.free_since
        if strategy is Strategy.LEAST_OCCUPIED:
            return sum(agent.load.values()) / agent.total_capacity
        return float(agent.last_offer_seq)  # round robin: the agent offered work longest ago

    @staticmethod
    def _step_at(queue: QueueState, waited: float) -> int:
        step = 0
        for index, (_, _, after_s) in enumerate(queue.steps):
            if waited >= after_s:
                step = index
        return step

    def _schedule_escalation(self, task: Task) -> None:
        steps = task.queue.steps
        if task.step + 1 < len(steps):
            due = task.enqueued_at + steps[task.step + 1][2]
            heapq.heappush(self._escalations, (due, next(self._seq), task, task.step + 1))

    # == deadline heaps (lazy deletion) ==========================================================
    def _clean_expiries(self) -> list[tuple[float, int, Offer]]:
        heap = self._expiries
        while heap and heap[0][2].offer_id not in self._offers:
            heapq.heappop(heap)
        return heap

    def _clean_wrap_ups(self) -> list[tuple[float, int, Agent, str]]:
        heap = self._wrap_ups
        while heap and heap[0][2].wrap_until.get(heap[0][3]) != heap[0][0]:
            heapq.heappop(heap)
        return heap

    def _clean_cooldowns(self) -> list[tuple[float, int, Task, str]]:
        heap = self._cooldowns
        while heap:
            until, _, task, agent_id = heap[0]
            if task.task_id in self._tasks and task.excluded_until.get(agent_id) == until:
                break
            heapq.heappop(heap)
        return heap

    def _clean_openings(self) -> list[tuple[float, int, Task]]:
        heap = self._openings
        while heap and (heap[0][2].task_id not in self._tasks or heap[0][2].home_open):
            heapq.heappop(heap)
        return heap

    def _clean_escalations(self) -> list[tuple[float, int, Task, int]]:
        heap = self._escalations
        while heap:
            _, _, task, step = heap[0]
            live = task.state in (TaskState.WAITING, TaskState.OFFERED) and task.task_id in self._tasks
            if live and task.step == step - 1:
                break
            heapq.heappop(heap)
        return heap

    # == lookups =================================================================================
    def _agent(self, agent_id: str) -> Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownRoutingId("agent", agent_id)
        return agent

    def _task(self, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise UnknownRoutingId("task", task_id)
        return task

    def _pending_offer(self, offer_id: str) -> Offer:
        offer = self._offers.get(offer_id)
        if offer is not None:
            return offer
        outcome = self._outcomes.get(offer_id)
        errors = {
            "expired": OfferExpiredError,
            "declined": OfferDeclinedError,
            "accepted": OfferAcceptedError,
            "rescinded": OfferRescindedError,
        }
        if outcome is None:
            raise UnknownRoutingId("offer", offer_id)
        raise errors[outcome](f"offer {offer_id!r} is no longer pending: {outcome}", offer_id=offer_id)

    # == restore from persisted state (never creates offers) ======================================
    def restore_agent(self, spec: AgentSpec, now: float) -> None:
        """Re-register an agent as persisted, without offering them anything yet."""
        self._register_agent(spec, now)

    def restore_task(self, spec: TaskSpec, now: float) -> None:
        """Re-enqueue a task at its original place; its escalation step follows from ``enqueued_at``."""
        self._register_task(spec, now)

    def restore_offer(
        self, offer_id: str, task_id: str, agent_id: str, created_at: float, expires_at: float
    ) -> None:
        """Re-create a pending offer for a restored waiting task; ``tick`` expires it if already late."""
        task, agent = self._task(task_id), self._agent(agent_id)
        if task.state is not TaskState.WAITING:
            raise TaskStateError(f"task {task_id!r} is {task.state}; only a waiting task can be offered")
        if offer_id in self._offers:
            raise DuplicateError(f"offer {offer_id!r} is already pending", offer_id=offer_id)
        self._leave_waiting(task)
        offer = Offer(offer_id, task, agent, created_at, expires_at)
        task.state, task.offer = TaskState.OFFERED, offer
        agent.load[task.channel] = agent.load.get(task.channel, 0) + 1
        agent.offers[offer_id] = offer
        agent.version += 1
        self._offers[offer_id] = offer
        heapq.heappush(self._expiries, (expires_at, next(self._seq), offer))

    def restore_assignment(self, task_id: str, agent_id: str) -> None:
        """Re-create an accepted assignment of a restored waiting task to an agent."""
        task, agent = self._task(task_id), self._agent(agent_id)
        if task.state is not TaskState.WAITING:
            raise TaskStateError(f"task {task_id!r} is {task.state}; only a waiting task can be assigned")
        self._leave_waiting(task)
        task.state, task.agent = TaskState.ASSIGNED, agent
        agent.load[task.channel] = agent.load.get(task.channel, 0) + 1
        agent.assigned[task_id] = task
        agent.version += 1

    def restore_wrap_up(self, agent_id: str, channel: str, until: float) -> None:
        """Re-create an agent's wrap-up on a channel; it ends at ``until`` as if never interrupted."""
        self._start_wrap_up(self._agent(agent_id), channel, until)

    # == read-only views ==========================================================================
    def task(self, task_id: str) -> TaskView:
        """A routed task (waiting, offered or assigned); ended tasks are forgotten."""
        return self._task_view(self._task(task_id))

    def tasks(self) -> list[TaskView]:
        return [self._task_view(task) for task in self._tasks.values()]

    def place(self, task_id: str) -> PlaceView:
        """Where a task stands in its queue: O(waiting tasks of that queue), fine for a customer's poll."""
        t = self._task(task_id)
        ahead = 0
        if t.state is TaskState.WAITING:
            key = (t.rank, t.enqueued_at, t.seq)
            ahead = sum(
                1
                for other in t.queue.waiting.values()
                if other.channel == t.channel and (other.rank, other.enqueued_at, other.seq) < key
            )
        servers = 0
        if t.pool is not None:
            servers = sum(
                a.capacity.get(t.channel, 0)
                for a in t.pool.agents.values()
                if a.presence is Presence.AVAILABLE
            )
        return PlaceView(t.task_id, t.queue.queue_id, t.channel, t.state, ahead, servers, t.enqueued_at)

    def waiting_count(self, queue_id: str) -> int:
        queue = self._queues.get(queue_id)
        return 0 if queue is None else len(queue.waiting)

    def line(self, queue_id: str, channel: str, limit: int) -> list[str]:
        """The first ``limit`` waiting tasks of a queue on one channel, next first (as ``place`` counts)."""
        queue = self._queues.get(queue_id)
        if queue is None:
            raise UnknownRoutingId("queue", queue_id)
        same = (t for t in queue.waiting.values() if t.channel == channel)
        first = heapq.nsmallest(limit, same, key=lambda t: (t.rank, t.enqueued_at, t.seq))
        return [t.task_id for t in first]

    def agent(self, agent_id: str) -> AgentView:
        a = self._agent(agent_id)
        return AgentView(a.agent_id, a.site, a.presence, dict(a.load), dict(a.capacity), dict(a.wrap_until))

    def agents(self) -> list[AgentView]:
        return [self.agent(agent_id) for agent_id in self._agents]

    def offers_for(self, agent_id: str) -> list[OfferView]:
        """Pending offers of one agent, oldest first."""
        offers = sorted(self._agent(agent_id).offers.values(), key=lambda o: o.created_at)
        return [self._offer_view(offer) for offer in offers]

    def offer(self, offer_id: str) -> OfferView:
        offer = self._offers.get(offer_id)
        if offer is None:
            raise UnknownRoutingId("offer", offer_id)
        return self._offer_view(offer)

    def queue_figures(self, queue_id: str, now: float) -> QueueFigures:
        """Live figures for the stats API. Waiting count and longest wait are O(1) amortised; the agent
        breakdown walks the queue's qualified agents, which is fine for a dashboard refresh."""
        queue = self._queues.get(queue_id)
        if queue is None:
            raise UnknownRoutingId("queue", queue_id)
        oldest = queue.oldest()
        sites: dict[str, dict[str, int]] = {}
        for agent in queue.agents.values():
            if agent.presence is Presence.OFFLINE:
                continue
            counts = sites.setdefault(agent.site, {"available": 0, "busy": 0, "away": 0})
            if agent.presence is Presence.AWAY:
                counts["away"] += 1
            elif any(agent.load.values()) or agent.wrap_until:
                counts["busy"] += 1
            else:
                counts["available"] += 1
        longest = max(0.0, now - oldest.enqueued_at) if oldest is not None else 0.0
        return QueueFigures(queue_id, len(queue.waiting), longest, sites)

    def _task_view(self, t: Task) -> TaskView:
        return TaskView(
            t.task_id,
            t.queue.queue_id,
            t.channel,
            t.state,
            t.step,
            t.enqueued_at,
            t.base_priority,
            t.rank,
            None if t.home_open else t.home_site,
            t.vulnerable,
            t.excluded,
            t.agent.agent_id if t.agent is not None else (t.offer.agent.agent_id if t.offer else None),
            t.offer.offer_id if t.offer is not None else None,
            dict(t.excluded_until),
        )

    @staticmethod
    def _offer_view(o: Offer) -> OfferView:
        return OfferView(
            o.offer_id, o.task.task_id, o.agent.agent_id, o.task.channel, o.created_at, o.expires_at
        )
