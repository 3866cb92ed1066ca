"""Behaviour of the routing engine, one rule at a time, with explicit times and no clock."""

from __future__ import annotations

import pytest

from kefu.routing import (
    AgentSetAway,
    AgentSpec,
    AgentWrapUpEnded,
    AgentWrapUpExtended,
    EngineConfig,
    EscalationStep,
    OfferAccepted,
    OfferCreated,
    OfferDeclined,
    OfferExpired,
    OfferExpiredError,
    OfferRescinded,
    Presence,
    QueueSpec,
    RoutingConflict,
    RoutingEngine,
    RoutingEvent,
    SiteScope,
    Strategy,
    TaskCompleted,
    TaskEscalated,
    TaskHandAssigned,
    TaskQueued,
    TaskRemoved,
    TaskRequeued,
    TaskSpec,
    TaskState,
    TaskStateError,
    UnknownRoutingId,
)
from kefu.routing.errors import InvalidRoutingSpec

T0 = 1_700_000_000.0
ON = Presence.AVAILABLE


def make(config: EngineConfig | None = None, *queues: QueueSpec) -> RoutingEngine:
    engine = RoutingEngine(config or EngineConfig(aging_per_s=0.0))
    for queue in queues or (QueueSpec("payments", {"payments": 1}, priority=10),):
        engine.set_queue(queue, T0)
    return engine


def agent(agent_id: str, site: str = "shenzhen", presence: Presence = ON, **skills: int) -> AgentSpec:
    return AgentSpec(agent_id, site, skills or {"payments": 3}, {"chat": 1, "voice": 1}, presence)


def task(task_id: str, at: float = T0, queue: str = "payments", **kw: object) -> TaskSpec:
    return TaskSpec(task_id, queue, str(kw.pop("channel", "chat")), at, **kw)  # type: ignore[arg-type]


def offers(events: list[RoutingEvent]) -> list[OfferCreated]:
    return [e for e in events if isinstance(e, OfferCreated)]


def test_task_arriving_with_free_agent_is_offered_at_once() -> None:
    """A new task goes straight to an idle eligible agent, with the default 20 s offer timeout."""
    engine = RoutingEngine()
    engine.set_queue(QueueSpec("payments", {"payments": 1}), T0)
    engine.add_agent(agent("a1"), T0)
    events = engine.add_task(task("t1"), T0)
    assert isinstance(events[0], TaskQueued)
    assert offers(events) == [OfferCreated("offer-1", "t1", "a1", T0 + 20, T0)]
    assert engine.task("t1").state is TaskState.OFFERED


def test_highest_priority_then_longest_waiting_goes_first() -> None:
    """A freed agent takes the highest priority task, and among equals the one waiting longest."""
    engine = make()
    engine.add_task(task("old-low", T0 - 50), T0)
    engine.add_task(task("new-high", T0, priority=5), T0)
    engine.add_task(task("old-high", T0 - 10, priority=5), T0)
    events = engine.add_agent(agent("a1"), T0)
    assert [o.task_id for o in offers(events)] == ["old-high"]


def test_priority_aging_lets_a_long_wait_overtake() -> None:
    """With aging, a low-priority task that waited long enough is served before a fresh higher one."""
    engine = make(EngineConfig(aging_per_s=1 / 60))
    engine.add_task(task("waited-10-min", T0 - 600), T0)  # 10 points of age
    engine.add_task(task("fresh-plus-5", T0, priority=5), T0)
    assert offers(engine.add_agent(agent("a1"), T0))[0].task_id == "waited-10-min"


