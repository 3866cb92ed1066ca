"""kefu's Prometheus metrics: one registry per process, fed by the HTTP middleware, by committed events and,
when scraped, by a look at the live tasks and the outbox.

Names (``docs/operations.md`` lists them with their meaning):

    kefu_http_requests_total{method,route,status}       requests by route template, never by raw path
    kefu_http_request_duration_seconds{method,route}    their latency
    kefu_routing_decisions_total                        offers the routing engine made
    kefu_offers_total{outcome}                          accepted, declined, expired, rescinded
    kefu_screening_decisions_total{decision}            allow, warn, hold, block
    kefu_screening_seconds                              time to answer POST /api/v1/payments/screen
    kefu_queue_waiting{queue}                           tasks waiting or offered, not yet taken
    kefu_queue_longest_wait_seconds{queue}              how long the oldest of them has waited
    kefu_callbacks_due                                  callbacks due and waiting for an agent
    kefu_outbox_lag_seconds                             age of the oldest event not yet published
    kefu_router_lease_holder{partition,holder}          1 for the router holding a partition's lease
"""

from __future__ import annotations

import weakref
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from kefu.domain.cases import PaymentScreened
from kefu.routing.events import OfferAccepted, OfferCreated, OfferDeclined, OfferExpired, OfferRescinded
from kefu.services.messagebus import MessageBus

SCREEN_ROUTE = "/api/v1/payments/screen"
_OUTCOMES: dict[type[Any], str] = {
    OfferAccepted: "accepted",
    OfferDeclined: "declined",
    OfferExpired: "expired",
    OfferRescinded: "rescinded",
}
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The process's metrics. Counters only grow; the live gauges are set each time they are scraped."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "kefu_http_requests", "HTTP requests by route template", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "kefu_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.routing_decisions = Counter(
            "kefu_routing_decisions", "Offers the routing engine made (one per decision)", registry=r
        )
        self.offers = Counter("kefu_offers", "Offers by how they ended", ["outcome"], registry=r)
        self.screening = Counter(
            "kefu_screening_decisions", "Screening decisions by outcome", ["decision"], registry=r
        )
        self.screening_seconds = Histogram(
            "kefu_screening_seconds",
            "Time to answer a screening request (POST /api/v1/payments/screen)",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_waiting = Gauge(
            "kefu_queue_waiting", "Tasks waiting or offered, not yet taken, by queue", ["queue"], registry=r
        )
        self.longest_wait = Gauge(
            "kefu_queue_longest_wait_seconds",
            "How long the oldest waiting task has waited",
            ["queue"],
            registry=r,
        )
        self.callbacks_due = Gauge("kefu_callbacks_due", "Callbacks due and waiting for an agent", registry=r)
        self.outbox_lag = Gauge(
            "kefu_outbox_lag_seconds", "Age of the oldest event not yet published (-1: unknown)", registry=r
        )
        # Set by whichever process runs a partition's router (1 for the holder, 0 once it lost the lease).
        self.lease_holder = Gauge(
            "kefu_router_lease_holder",
            "1 while this router holds the partition's lease",
            ["partition", "holder"],
            registry=r,
        )
        self._buses: weakref.WeakSet[MessageBus] = weakref.WeakSet()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if route == SCREEN_ROUTE and status == 200:
            self.screening_seconds.observe(seconds)

    def attach(self, bus: MessageBus) -> None:
        """Count what ``bus`` commits from now on (once per bus)."""
        if bus in self._buses:
            return
        self._buses.add(bus)

        async def decided(_event: OfferCreated) -> None:
            self.routing_decisions.inc()

        async def ended(event: Any) -> None:
            self.offers.labels(_OUTCOMES[type(event)]).inc()

        async def screened(event: PaymentScreened) -> None:
            self.screening.labels(event.decision).inc()

        bus.subscribe(OfferCreated, decided)
        for kind in _OUTCOMES:
            bus.subscribe(kind, ended)
        bus.subscribe(PaymentScreened, screened)

    async def refresh(self, bus: MessageBus, outbox_lag_s: float | None) -> None:
        """Set the live gauges from the tasks not yet ended (one query) and the outbox lag."""
        now = bus.clock.now()
        async with bus.uow_factory() as uow:
            live = await uow.tasks.live()
        waiting: dict[str, int] = {}
        oldest: dict[str, float] = {}
        due = 0
        for task in live:
            if task.state not in ("waiting", "offered"):
                continue
            waiting[task.queue_id] = waiting.get(task.queue_id, 0) + 1
            oldest[task.queue_id] = max(
                oldest.get(task.queue_id, 0.0), (now - task.enqueued_at).total_seconds()
            )
            due += task.kind == "callback"
        # Queues that emptied since the last scrape read 0, not their last value.
        self.queue_waiting.clear()
        self.longest_wait.clear()
        for queue in (q.id for q in await _queues(bus)):
            self.queue_waiting.labels(queue).set(waiting.get(queue, 0))
            self.longest_wait.labels(queue).set(oldest.get(queue, 0.0))
        self.callbacks_due.set(due)
        self.outbox_lag.set(-1 if outbox_lag_s is None else outbox_lag_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def _queues(bus: MessageBus) -> list[Any]:
    async with bus.uow_factory() as uow:
        return list(await uow.queues.list())


METRICS = Metrics()  # one per process: Prometheus scrapes a process, whatever roles it runs
