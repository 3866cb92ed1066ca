"""Discrete-event simulation of a service centre, driving the real routing engine.

A small event heap replaces a simulation library: calls arrive as Poisson streams, wait in the real
``kefu.routing.RoutingEngine``, are offered to simulated agents who accept at once, are handled for a
random time, and (optionally) hang up if their patience runs out first. Engine deadlines (escalations,
wrap-up ends) are processed with ``tick`` exactly when due, so the engine sees the same sequence of
calls it would see in production, only faster.

Two entry points:

* ``simulate_centre``: one queue, N identical agents; with exponential handle times, no wrap-up and no
  abandonment this is the M/M/N system of Erlang C, which is how the engine and Erlang C check each other.
* ``multi_site_scenario``: several queues with skills, six sites, home-site routing and escalation.
"""

from __future__ import annotations

import heapq
import itertools
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.errors import InvalidInput
from kefu.routing import (
    AgentSpec,
    EngineConfig,
    EscalationStep,
    OfferCreated,
    Presence,
    QueueSpec,
    RoutingEngine,
    RoutingEvent,
    SiteScope,
    TaskEscalated,
    TaskSpec,
    TaskState,
)
from kefu.routing.estimate import HandleTimes, estimate_wait_s

HandleTime = Callable[[random.Random, float], float]


def exponential(rng: random.Random, mean: float) -> float:
    return rng.expovariate(1 / mean)


def fixed(rng: random.Random, mean: float) -> float:
    return mean


HANDLE_TIMES: dict[str, HandleTime] = {"exponential": exponential, "fixed": fixed}


@dataclass(frozen=True, slots=True)
class Stream:
    """Poisson arrivals of calls for one queue, optionally from one home site."""

    queue_id: str
    calls_per_hour: float
    aht_s: float
    home_site: str | None = None
    vulnerable_share: float = 0.0
    channel: str = "voice"


@dataclass(slots=True)
class _Call:
    task_id: str
    stream: Stream
    arrived: float
    counted: bool
    answered: float | None = None
    agent_site: str | None = None
    abandoned: bool = False
    escalated: bool = False
    estimate_s: float | None = None  # the wait a customer would have been told on arrival
    handle_s: float = 0.0


@dataclass(slots=True)
class CentreRun:
    """Everything a run measured; ``calls`` are those that arrived after warm-up and before the end."""

    calls: list[_Call]
    busy_s: dict[str, float]
    agents_per_site: dict[str, int]
    measured_s: float
    warmup_s: float
    extra: dict[str, Any] = field(default_factory=dict)