def test_vulnerable_customer_is_boosted_and_prefers_elderly_care_agents() -> None:
    """An elderly customer's task jumps ahead and goes to the agent with the elderly_care skill."""
    engine = make()
    engine.add_task(task("ordinary", T0 - 30), T0)
    engine.add_task(task("elderly", T0, vulnerable=True), T0)
    engine.add_agent(agent("plain", payments=5, presence=Presence.OFFLINE), T0)
    engine.add_agent(agent("carer", payments=2, elderly_care=4, presence=Presence.OFFLINE), T0)
    events = engine.set_presence("carer", ON, T0) + engine.set_presence("plain", ON, T0)
    assert {(o.task_id, o.agent_id) for o in offers(events)} == {("elderly", "carer"), ("ordinary", "plain")}
    engine2 = make()
    engine2.add_agent(agent("plain", payments=5), T0)
    engine2.add_agent(agent("carer", payments=2, elderly_care=4), T0)
    assert offers(engine2.add_task(task("elderly", vulnerable=True), T0))[0].agent_id == "carer"


def test_best_skill_fit_wins_over_strategy() -> None:
    """Among eligible idle agents the one with the higher level on the required skills is chosen."""
    engine = make()
    engine.add_agent(agent("novice", payments=1), T0)
    engine.add_agent(agent("expert", payments=5), T0 + 1)
    assert offers(engine.add_task(task("t1"), T0 + 2))[0].agent_id == "expert"


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [(Strategy.LONGEST_IDLE, "a1"), (Strategy.LEAST_OCCUPIED, "a2"), (Strategy.ROUND_ROBIN, "a2")],
)
def test_strategy_breaks_ties_between_equally_fit_agents(strategy: Strategy, expected: str) -> None:
    """longest_idle picks who has been free longest; least_occupied the emptiest; round_robin the next."""
    engine = make(EngineConfig(strategy=strategy, aging_per_s=0, wrap_up_s=0))
    engine.add_agent(AgentSpec("a1", "shenzhen", {"payments": 3}, {"chat": 2}, ON), T0)
    engine.add_agent(AgentSpec("a2", "shenzhen", {"payments": 3}, {"chat": 2}, ON), T0 + 5)
    first = offers(engine.add_task(task("t1"), T0 + 10))[0]
    assert first.agent_id == "a1"  # every strategy starts with the agent registered (and free) first
    engine.accept(first.offer_id, T0 + 10)
    assert offers(engine.add_task(task("t2"), T0 + 11))[0].agent_id == expected


def test_home_site_first_then_all_sites_after_escalation() -> None:
    """A customer's task waits for its home site until the escalation step opens every site."""
    queue = QueueSpec(
        "payments", {"payments": 3}, escalation=(EscalationStep(30, {"payments": 2}, SiteScope.ALL),)
    )
    engine = make(None, queue)
    engine.add_agent(agent("far", site="chengdu", payments=2), T0)
    assert offers(engine.add_task(task("t1", home_site="wuhan"), T0)) == []
    assert engine.next_deadline() == T0 + 30
    assert engine.tick(T0 + 29.9) == []
    events = engine.tick(T0 + 30)
    assert isinstance(events[0], TaskEscalated) and events[0].step == 1 and events[0].sites == "all"
    assert offers(events)[0].agent_id == "far"


def test_simultaneous_escalations_respect_priority() -> None:
    """Tasks escalating at the same instant reach the one widened agent in priority order."""
    queue = QueueSpec("payments", {"payments": 4}, escalation=(EscalationStep(10, {"payments": 1}),))
    engine = make(None, queue)
    engine.add_agent(agent("a1", payments=1), T0)
    engine.add_task(task("low", T0), T0)
    engine.add_task(task("high", T0, priority=3), T0)
    assert offers(engine.tick(T0 + 10))[0].task_id == "high"


def test_decline_returns_task_to_its_place_and_to_the_next_agent() -> None:
    """A declined task keeps its place and waits for someone else available, not for the decliner."""
    engine = make(EngineConfig(aging_per_s=0.0, wrap_up_s=0.0))
    engine.add_agent(agent("a2"), T0)
    engine.accept(offers(engine.add_task(task("x", T0 - 30), T0))[0].offer_id, T0)
    engine.add_task(task("first", T0 - 20), T0)
    engine.add_task(task("second", T0 - 10), T0)
    offer = offers(engine.add_agent(agent("a1"), T0))[0]
    assert offer.task_id == "first"
    events = engine.decline(offer.offer_id, T0 + 1)
    assert isinstance(events[0], OfferDeclined) and isinstance(events[1], TaskRequeued)
    assert offers(events)[0].task_id == "second"  # a1 moves on; a2 is available, so first waits for a2
    assert engine.task("first").excluded_until == {"a1": T0 + 31}
    assert offers(engine.complete("x", T0 + 2))[0].task_id == "first"  # still ahead of the others


