"""Random event sequences against the routing engine, checking its invariants after every call."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kefu.routing import (
    AgentSpec,
    AgentView,
    EngineConfig,
    EscalationStep,
    OfferCreated,
    Presence,
    QueueSpec,
    RoutingConflict,
    RoutingEngine,
    RoutingEvent,
    SiteScope,
    Strategy,
    TaskSpec,
    TaskState,
    TaskView,
)

SITES = ("shenzhen", "chengdu")
SKILLS = ("payments", "games", "elderly_care")
QUEUES = {
    "payments": QueueSpec(
        "payments",
        {"payments": 3},
        priority=10,
        escalation=(
            EscalationStep(15, {"payments": 2}, SiteScope.HOME),
            EscalationStep(40, {"payments": 1}, SiteScope.ALL),
        ),
    ),
    "games": QueueSpec(
        "games", {"games": 2}, priority=0, escalation=(EscalationStep(25, {"games": 1}, "all"),)
    ),
    "anti_fraud": QueueSpec("anti_fraud", {"payments": 4}, priority=50),
}

skill_maps = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3)
capacities = st.fixed_dictionaries({"chat": st.integers(0, 2), "voice": st.integers(0, 1)})


def fits(agent: AgentView, skills: dict[str, int], task: TaskView) -> bool:
    """Reference eligibility by skills, site and channel, computed independently of the engine's pools."""
    queue = QUEUES[task.queue_id]
    steps = [
        (dict(queue.skills), SiteScope.HOME),
        *((dict(s.skills), SiteScope(s.sites)) for s in queue.escalation),
    ]
    need, sites = steps[task.step]
    if sites is SiteScope.HOME and task.home_site is not None and agent.site != task.home_site:
        return False
    if agent.capacity.get(task.channel, 0) <= 0:
        return False
    return all(skills.get(name, 0) >= level for name, level in need.items())


def held_back(task: TaskView, agents: dict[str, AgentView], skills: dict[str, dict[str, int]]) -> bool:
    """Whether the task's decliners still wait behind someone else: another fitting agent is available."""
    return any(
        a.presence is Presence.AVAILABLE
        and a.agent_id not in task.excluded
        and fits(a, skills[a.agent_id], task)
        for a in agents.values()
    )


def eligible(
    agent: AgentView, task: TaskView, agents: dict[str, AgentView], skills: dict[str, dict[str, int]]
) -> bool:
    """Fits the task and is not held back from it by a running cool-down."""
    if not fits(agent, skills[agent.agent_id], task):
        return False
    return agent.agent_id not in task.excluded or not held_back(task, agents, skills)


def idle_on(agent: AgentView, channel: str) -> bool:
    return (
        agent.presence is Presence.AVAILABLE
        and agent.load.get(channel, 0) < agent.capacity.get(channel, 0)
        and channel not in agent.wrap_up_until
    )