class _Centre:
    """The event loop. Events on the heap are (time, sequence, kind, payload); the sequence number keeps
    simultaneous events in the order they were scheduled, so a run is reproducible from its seed."""

    def __init__(
        self,
        queues: Sequence[QueueSpec],
        agents: Sequence[AgentSpec],
        end_s: float,
        warmup_s: float,
        handle_time: HandleTime,
        wrap_up_s: float,
        seed: int,
    ) -> None:
        self.rng = random.Random(seed)
        self.engine = RoutingEngine(EngineConfig(wrap_up_s=wrap_up_s))
        self.end_s, self.warmup_s, self.handle_time = end_s, warmup_s, handle_time
        for queue in queues:
            self.engine.set_queue(queue, 0.0)
        self.site_of: dict[str, str] = {}
        self.per_site: dict[str, int] = {}
        for spec in agents:
            self.engine.add_agent(spec, 0.0)
            self.site_of[spec.agent_id] = spec.site
            self.per_site[spec.site] = self.per_site.get(spec.site, 0) + 1
        self.busy: dict[str, float] = dict.fromkeys(self.per_site, 0.0)
        self.heap: list[tuple[float, int, str, Any]] = []
        self.seq = itertools.count()
        self.ids = itertools.count()
        self.calls: dict[str, _Call] = {}
        self.finished: list[_Call] = []
        self.handle_times = HandleTimes()

    def schedule(self, when: float, kind: str, payload: Any) -> None:
        heapq.heappush(self.heap, (when, next(self.seq), kind, payload))

    def handle(self, events: list[RoutingEvent], now: float) -> None:
        """Simulated agents accept every offer at once and start handling the call."""
        for event in events:
            if isinstance(event, OfferCreated):
                self.engine.accept(event.offer_id, now)
                call = self.calls[event.task_id]
                site = self.site_of[event.agent_id]
                call.answered, call.agent_site = now, site
                call.handle_s = self.handle_time(self.rng, call.stream.aht_s)
                done = now + call.handle_s
                self.busy[site] += max(0.0, min(done, self.end_s) - max(now, self.warmup_s))
                self.schedule(done, "finish", event.task_id)
            elif isinstance(event, TaskEscalated):
                self.calls[event.task_id].escalated = True

    def arrive(self, stream: Stream, now: float, patience_s: float | None) -> None:
        if now >= self.end_s:
            return
        self.schedule(now + self.rng.expovariate(stream.calls_per_hour / 3600), "arrive", stream)
        call = _Call(f"call-{next(self.ids)}", stream, now, counted=now >= self.warmup_s)
        self.calls[call.task_id] = call
        vulnerable = self.rng.random() < stream.vulnerable_share
        spec = TaskSpec(call.task_id, stream.queue_id, stream.channel, now, 0, vulnerable, stream.home_site)
        self.handle(self.engine.add_task(spec, now), now)
        place = self.engine.place(call.task_id) if call.answered is None else None
        if place is not None and place.state is TaskState.WAITING:
            mean = self.handle_times.mean(stream.queue_id)
            call.estimate_s = estimate_wait_s(place.ahead, mean, place.servers)
        if patience_s is not None:
            self.schedule(now + self.rng.expovariate(1 / patience_s), "abandon", call.task_id)

    def run(self, streams: Sequence[Stream], patience_s: float | None) -> None:
        for stream in streams:
            self.schedule(self.rng.expovariate(stream.calls_per_hour / 3600), "arrive", stream)
        engine = self.engine
        while self.heap:
            now, _, kind, payload = heapq.heappop(self.heap)
            while (due := engine.next_deadline()) is not None and due <= now:
                self.handle(engine.tick(due), due)
            if kind == "arrive":
                self.arrive(payload, now, patience_s)
            elif kind == "finish":
                done = self.calls.pop(payload)
                self.handle_times.add(done.stream.queue_id, done.handle_s)
                self.finished.append(done)
                self.handle(engine.complete(payload, now), now)
            elif payload in self.calls and self.calls[payload].answered is None:  # patience ran out
                call = self.calls.pop(payload)
                call.abandoned = True
                self.finished.append(call)
                self.handle(engine.remove_task(payload, now), now)


def run_centre(
    queues: Sequence[QueueSpec],
    streams: Sequence[Stream],
    agents: Sequence[AgentSpec],
    hours: float,
    *,
    patience_s: float | None = None,
    handle_time: HandleTime = exponential,
    wrap_up_s: float = 0.0,
    warmup_s: float = 0.0,
    seed: int = 0,
) -> CentreRun:
    """Run arrivals until ``hours``, then drain until every call is answered or abandoned. Patience,
    when given, is exponential with mean ``patience_s``."""
    end_s = hours * 3600
    centre = _Centre(queues, agents, end_s, warmup_s, handle_time, wrap_up_s, seed)
    centre.run(streams, patience_s)
    counted = sorted((c for c in centre.finished if c.counted), key=lambda c: c.arrived)
    return CentreRun(counted, centre.busy, centre.per_site, max(0.0, end_s - warmup_s), warmup_s)


def figures(calls: Sequence[_Call], answer_within_s: float) -> dict[str, float | int]:
    """Service level (answered within the target over all calls, abandoned ones included), ASA of
    answered calls, abandon rate, and the call count."""
    answered = [c.answered - c.arrived for c in calls if c.answered is not None]
    total = len(calls)
    within = sum(1 for wait in answered if wait <= answer_within_s)
    return {
        "service_level": round(within / total, 4) if total else 1.0,
        "asa_s": round(statistics.fmean(answered), 2) if answered else 0.0,
        "abandon_rate": round(sum(1 for c in calls if c.abandoned) / total, 4) if total else 0.0,
        "calls": total,
    }