def test_a_lone_decliner_is_offered_the_task_again_at_once() -> None:
    """With nobody else eligible available, a declined task goes straight back rather than wait."""
    engine = make()
    engine.add_agent(agent("a1"), T0)
    offer = offers(engine.add_task(task("t1"), T0))[0]
    events = engine.decline(offer.offer_id, T0 + 1)
    assert [(o.task_id, o.agent_id) for o in offers(events)] == [("t1", "a1")]


def test_the_cool_down_ends_and_the_decliner_is_offered_the_task() -> None:
    """A decliner held back behind a busy colleague gets the task when the cool-down ends."""
    engine = make(EngineConfig(aging_per_s=0.0, decline_cooldown_s=30))
    engine.add_agent(agent("busy"), T0)
    engine.accept(offers(engine.add_task(task("x", T0 - 30), T0))[0].offer_id, T0)
    engine.add_agent(agent("a1"), T0)
    offer = offers(engine.add_task(task("t1"), T0))[0]
    assert offers(engine.decline(offer.offer_id, T0 + 1)) == []
    assert engine.next_deadline() == T0 + 31
    assert offers(engine.tick(T0 + 30)) == []
    assert [(o.task_id, o.agent_id) for o in offers(engine.tick(T0 + 31))] == [("t1", "a1")]


def test_the_colleague_leaving_ends_the_hold_back() -> None:
    """When the last other eligible agent goes away, a decliner idle beside the task is offered it."""
    engine = make(EngineConfig(aging_per_s=0.0))
    engine.add_agent(agent("busy"), T0)
    engine.accept(offers(engine.add_task(task("x", T0 - 30), T0))[0].offer_id, T0)
    engine.add_agent(agent("a1"), T0)
    offer = offers(engine.add_task(task("t1"), T0))[0]
    assert offers(engine.decline(offer.offer_id, T0 + 1)) == []
    events = engine.set_presence("busy", Presence.AWAY, T0 + 5)
    assert [(o.task_id, o.agent_id) for o in offers(events)] == [("t1", "a1")]


def test_escalation_forgives_an_earlier_miss() -> None:
    """An agent who missed a task is offered it again once the task escalates to its next step."""
    queue = QueueSpec(
        "anti_fraud", {"anti_fraud": 3}, 100, (EscalationStep(60, {"anti_fraud": 1}, SiteScope.ALL),)
    )
    engine = make(EngineConfig(max_missed_offers=5, decline_cooldown_s=600))
    engine.set_queue(queue, T0)
    colleague = AgentSpec("colleague", "chongqing", {"anti_fraud": 5}, {"voice": 1}, ON)
    engine.add_agent(colleague, T0)
    engine.accept(
        offers(engine.add_task(TaskSpec("call", "anti_fraud", "voice", T0 - 5), T0))[0].offer_id, T0
    )
    lone = AgentSpec("lone", "chongqing", {"anti_fraud": 5}, {"voice": 1}, ON)
    engine.add_agent(lone, T0)
    first = offers(engine.add_task(TaskSpec("case", "anti_fraud", "voice", T0, home_site="chongqing"), T0))
    assert [o.agent_id for o in first] == ["lone"]
    missed = engine.tick(T0 + 20)
    assert offers(missed) == []  # held back at this step while the colleague is available
    again = engine.tick(T0 + 60)
    assert any(isinstance(e, TaskEscalated) for e in again)
    assert [(o.task_id, o.agent_id) for o in offers(again)] == [("case", "lone")]


