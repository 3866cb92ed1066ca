"""The routing engine: matches waiting tasks to agents, fairly and in O(log n) per event.

Design in three sentences. Waiting tasks and idle agents live in *pools* (see ``pools.py``), one per
distinct eligibility, so a decision only touches the heads of a few heaps. After every event the engine
runs ``_dispatch``: agents whose state changed first take the best task among their pools, then pools
that received tasks hand their best tasks to their best idle agents, in global rank order. That keeps
the engine work conserving (no eligible agent idles while an eligible task waits) and every agent takes
the highest-ranked task it may serve.

The engine never reads a clock and performs no I/O: the caller passes ``now`` (float epoch seconds),
persists the returned events, and calls ``tick(now)`` when ``next_deadline()`` comes due.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable

from kefu.routing.errors import (
    DuplicateError,
    OfferExpiredError,
    TaskStateError,
)
from kefu.routing.events import (
    AgentSetAway,
    AgentWrapUpEnded,
    AgentWrapUpExtended,
    OfferAccepted,
    OfferCreated,
    OfferDeclined,
    OfferExpired,
    OfferRescinded,
    RoutingEvent,
    TaskCompleted,
    TaskEscalated,
    TaskHandAssigned,
    TaskQueued,
    TaskRemoved,
    TaskRequeued,
)
from kefu.routing.model import AgentSpec, Presence, QueueSpec, TaskSpec, TaskState
from kefu.routing.pools import Agent, Offer, Pool, QueueState, Task, TaskEntry
from kefu.routing.state import EngineState

Events = list[RoutingEvent]
_OUTCOME_MEMORY = 100_000  # how many finished offers we remember to explain a late accept


class RoutingEngine(EngineState):
    """In-memory matching engine for one routing partition (a group of sites and queues)."""

    # == configuration ===========================================================================
    def set_queue(self, spec: QueueSpec, now: float) -> Events:
        """Create or replace a queue. Waiting tasks of a replaced queue move to the new steps."""
        steps = spec.steps()
        queue = self._queues.get(spec.queue_id)
        if queue is None:
            queue = self._queues[spec.queue_id] = QueueState(spec.queue_id, spec, steps)
        queue.spec, queue.steps = spec, steps
        queue.pools.clear()  # steps may have changed: pool lookups must be recomputed
        base = steps[0][0]
        queue.agents = {
            a.agent_id: a for a in self._agents.values() if all(a.level(s) >= lv for s, lv in base)
        }
        dirty: list[Pool] = []
        for task in list(self._tasks.values()):
            if task.queue is queue and task.state in (TaskState.WAITING, TaskState.OFFERED):
                task.step = self._step_at(queue, now - task.enqueued_at)
                self._schedule_escalation(task)
                if task.state is TaskState.WAITING and task.pool is not None:
                    task.pool.drop_task(task)
                    dirty.append(self._place(task))
        events: Events = []
        self._dispatch(now, (), dirty, events)
        return events

    def add_agent(self, spec: AgentSpec, now: float) -> Events:
        """Register an agent; if available they are offered work at once."""
        self._register_agent(spec, now)
        events: Events = []
        agent = self._agents[spec.agent_id]
        self._dispatch(now, (agent,), (), events)
        return events

    def update_agent(self, spec: AgentSpec, now: float) -> Events:
        """Change an agent's site, skills, capacity or presence; ongoing work is kept."""
        agent = self._agent(spec.agent_id)
        site, skills, capacity = self._validated_agent(spec)
        # Tasks that waited behind this agent's availability may go to agents who declined them.
        before = [pool for own in agent.pools.values() for pool in own if pool.live]
        self._unlink(agent)
        agent.site, agent.skills, agent.capacity = site, skills, capacity
        agent.total_capacity = max(1, sum(capacity.values()))
        for channel in capacity:
            agent.load.setdefault(channel, 0)
        self._link(agent)
        events: Events = []
        pools = self._presence_change(agent, Presence(spec.presence), now, events)
        self._dispatch(now, (agent,), [*before, *pools], events)
        return events

    def set_presence(self, agent_id: str, presence: Presence | str, now: float) -> Events:
        """Agent goes available, away or offline. Leaving rescinds pending offers (tasks go back)."""
        agent = self._agent(agent_id)
        events: Events = []
        pools = self._presence_change(agent, Presence(presence), now, events)
        self._dispatch(now, (agent,), pools, events)
        return events

    # == tasks ===================================================================================
    def add_task(self, spec: TaskSpec, now: float) -> Events:
        """Enqueue a task (with its original ``enqueued_at``) and offer it if an agent is free."""
        task = self._register_task(spec, now)
        events: Events = [TaskQueued(task.task_id, task.queue.queue_id, task.base_priority, now)]
        assert task.pool is not None  # noqa: S101 - a registered task is always placed
        self._dispatch(now, (), (task.pool,), events)
        return events

    def remove_task(self, task_id: str, now: float, reason: str = "abandoned") -> Events:
        """The customer left: end a waiting or offered task. An assigned task ends with ``complete``."""
        task = self._task(task_id)
        events: Events = []
        agents: tuple[Agent, ...] = ()
        if task.state is TaskState.ASSIGNED:
            raise TaskStateError(f"task {task_id!r} is assigned; complete it instead", task_id=task_id)
        if task.state is TaskState.OFFERED:
            assert task.offer is not None  # noqa: S101 - an offered task has its offer
            offer = task.offer
            self._close_offer(offer, "rescinded")
            agents = (offer.agent,)
            events.append(OfferRescinded(offer.offer_id, task_id, offer.agent.agent_id, "task_removed", now))
        else:
            self._leave_waiting(task)
        self._end(task)
        events.append(TaskRemoved(task_id, task.queue.queue_id, reason, now))
        self._dispatch(now, agents, (), events)
        return events

    def assign(self, task_id: str, agent_id: str, now: float) -> Events:
        """A supervisor gives a waiting or offered task to an agent by hand. It counts against the agent's
        capacity like any assignment (even beyond it: the supervisor decided), until ``complete``."""
        task, agent = self._task(task_id), self._agent(agent_id)
        if task.state is TaskState.ASSIGNED:
            if task.agent is agent:
                return []
            raise TaskStateError(f"task {task_id!r} is assigned to someone else", task_id=task_id)
        events: Events = []
        freed: tuple[Agent, ...] = ()
        if task.state is TaskState.OFFERED:
            assert task.offer is not None  # noqa: S101 - an offered task has its offer
            offer = task.offer
            self._close_offer(offer, "rescinded")
            freed = (offer.agent,)
            reason = "assigned_by_hand"
            events.append(OfferRescinded(offer.offer_id, task_id, offer.agent.agent_id, reason, now))
        else:
            self._leave_waiting(task)
        task.state, task.agent = TaskState.ASSIGNED, agent
        agent.load[task.channel] = agent.load.get(task.channel, 0) + 1
        agent.assigned[task_id] = task
        agent.version += 1
        events.append(TaskHandAssigned(task_id, task.queue.queue_id, agent_id, now))
        self._dispatch(now, freed, (), events)
        return events

    def complete(self, task_id: str, now: float) -> Events:
        """The agent finished an assigned task; they wrap up on that channel before new offers there."""
        task = self._task(task_id)
        agent = task.agent
        if task.state is not TaskState.ASSIGNED or agent is None:
            raise TaskStateError(f"task {task_id!r} is {task.state}, not assigned", task_id=task_id)
        del agent.assigned[task_id]
        agent.load[task.channel] -= 1
        until = now + self.config.wrap_up_s
        if self.config.wrap_up_s > 0:
            self._start_wrap_up(agent, task.channel, until)
        else:
            agent.free_since = now
        self._end(task)
        events: Events = [TaskCompleted(task_id, task.queue.queue_id, agent.agent_id, now, until)]
        self._dispatch(now, (agent,), (), events)
        return events

    # == wrap-up the agent controls ================================================================
    def end_wrap_up(self, agent_id: str, now: float) -> Events:
        """The agent is ready early: every wrap-up of theirs ends now and work may be offered at once."""
        agent = self._agent(agent_id)
        events: Events = []
        for channel in sorted(agent.wrap_until):
            events.append(AgentWrapUpEnded(agent_id, channel, now))
        if not events:
            return events
        agent.wrap_until.clear()
        agent.wrap_extended.clear()
        agent.free_since = now
        self._dispatch(now, (agent,), (), events)
        return events

    def extend_wrap_up(self, agent_id: str, seconds: float, now: float) -> Events:
        """More time to finish notes: each running wrap-up is extended once, by at most
        ``wrap_up_extend_s``. Raises ``TaskStateError`` when there is none or it was extended already."""
        agent = self._agent(agent_id)
        running = [ch for ch, until in agent.wrap_until.items() if until > now]
        if not running or any(ch in agent.wrap_extended for ch in running):
            raise TaskStateError(
                f"agent {agent_id!r} has no wrap-up to extend (or extended it already)", agent_id=agent_id
            )
        extra = max(0.0, min(seconds, self.config.wrap_up_extend_s))
        events: Events = []
        for channel in sorted(running):
            until = agent.wrap_until[channel] + extra
            self._start_wrap_up(agent, channel, until)
            agent.wrap_extended.add(channel)
            events.append(AgentWrapUpExtended(agent_id, channel, until, now))
        return events

    # == offers ==================================================================================
    def accept(self, offer_id: str, now: float) -> Events:
        """The agent takes the task. Raises a ``RoutingConflict`` if the offer is no longer pending;
        an offer past its expiry is refused without changing state (the next ``tick`` expires it)."""
        offer = self._pending_offer(offer_id)
        if now >= offer.expires_at:
            raise OfferExpiredError(f"offer {offer_id!r} expired at {offer.expires_at}", offer_id=offer_id)
        task, agent = offer.task, offer.agent
        self._forget_offer(offer, "accepted")
        task.state, task.agent = TaskState.ASSIGNED, agent
        agent.assigned[task.task_id] = task
        agent.missed = 0
        return [OfferAccepted(offer_id, task.task_id, agent.agent_id, now)]

    def decline(self, offer_id: str, now: float) -> Events:
        """The agent refuses; the task returns to its place and goes to the next agent. A decline that
        arrives after the expiry but before ``tick`` processed it still counts as a decline."""
        offer = self._pending_offer(offer_id)
        task, agent = offer.task, offer.agent
        agent.missed = 0  # a decline is an answer: the agent is there
        self._close_offer(offer, "declined")
        events: Events = [OfferDeclined(offer_id, task.task_id, agent.agent_id, now)]
        pool = self._requeue(task, agent, "declined", now, events)
        self._dispatch(now, (agent,), (pool,), events)
        return events

    # == time ====================================================================================
    def next_deadline(self) -> float | None:
        """When ``tick`` next has something to do (offer expiry, wrap-up end, escalation), or None."""
        heaps = (
            self._clean_expiries(),
            self._clean_wrap_ups(),
            self._clean_escalations(),
            self._clean_cooldowns(),
            self._clean_openings(),
        )
        times = [h[0][0] for h in heaps if h]
        return min(times, default=None)

    def tick(self, now: float) -> Events:
        """Process every deadline up to ``now``, earliest first; deadlines due at the same instant are
        applied together and then dispatched, so simultaneous escalations respect priority order."""
        events: Events = []
        while (due := self.next_deadline()) is not None and due <= now:
            agents: dict[str, Agent] = {}
            pools: list[Pool] = []
            while (h := self._clean_expiries()) and h[0][0] == due:
                offer = heapq.heappop(h)[2]
                self._expire(offer, due, agents, pools, events)
            while (w := self._clean_wrap_ups()) and w[0][0] == due:
                _, _, agent, channel = heapq.heappop(w)
                del agent.wrap_until[channel]
                agent.free_since = due
                agents[agent.agent_id] = agent
                events.append(AgentWrapUpEnded(agent.agent_id, channel, due))
            while (e := self._clean_escalations()) and e[0][0] == due:
                _, _, task, step = heapq.heappop(e)
                pool = self._escalate(task, step, due, events)
                if pool is not None:
                    pools.append(pool)
            while (o := self._clean_openings()) and o[0][0] == due:
                task = heapq.heappop(o)[2]
                task.home_open = True
                if task.state is TaskState.WAITING and task.pool is not None:
                    task.pool.drop_task(task)
                    pools.append(self._place(task))
            while (c := self._clean_cooldowns()) and c[0][0] == due:
                _, _, task, agent_id = heapq.heappop(c)
                self._forgive(task, agent_id)
                if (cooled := self._agents.get(agent_id)) is not None:
                    cooled.excluded_from.discard(task.task_id)
                    agents[agent_id] = cooled
                if task.state is TaskState.WAITING and task.pool is not None:
                    pools.append(task.pool)
            self._dispatch(now, agents.values(), pools, events)
        return events

    def rebalance(self, now: float) -> Events:
        """Process due deadlines, then match every agent and every pool: the first call after a restore."""
        events = self.tick(now)
        self._dispatch(now, list(self._agents.values()), list(self._pools.values()), events)
        return events

    # == dispatch ================================================================================
    def _dispatch(
        self, now: float, agents: Collection[Agent], pools: Collection[Pool], events: Events
    ) -> None:
        """Restore work conservation after an event touched ``agents`` and ``pools``."""
        # Agents first: a freed agent takes the best task among all its pools, not merely a new one.
        for agent in agents:
            agent.version += 1
            if agent.presence is Presence.AVAILABLE:
                for channel, own in agent.pools.items():
                    self._serve_agent(agent, channel, own, now, events)
            self._park(agent)
        if pools:
            self._serve_pools(pools, now, events)

    def _serve_agent(self, agent: Agent, channel: str, own: list[Pool], now: float, events: Events) -> None:
        """Offer the agent the best-ranked tasks it may take on ``channel`` until it is full.

        This is the hot path of a busy centre, hence the inlined comparisons: rank first, then
        enqueued_at, then arrival order, exactly the pools' heap order."""
        agent_id = agent.agent_id
        while agent.idle_on(channel):
            best: TaskEntry | None = None
            for pool in own:
                if not pool.live:
                    continue
                entry: TaskEntry | None = pool.tasks[0]  # live > 0: entries exist, maybe stale on top
                if entry is not None and entry[4].token != entry[3]:
                    entry = pool.head()
                if entry is not None and agent_id in entry[4].excluded:
                    entry = pool.best_task_for(agent, self._held_back)
                if entry is None:
                    continue
                if best is None or entry[0] < best[0] or (entry[0] == best[0] and entry[1:3] < best[1:3]):
                    best = entry
            if best is None:
                return
            self._offer(best[4], agent, now, events)

    def _serve_pools(self, pools: Iterable[Pool], now: float, events: Events) -> None:
        """Pools that received tasks hand their heads to their best idle agents, best rank first across
        pools, so an idle agent eligible for several of them gets the best task."""
        order = []
        for pool in pools:
            if pool.idle and (head := pool.head()) is not None:  # busy centre: no idle agents, done
                order.append((head[:3], id(pool), pool))
        heapq.heapify(order)
        aside: list[tuple[Pool, TaskEntry]] = []
        while order:
            pool = heapq.heappop(order)[2]
            head = pool.head()
            if head is None:
                continue
            agent = pool.best_idle(head[4], self._held_back)
            if agent is not None:
                self._offer(head[4], agent, now, events)
                self._park(agent)
            elif pool.idle:
                # Only agents held back from this task are idle here; later tasks may still use them.
                aside.append((pool, heapq.heappop(pool.tasks)))
            else:
                continue
            nxt = pool.head()
            if nxt is not None:
                heapq.heappush(order, (nxt[:3], id(pool), pool))
        for pool, entry in aside:
            heapq.heappush(pool.tasks, entry)

    def _park(self, agent: Agent) -> None:
        """Record an agent who stays idle in the idle heap of each pool they may serve."""
        if agent.presence is not Presence.AVAILABLE:
            return
        key = self._strategy_key(agent)
        for channel, own in agent.pools.items():
            if own and agent.idle_on(channel):
                for pool in own:
                    pool.push_idle(agent, key)

    def _offer(self, task: Task, agent: Agent, now: float, events: Events) -> None:
        offer_id = self._new_id()
        if offer_id in self._offers or offer_id in self._outcomes:  # checked before any state changes
            raise DuplicateError(f"id factory repeated offer id {offer_id!r}", offer_id=offer_id)
        self._leave_waiting(task)
        offer = Offer(offer_id, task, agent, now, now + self.config.offer_timeout_s)
        task.state, task.offer = TaskState.OFFERED, offer
        agent.load[task.channel] += 1
        agent.offers[offer.offer_id] = offer
        agent.last_offer_seq = next(self._offer_seq)
        agent.version += 1
        self._offers[offer.offer_id] = offer
        heapq.heappush(self._expiries, (offer.expires_at, next(self._seq), offer))
        events.append(OfferCreated(offer.offer_id, task.task_id, agent.agent_id, offer.expires_at, now))

    # == state transitions =======================================================================
    def _presence_change(self, agent: Agent, presence: Presence, now: float, events: Events) -> list[Pool]:
        if presence is agent.presence:
            return []
        agent.presence = presence
        agent.version += 1
        if presence is Presence.AVAILABLE:
            agent.missed = 0
            agent.free_since = now
            # Back at the desk, the agent may again be offered what they missed before going away: a scam
            # case whose only specialist missed it must not wait for the hold to expire.
            for task_id in agent.excluded_from:
                task = self._tasks.get(task_id)
                if task is not None:
                    self._forgive(task, agent.agent_id)
            agent.excluded_from.clear()
            return []
        # Tasks held back from others while this agent was available may now go to those others.
        pools = [pool for own in agent.pools.values() for pool in own if pool.live]
        for offer in list(agent.offers.values()):
            self._close_offer(offer, "rescinded")
            events.append(
                OfferRescinded(offer.offer_id, offer.task.task_id, agent.agent_id, "agent_unavailable", now)
            )
            pools.append(self._requeue(offer.task, None, "rescinded", now, events))
        return pools

    def _expire(
        self, offer: Offer, now: float, agents: dict[str, Agent], pools: list[Pool], ev: Events
    ) -> None:
        agent, task = offer.agent, offer.task
        self._close_offer(offer, "expired")
        ev.append(OfferExpired(offer.offer_id, task.task_id, agent.agent_id, now))
        pools.append(self._requeue(task, agent, "expired", now, ev))
        agent.missed += 1
        if agent.missed >= self.config.max_missed_offers and agent.presence is Presence.AVAILABLE:
            missed = agent.missed
            pools.extend(self._presence_change(agent, Presence.AWAY, now, ev))
            ev.append(AgentSetAway(agent.agent_id, missed, now, "missed"))
        agents[agent.agent_id] = agent

    def _escalate(self, task: Task, step: int, now: float, events: Events) -> Pool | None:
        queue = task.queue
        task.step = step
        # A wider field is a fresh start: agents who missed or declined the task may be offered it again,
        # so a case whose only specialist missed one offer does not wait for the hold to expire.
        task.excluded, task.excluded_until = frozenset(), {}
        skills, sites, _ = queue.steps[step]
        events.append(TaskEscalated(task.task_id, queue.queue_id, step, skills, str(sites), now))
        self._schedule_escalation(task)
        if task.state is not TaskState.WAITING or task.pool is None:
            return None
        task.pool.drop_task(task)
        return self._place(task)

    def _requeue(self, task: Task, agent: Agent | None, reason: str, now: float, events: Events) -> Pool:
        """Put a task whose offer failed back at its original place (its rank never changed)."""
        if agent is not None:
            self._exclude(task, agent, now)
        task.state, task.offer = TaskState.WAITING, None
        task.queue.add_waiting(task)
        events.append(TaskRequeued(task.task_id, task.queue.queue_id, reason, now))
        return self._place(task)

    def _close_offer(self, offer: Offer, outcome: str) -> None:
        """End a pending offer that did not lead to an assignment: the agent's capacity comes back."""
        self._forget_offer(offer, outcome)
        offer.agent.load[offer.task.channel] -= 1
        offer.agent.version += 1
        offer.task.offer = None

    def _forget_offer(self, offer: Offer, outcome: str) -> None:
        del self._offers[offer.offer_id]
        del offer.agent.offers[offer.offer_id]
        self._outcomes[offer.offer_id] = outcome
        if len(self._outcomes) > _OUTCOME_MEMORY:
            self._outcomes.popitem(last=False)