class RoutingMachine(RuleBasedStateMachine):
    """Agents come and go, tasks arrive and leave, offers are answered or time out, time moves on."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1_000.0
        self.skills: dict[str, dict[str, int]] = {}
        self.added: set[str] = set()
        self.ended: set[str] = set()
        self.last: list[RoutingEvent] = []
        self.n = 0

    @initialize(
        strategy=st.sampled_from(list(Strategy)),
        aging=st.sampled_from([0.0, 1 / 60, 1.0]),
        missed=st.sampled_from([1, 2]),
        cooldown=st.sampled_from([0.0, 10.0, 30.0]),
    )
    def setup(self, strategy: Strategy, aging: float, missed: int, cooldown: float) -> None:
        self.cooldown = cooldown
        config = EngineConfig(
            offer_timeout_s=20,
            max_missed_offers=missed,
            decline_cooldown_s=cooldown,
            wrap_up_s=5,
            strategy=strategy,
            aging_per_s=aging,
        )
        self.engine = RoutingEngine(config)
        for spec in QUEUES.values():
            self.engine.set_queue(spec, self.now)

    def _run(self, events: list[RoutingEvent]) -> None:
        """Remember the last call's events so the priority invariant can inspect the offers it made."""
        self.last = events

    @rule(site=st.sampled_from(SITES), skills=skill_maps, capacity=capacities, available=st.booleans())
    def add_agent(self, site: str, skills: dict[str, int], capacity: dict[str, int], available: bool) -> None:
        self.n += 1
        agent_id = f"a{self.n}"
        self.skills[agent_id] = skills
        presence = Presence.AVAILABLE if available else Presence.OFFLINE
        self._run(self.engine.add_agent(AgentSpec(agent_id, site, skills, capacity, presence), self.now))

    @precondition(lambda self: self.skills)
    @rule(data=st.data(), skills=skill_maps, site=st.sampled_from(SITES))
    def retrain(self, data: st.DataObject, skills: dict[str, int], site: str) -> None:
        """An agent's skills or site change while they may hold offers and tasks."""
        agent_id = data.draw(st.sampled_from(sorted(self.skills)))
        view = self.engine.agent(agent_id)
        self.skills[agent_id] = skills
        spec = AgentSpec(agent_id, site, skills, dict(view.capacity), view.presence)
        self._run(self.engine.update_agent(spec, self.now))

    @precondition(lambda self: self.skills)
    @rule(data=st.data(), presence=st.sampled_from(list(Presence)))
    def set_presence(self, data: st.DataObject, presence: Presence) -> None:
        agent_id = data.draw(st.sampled_from(sorted(self.skills)))
        self._run(self.engine.set_presence(agent_id, presence, self.now))

    @rule(
        queue=st.sampled_from(sorted(QUEUES)),
        channel=st.sampled_from(["chat", "voice"]),
        home=st.sampled_from([None, *SITES]),
        vulnerable=st.booleans(),
        priority=st.integers(0, 20),
        waited=st.sampled_from([0.0, 0.0, 10.0, 30.0, 60.0]),
        home_s=st.sampled_from([None, None, 0.0, 10.0]),
        preferred=st.sampled_from([None, None, "a1", "a2", "a3"]),
    )
    def add_task(
        self,
        queue: str,
        channel: str,
        home: str | None,
        vulnerable: bool,
        priority: int,
        waited: float,
        home_s: float | None,
        preferred: str | None,
    ):
        self.n += 1
        task_id = f"t{self.n}"
        self.added.add(task_id)
        spec = TaskSpec(
            task_id, queue, channel, self.now - waited, priority, vulnerable, home, home_s, preferred
        )
        self._run(self.engine.add_task(spec, self.now))

    def _offers(self):
        return [o for a in self.engine.agents() for o in self.engine.offers_for(a.agent_id)]

    @precondition(lambda self: self._offers())
    @rule(data=st.data(), accept=st.booleans())
    def answer_offer(self, data: st.DataObject, accept: bool) -> None:
        offer = data.draw(st.sampled_from(self._offers()))
        if accept:
            self._run(self.engine.accept(offer.offer_id, self.now))
        else:
            self._run(self.engine.decline(offer.offer_id, self.now))

    def _tasks_in(self, state: TaskState) -> list[str]:
        return sorted(t.task_id for t in self.engine.tasks() if t.state is state)

    @precondition(lambda self: self._tasks_in(TaskState.ASSIGNED))
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        task_id = data.draw(st.sampled_from(self._tasks_in(TaskState.ASSIGNED)))
        self.ended.add(task_id)
        self._run(self.engine.complete(task_id, self.now))

    @precondition(lambda self: self._tasks_in(TaskState.WAITING) + self._tasks_in(TaskState.OFFERED))
    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        task_id = data.draw(
            st.sampled_from(self._tasks_in(TaskState.WAITING) + self._tasks_in(TaskState.OFFERED))
        )
        self.ended.add(task_id)
        self._run(self.engine.remove_task(task_id, self.now))

    @rule()
    def accept_ended_offer_conflicts(self) -> None:
        for event in self.last:
            if isinstance(event, OfferCreated) and event.offer_id not in {o.offer_id for o in self._offers()}:
                try:
                    self.engine.decline(event.offer_id, self.now)
                except RoutingConflict:
                    pass
                else:
                    raise AssertionError("an offer that is no longer pending was declined")

    @rule(dt=st.sampled_from([1.0, 5.0, 15.0, 21.0, 60.0]))
    def advance(self, dt: float) -> None:
        """Move time by ``dt``, ticking at each deadline in between and checking after each tick."""
        target = self.now + dt
        while (due := self.engine.next_deadline()) is not None and due <= target:
            self.now = max(self.now, due)
            self._run(self.engine.tick(self.now))
            self.check_all()
        self.now = target
        self._run(self.engine.tick(self.now))

    # -- invariants --------------------------------------------------------------------------------
    @invariant()
    def check_all(self) -> None:
        if not hasattr(self, "engine"):
            return
        tasks = {t.task_id: t for t in self.engine.tasks()}
        agents = {a.agent_id: a for a in self.engine.agents()}
        offers = self._offers()
        # No task is ever lost: every task added and not ended is still routed, in a live state.
        assert set(tasks) == self.added - self.ended
        # A task is never offered to two agents at once, and offered tasks have exactly one offer.
        offered = [o.task_id for o in offers]
        assert len(offered) == len(set(offered))
        assert set(offered) == {t.task_id for t in tasks.values() if t.state is TaskState.OFFERED}
        # No agent exceeds capacity on any channel (offers count as reserved capacity).
        for agent in agents.values():
            for channel, load in agent.load.items():
                assert load <= agent.capacity.get(channel, 0)
                held = sum(1 for o in offers if o.agent_id == agent.agent_id and o.channel == channel)
                held += sum(
                    1
                    for t in tasks.values()
                    if t.state is TaskState.ASSIGNED and t.agent_id == agent.agent_id and t.channel == channel
                )
                assert held == load
        waiting = [t for t in tasks.values() if t.state is TaskState.WAITING]
        for task in tasks.values():
            # A cool-down is bounded: it ends within decline_cooldown_s and is forgotten when it does.
            assert set(task.excluded_until) == set(task.excluded)
            for until in task.excluded_until.values():
                assert self.now < until <= self.now + self.cooldown
        for task in waiting:
            queue = QUEUES[task.queue_id]
            expected = sum(1 for s in queue.escalation if self.now - task.enqueued_at >= s.after_s)
            assert task.step == expected, "escalation step matches time waited"
            # Work conserving: no eligible agent idles while this task waits. An agent who declined or
            # missed it may idle beside it only during the cool-down and while someone else eligible is
            # available, so no task waits longer than the cool-down with an eligible agent idle.
            for agent in agents.values():
                assert not (idle_on(agent, task.channel) and eligible(agent, task, agents, self.skills))
        # Priority order, after declines and timeouts too: each offer just made went to the best-ranked
        # task that agent could take; never a lower one while a higher one they are eligible for waits.
        for event in self.last:
            if isinstance(event, OfferCreated) and event.task_id in tasks:
                offered_task = tasks[event.task_id]
                agent = agents[event.agent_id]
                for task in waiting:
                    if task.channel == offered_task.channel and eligible(agent, task, agents, self.skills):
                        assert (task.rank, task.enqueued_at) >= (offered_task.rank, offered_task.enqueued_at)


RoutingMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.slow
class TestRoutingInvariants(RoutingMachine.TestCase):
    """No double offer, no capacity overrun, work conserving, priority order, no lost task, at every step."""