def test_a_missed_offer_sets_the_agent_away_by_default() -> None:
    """One unanswered offer sets the agent away (reason missed), so they get no other work either."""
    engine = make()
    engine.add_agent(agent("a1"), T0)
    engine.add_task(task("elderly", T0, vulnerable=True), T0)
    engine.add_task(task("young", T0), T0)
    events = engine.tick(T0 + 20)
    assert AgentSetAway("a1", 1, T0 + 20, "missed") in events
    assert offers(events) == []
    assert engine.agent("a1").presence is Presence.AWAY


def test_coming_back_available_forgives_earlier_misses() -> None:
    """An agent set away after missing a task is offered it again when they come back available."""
    engine = make(EngineConfig(max_missed_offers=1))
    engine.add_agent(agent("a1", payments=3), T0)
    first = offers(engine.add_task(task("t1", T0), T0))
    assert [o.agent_id for o in first] == ["a1"]
    missed = engine.tick(T0 + 20)
    assert any(isinstance(e, AgentSetAway) for e in missed)
    back = offers(engine.set_presence("a1", ON, T0 + 30))
    assert [(o.task_id, o.agent_id) for o in back] == [("t1", "a1")]


def test_timeouts_in_a_row_set_the_agent_away() -> None:
    """After max_missed_offers unanswered offers in a row the agent is set away and the task moves on."""
    engine = make(EngineConfig(max_missed_offers=2, aging_per_s=0))
    for n in range(3):
        engine.add_task(task(f"t{n}", T0 + n), T0)
    engine.add_agent(agent("a1"), T0)
    events = engine.tick(T0 + 20)
    assert [type(e) for e in events[:2]] == [OfferExpired, TaskRequeued]
    events = engine.tick(T0 + 40)
    assert AgentSetAway("a1", 2, T0 + 40) in events
    assert engine.agent("a1").presence is Presence.AWAY
    assert {t.state for t in engine.tasks()} == {TaskState.WAITING}
    assert engine.next_deadline() == T0 + 70  # only the second miss's cool-down is left


def test_accepting_expired_or_declined_offer_is_a_conflict() -> None:
    """A late or repeated answer raises a RoutingConflict with a stable code, leaving state unchanged."""
    engine = make()
    engine.add_agent(agent("a1"), T0)
    offer = offers(engine.add_task(task("t1"), T0))[0]
    with pytest.raises(OfferExpiredError) as late:
        engine.accept(offer.offer_id, T0 + 20)
    assert late.value.code == "offer_expired" and late.value.status == 409
    assert engine.task("t1").state is TaskState.OFFERED  # nothing changed until tick expires it
    engine.decline(offer.offer_id, T0 + 5)
    with pytest.raises(RoutingConflict) as declined:
        engine.accept(offer.offer_id, T0 + 6)
    assert declined.value.code == "offer_declined"
    with pytest.raises(UnknownRoutingId):
        engine.accept("no-such-offer", T0)


def test_wrap_up_blocks_that_channel_until_it_ends() -> None:
    """After completing a task the agent gets no new offer on that channel until wrap-up ends."""
    engine = make(EngineConfig(wrap_up_s=10, aging_per_s=0))
    engine.add_agent(agent("a1"), T0)
    engine.accept(offers(engine.add_task(task("t1"), T0))[0].offer_id, T0 + 1)
    engine.add_task(task("t2"), T0 + 2)
    events = engine.complete("t1", T0 + 5)
    assert events == [TaskCompleted("t1", "payments", "a1", T0 + 5, T0 + 15)]
    assert offers(engine.add_task(task("v1", channel="voice"), T0 + 6))[0].agent_id == "a1"
    events = engine.tick(T0 + 15)
    assert events[0] == AgentWrapUpEnded("a1", "chat", T0 + 15)
    assert offers(events)[0].task_id == "t2"