def wait_estimate_errors(calls: Sequence[_Call]) -> dict[str, float | int]:
    """How the wait told on arrival (``kefu.routing.estimate``) compared with the wait that followed, over
    answered calls that had to queue: the mean error (estimate minus actual; positive = told too long) and
    the median and 90th percentile of the absolute error, in seconds."""
    errors = [
        c.estimate_s - (c.answered - c.arrived)
        for c in calls
        if c.estimate_s is not None and c.answered is not None
    ]
    if not errors:
        return {"estimated": 0, "mean_error_s": 0.0, "median_abs_error_s": 0.0, "p90_abs_error_s": 0.0}
    absolute = sorted(abs(e) for e in errors)
    return {
        "estimated": len(errors),
        "mean_error_s": round(statistics.fmean(errors), 1),
        "median_abs_error_s": round(statistics.median(absolute), 1),
        "p90_abs_error_s": round(absolute[min(len(absolute) - 1, int(0.9 * len(absolute)))], 1),
    }


def batch_means(run: CentreRun, answer_within_s: float, batches: int) -> list[dict[str, float | int]]:
    """Figures per equal slice of the measured period, by arrival time. Slices much longer than the
    queue's relaxation time are nearly independent, which makes their spread an honest error bar."""
    width = run.measured_s / batches
    groups: list[list[_Call]] = [[] for _ in range(batches)]
    for call in run.calls:
        index = min(batches - 1, int((call.arrived - run.warmup_s) // width))
        groups[index].append(call)
    return [figures(group, answer_within_s) for group in groups]


def single_queue(agents: int, skill: str = "voice_service") -> tuple[QueueSpec, list[AgentSpec]]:
    """One queue and ``agents`` identical agents at one site, each taking one call at a time."""
    queue = QueueSpec("general", {skill: 1})
    specs = [
        AgentSpec(f"agent-{n}", "shenzhen", {skill: 3}, {"voice": 1}, Presence.AVAILABLE)
        for n in range(agents)
    ]
    return queue, specs


def simulate_centre(
    hours: float,
    calls_per_hour: float,
    aht_s: float,
    agents: int,
    patience_s: float | None = None,
    seed: int = 0,
    *,
    answer_within_s: float = 20.0,
    handle_time: str = "exponential",
    wrap_up_s: float = 0.0,
    warmup_share: float = 0.05,
) -> dict[str, Any]:
    """What ``kefu sim centre`` prints: one queue, ``agents`` agents, Poisson calls.

    The first ``warmup_share`` of the run is not measured, so the empty start does not flatter the
    figures. ``occupancy`` is agents' handling time over their available time in the measured period."""
    if hours <= 0 or calls_per_hour <= 0 or aht_s <= 0 or agents < 1:
        raise InvalidInput("hours, calls per hour and AHT must be positive, with at least one agent")
    if handle_time not in HANDLE_TIMES or (patience_s is not None and patience_s <= 0):
        raise InvalidInput(f"handle time must be one of {sorted(HANDLE_TIMES)}; patience must be positive")
    queue, specs = single_queue(agents)
    stream = Stream("general", calls_per_hour, aht_s)
    run = run_centre(
        [queue],
        [stream],
        specs,
        hours,
        patience_s=patience_s,
        handle_time=HANDLE_TIMES[handle_time],
        wrap_up_s=wrap_up_s,
        warmup_s=hours * 3600 * warmup_share,
        seed=seed,
    )
    result = figures(run.calls, answer_within_s)
    occupancy = sum(run.busy_s.values()) / (agents * run.measured_s)
    return {
        "service_level": result["service_level"],
        "asa_s": result["asa_s"],
        "abandon_rate": result["abandon_rate"],
        "occupancy": round(occupancy, 4),
        "calls": result["calls"],
        "wait_estimate": wait_estimate_errors(run.calls),
    }


# == multi-skill, multi-site scenario ==================================================================
SITES = ("shenzhen", "chongqing", "chengdu", "wuhan", "yinchuan", "hefei")
TARGETS_S = {"anti_fraud": 10.0, "elderly_care": 20.0, "payments": 20.0, "games": 30.0}


def scenario_queues(escalation: bool = True) -> list[QueueSpec]:
    """Four queues; with ``escalation`` their needs relax over time and open every site."""
    steps: dict[str, tuple[EscalationStep, ...]] = {
        "anti_fraud": (EscalationStep(15, {"anti_fraud": 2}, SiteScope.ALL),),
        "elderly_care": (EscalationStep(30, {"elderly_care": 1}, SiteScope.ALL),),
        "payments": (
            EscalationStep(20, {"payments": 2}, SiteScope.HOME),
            EscalationStep(45, {"payments": 2}, SiteScope.ALL),
        ),
        "games": (EscalationStep(60, {"games": 1}, SiteScope.ALL),),
    }
    base = {"anti_fraud": ({"anti_fraud": 3}, 100), "elderly_care": ({"elderly_care": 2}, 50)}
    base |= {"payments": ({"payments": 3}, 20), "games": ({"games": 2}, 10)}
    return [
        QueueSpec(name, skills, priority, steps[name] if escalation else ())
        for name, (skills, priority) in base.items()
    ]


def scenario_agents(rng: random.Random) -> list[AgentSpec]:
    """Sixty agents at six sites with mixed skills; chengdu is short-staffed on purpose."""
    headcount = {"shenzhen": 14, "chongqing": 10, "chengdu": 4, "wuhan": 12, "yinchuan": 8, "hefei": 12}
    specs = []
    for site, count in headcount.items():
        for n in range(count):
            skills = {"payments": rng.randint(2, 4), "games": rng.randint(1, 3)}
            if n % 3 == 0:
                skills["anti_fraud"] = rng.randint(3, 5)
            if n % 3 == 1:
                skills["elderly_care"] = rng.randint(2, 4)
            specs.append(AgentSpec(f"{site}-{n}", site, skills, {"voice": 1}, Presence.AVAILABLE))
    return specs


def scenario_streams() -> list[Stream]:
    """Demand from every site's customers; chengdu's demand is far above its own staff."""
    streams = []
    for site in SITES:
        demand = 3.0 if site == "chengdu" else 1.0
        streams += [
            Stream("payments", 45 * demand, 240, site),
            Stream("games", 25 * demand, 180, site),
            Stream("elderly_care", 8 * demand, 360, site, vulnerable_share=1.0),
            Stream("anti_fraud", 4 * demand, 420, site),
        ]
    return streams


def multi_site_scenario(
    hours: float = 8.0, seed: int = 0, escalation: bool = True, patience_s: float | None = 300.0
) -> dict[str, Any]:
    """Run the scenario and report per queue (service level against its own target, ASA, abandon
    rate, share escalated, share answered away from the home site) and occupancy per site."""
    rng = random.Random(seed)
    run = run_centre(
        scenario_queues(escalation),
        scenario_streams(),
        scenario_agents(rng),
        hours,
        patience_s=patience_s,
        warmup_s=min(1800.0, hours * 360),
        seed=seed,
    )
    queues: dict[str, Any] = {}
    for name, target in TARGETS_S.items():
        calls = [c for c in run.calls if c.stream.queue_id == name]
        row: dict[str, Any] = dict(figures(calls, target))
        answered = [c for c in calls if c.answered is not None]
        row["answer_within_s"] = target
        row["escalated"] = round(sum(c.escalated for c in calls) / max(1, len(calls)), 4)
        away = sum(1 for c in answered if c.agent_site != c.stream.home_site)
        row["answered_away_from_home"] = round(away / max(1, len(answered)), 4)
        queues[name] = row
    occupancy = {
        site: round(run.busy_s[site] / (count * run.measured_s), 4)
        for site, count in run.agents_per_site.items()
    }
    chengdu = [c for c in run.calls if c.stream.home_site == "chengdu"]
    return {
        "hours": hours,
        "escalation": escalation,
        "queues": queues,
        "occupancy_by_site": occupancy,
        "chengdu_customers": figures(chengdu, 20.0),
        "all_calls": figures(run.calls, 20.0),
    }