def test_chat_capacity_allows_several_tasks_at_once() -> None:
    """An agent with chat capacity 3 holds three chats, not a fourth."""
    engine = make()
    engine.add_agent(AgentSpec("a1", "shenzhen", {"payments": 2}, {"chat": 3}, ON), T0)
    made = [offers(engine.add_task(task(f"t{n}"), T0)) for n in range(4)]
    assert [len(m) for m in made] == [1, 1, 1, 0]
    assert engine.agent("a1").load == {"chat": 3}


def test_abandoning_an_offered_task_rescinds_the_offer() -> None:
    """A customer who leaves while offered ends the task; the agent is free for the next one."""
    engine = make()
    engine.add_agent(agent("a1"), T0)
    offer = offers(engine.add_task(task("t1"), T0))[0]
    engine.add_task(task("t2"), T0 + 1)
    events = engine.remove_task("t1", T0 + 2)
    assert events[:2] == [
        OfferRescinded(offer.offer_id, "t1", "a1", "task_removed", T0 + 2),
        TaskRemoved("t1", "payments", "abandoned", T0 + 2),
    ]
    assert offers(events)[0].task_id == "t2"
    with pytest.raises(UnknownRoutingId):
        engine.task("t1")


def test_going_away_returns_pending_offers() -> None:
    """An agent who goes away loses pending offers, whose tasks go back to wait."""
    engine = make()
    engine.add_agent(agent("a1"), T0)
    engine.add_task(task("t1"), T0)
    events = engine.set_presence("a1", Presence.AWAY, T0 + 1)
    assert isinstance(events[0], OfferRescinded) and events[0].reason == "agent_unavailable"
    assert engine.task("t1").state is TaskState.WAITING


def test_id_factory_supplies_offer_ids() -> None:
    """Offer ids come from the caller's factory, so the service layer can use uuid7 strings."""
    ids = iter(["id-a", "id-b"])
    engine = RoutingEngine(id_factory=lambda: next(ids))
    engine.set_queue(QueueSpec("payments", {"payments": 1}), T0)
    engine.add_agent(agent("a1"), T0)
    assert offers(engine.add_task(task("t1"), T0))[0].offer_id == "id-a"


def test_restore_creates_no_offers_until_rebalance() -> None:
    """Rebuilt from persisted state, the engine keeps offers and assignments and offers nothing new until
    rebalance; a restored offer already past its expiry expires at the first rebalance."""
    engine = make(EngineConfig(aging_per_s=0.0, max_missed_offers=3))
    for n in ("a1", "a2", "a3"):
        engine.restore_agent(agent(n), T0)
    for n in ("t1", "t2", "t3", "t4"):
        engine.restore_task(task(n, T0 - 100 + int(n[1])), T0)
    engine.restore_assignment("t1", "a1")
    engine.restore_offer("o-old", "t2", "a2", T0 - 30, T0 - 10)
    engine.restore_wrap_up("a3", "chat", T0 + 5)
    assert engine.next_deadline() == T0 - 10
    states = {t.task_id: t.state for t in engine.tasks()}
    assert states == {"t1": "assigned", "t2": "offered", "t3": "waiting", "t4": "waiting"}
    events = engine.rebalance(T0)
    assert isinstance(events[0], OfferExpired)
    assert {(o.task_id, o.agent_id) for o in offers(events)} == {("t3", "a2")}
    assert {(o.task_id, o.agent_id) for o in offers(engine.tick(T0 + 5))} == {("t2", "a3")}


def test_queue_figures_report_waiting_and_agents_by_site() -> None:
    """Stats show waiting count, longest wait, and qualified agents per site by state."""
    engine = make()
    engine.add_task(task("t1", T0 - 42), T0)
    engine.add_task(task("t2", T0 - 7), T0)
    engine.add_agent(agent("a1", site="hefei"), T0)
    engine.add_agent(agent("a2", site="hefei", presence=Presence.AWAY), T0)
    engine.add_agent(agent("a3", site="wuhan", games=3), T0)  # not qualified for payments
    figures = engine.queue_figures("payments", T0 + 1)
    assert (figures.waiting, figures.longest_wait_s) == (1, 8.0)
    assert figures.agents == {"hefei": {"available": 0, "busy": 1, "away": 1}}


def test_accepted_offer_becomes_assignment() -> None:
    """Accepting a pending offer in time assigns the task and reports OfferAccepted."""
    engine = make()
    engine.add_agent(agent("a1"), T0)
    offer = offers(engine.add_task(task("t1"), T0))[0]
    assert engine.accept(offer.offer_id, T0 + 19) == [OfferAccepted(offer.offer_id, "t1", "a1", T0 + 19)]
    view = engine.task("t1")
    assert (view.state, view.agent_id) == (TaskState.ASSIGNED, "a1")


def test_bad_specs_are_refused() -> None:
    """Unknown queues, bad skill levels and non-increasing escalation steps are refused as bad input."""
    engine = make()
    with pytest.raises(UnknownRoutingId):
        engine.add_task(task("t1", queue="nope"), T0)
    with pytest.raises(InvalidRoutingSpec):
        engine.add_agent(agent("a1", payments=7), T0)
    with pytest.raises(InvalidRoutingSpec):
        engine.set_queue(QueueSpec("q", {"x": 1}, escalation=(EscalationStep(0, {"x": 1}),)), T0)


def test_replacing_a_queue_moves_its_waiting_tasks_to_the_new_steps() -> None:
    """Relaxing a queue's skills at run time lets a waiting task reach an agent who did not qualify."""
    engine = make(None, QueueSpec("payments", {"payments": 4}))
    engine.add_agent(agent("a1", payments=2), T0)
    assert offers(engine.add_task(task("t1"), T0)) == []
    events = engine.set_queue(QueueSpec("payments", {"payments": 2}), T0 + 1)
    assert offers(events)[0].agent_id == "a1"
    assert engine.queue_figures("payments", T0 + 1).agents == {
        "shenzhen": {"available": 0, "busy": 1, "away": 0}
    }


def test_updating_an_agent_keeps_their_work_and_routes_by_new_skills() -> None:
    """New skills take effect at once; an assignment held before the change is kept."""
    engine = make(None, QueueSpec("payments", {"payments": 1}), QueueSpec("games", {"games": 2}))
    engine.add_agent(AgentSpec("a1", "wuhan", {"payments": 3}, {"chat": 1, "voice": 1}, ON), T0)
    engine.accept(offers(engine.add_task(task("t1"), T0))[0].offer_id, T0)
    engine.add_task(task("g1", queue="games", channel="voice"), T0)
    events = engine.update_agent(
        AgentSpec("a1", "wuhan", {"payments": 3, "games": 2}, {"chat": 1, "voice": 1}, ON), T0
    )
    assert offers(events)[0].task_id == "g1"
    assert engine.task("t1").state is TaskState.ASSIGNED


def test_repeated_offer_id_is_refused_without_losing_the_task() -> None:
    """If the id factory repeats an id the engine refuses to offer, and the task stays waiting."""
    engine = RoutingEngine(id_factory=lambda: "same")
    engine.set_queue(QueueSpec("payments", {"payments": 1}), T0)
    engine.add_agent(AgentSpec("a1", "shenzhen", {"payments": 3}, {"chat": 2}, ON), T0)
    engine.add_task(task("t1"), T0)
    with pytest.raises(RoutingConflict):
        engine.add_task(task("t2"), T0)
    assert engine.task("t2").state is TaskState.WAITING


def test_a_case_task_goes_to_any_base_at_once() -> None:
    """A task with home_s=0 (a case) is offered to a free specialist at another base straight away."""
    engine = make(EngineConfig(aging_per_s=0.0), QueueSpec("anti_fraud", {"anti_fraud": 3}, 100))
    engine.add_agent(AgentSpec("far", "yinchuan", {"anti_fraud": 4}, {"voice": 1}, ON), T0)
    spec = TaskSpec("case", "anti_fraud", "voice", T0, home_site="chengdu", home_s=0.0)
    assert [o.agent_id for o in offers(engine.add_task(spec, T0))] == ["far"]


def test_home_first_ends_after_home_s_without_an_escalation_step() -> None:
    """An elderly customer's task waits for the home base only home_s seconds, then any base may take it."""
    engine = make()
    engine.add_agent(agent("cq", site="chongqing"), T0)
    spec = TaskSpec("old", "payments", "chat", T0, vulnerable=True, home_site="wuhan", home_s=10.0)
    assert offers(engine.add_task(spec, T0)) == []
    assert engine.next_deadline() == T0 + 10
    assert engine.task("old").home_site == "wuhan"
    assert [o.agent_id for o in offers(engine.tick(T0 + 10))] == ["cq"]
    assert engine.task("old").home_site is None


def test_the_preferred_agent_is_offered_the_task_first() -> None:
    """A case contacted again goes to the specialist who spoke to the payer before, not the longest idle."""
    engine = make()
    engine.add_agent(agent("first-idle"), T0)
    engine.add_agent(agent("specialist"), T0 + 5)
    spec = TaskSpec("t1", "payments", "chat", T0 + 10, preferred_agent="specialist")
    assert [o.agent_id for o in offers(engine.add_task(spec, T0 + 10))] == ["specialist"]


def test_a_hand_assignment_counts_against_capacity() -> None:
    """Assigned by hand, an offered task's offer is rescinded and the assignee is full on that channel."""
    engine = make()
    engine.add_agent(agent("a1"), T0)
    engine.add_agent(agent("a2"), T0)
    offer = offers(engine.add_task(task("t1"), T0))[0]
    events = engine.assign("t1", "a2", T0 + 1)
    assert OfferRescinded(offer.offer_id, "t1", offer.agent_id, "assigned_by_hand", T0 + 1) in events
    assert TaskHandAssigned("t1", "payments", "a2", T0 + 1) in events
    assert engine.agent("a2").load["chat"] == 1
    nxt = offers(engine.add_task(task("t2"), T0 + 2))
    assert [o.agent_id for o in nxt] == ["a1"]  # a2 is full with the hand-assigned chat
    assert engine.complete("t1", T0 + 3)[0].agent_id == "a2"


def test_an_agent_ends_wrap_up_early_and_is_offered_work_at_once() -> None:
    """Ending wrap-up early frees the channel: the waiting task is offered there and then."""
    engine = make(EngineConfig(aging_per_s=0.0, wrap_up_s=60))
    engine.add_agent(agent("a1"), T0)
    engine.accept(offers(engine.add_task(task("t1"), T0))[0].offer_id, T0)
    engine.complete("t1", T0 + 10)
    assert offers(engine.add_task(task("t2"), T0 + 11)) == []
    events = engine.end_wrap_up("a1", T0 + 12)
    assert AgentWrapUpEnded("a1", "chat", T0 + 12) in events
    assert [o.task_id for o in offers(events)] == ["t2"]
    assert engine.end_wrap_up("a1", T0 + 13) == []


def test_wrap_up_is_extended_once_and_by_a_bounded_time() -> None:
    """An extension is capped at wrap_up_extend_s; a second one is refused until the next wrap-up."""
    engine = make(EngineConfig(aging_per_s=0.0, wrap_up_s=10, wrap_up_extend_s=30))
    engine.add_agent(agent("a1"), T0)
    engine.accept(offers(engine.add_task(task("t1"), T0))[0].offer_id, T0)
    engine.complete("t1", T0)
    assert engine.extend_wrap_up("a1", 600, T0 + 1) == [AgentWrapUpExtended("a1", "chat", T0 + 40, T0 + 1)]
    with pytest.raises(TaskStateError):
        engine.extend_wrap_up("a1", 5, T0 + 2)
    assert engine.next_deadline() == T0 + 40
    assert AgentWrapUpEnded("a1", "chat", T0 + 40) in engine.tick(T0 + 40)
    with pytest.raises(TaskStateError):
        engine.extend_wrap_up("a1", 5, T0 + 41)
