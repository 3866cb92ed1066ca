"""In-memory repositories of routing: queues, tasks and offers, and the service-level counts of live stats."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from kefu.adapters.memory.shared import clone, matches
from kefu.adapters.memory.store import MemorySession
from kefu.domain.errors import Conflict
from kefu.domain.queues import Queue
from kefu.domain.routing_rules import RoutingRule
from kefu.domain.tasks import Offer, OfferStatus, Task
from kefu.routing.lease import Fence, Lease, LeaseLost, grant


class MemoryQueues:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, queue: Queue) -> None:
        self._s.insert("queues", queue.id, clone(queue))

    async def get(self, queue_id: str) -> Queue | None:
        return clone(self._s.get("queues", queue_id))

    async def save(self, queue: Queue) -> None:
        if self._s.get("queues", queue.id) is not None:
            self._s.update("queues", queue.id, clone(queue))

    async def list(self) -> list[Queue]:
        return sorted((clone(q) for q in self._s.scan("queues")), key=lambda q: q.id)


class MemoryRoutingRules:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, rule: RoutingRule) -> None:
        self._s.insert("routing_rules", rule.id, rule)

    async def list(self) -> list[RoutingRule]:
        return sorted(self._s.scan("routing_rules"), key=lambda r: (r.position, r.id))

    async def delete(self, rule_id: str) -> bool:
        if self._s.get("routing_rules", rule_id) is None:
            return False
        self._s.delete("routing_rules", rule_id)
        return True


class MemoryTasks:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, task: Task) -> None:
        self._s.insert("tasks", task.id, clone(task))

    async def get(self, task_id: str) -> Task | None:
        return clone(self._s.get("tasks", task_id))

    async def save(self, task: Task) -> None:
        if self._s.get("tasks", task.id) is not None:
            self._s.update("tasks", task.id, clone(task))

    async def open_for_subject(self, subject_id: str) -> Task | None:
        """The live (not ended) task of a conversation, callback or case, if any."""
        rows = sorted(
            (t for t in self._s.scan("tasks") if t.subject_id == subject_id and t.state != "ended"),
            key=lambda t: t.id,
        )
        return clone(rows[0]) if rows else None

    async def live(self) -> list[Task]:
        """Every task not yet ended, oldest first: what the engine is rebuilt from."""
        rows = [clone(t) for t in self._s.scan("tasks") if t.state != "ended"]
        return sorted(rows, key=lambda t: (t.enqueued_at, t.id))

    async def service_counts(self, queue_id: str, since: datetime, answer_within_s: float) -> dict[str, int]:
        """answered, within the target, abandoned and transferred out since ``since`` for one queue; and of
        those answered (within the target) and abandoned, the contacts another queue had already answered
        and transferred here: ``transferred_in``, ``transferred_in_in_target``, ``abandoned_after_answer``."""
        tasks = list(self._s.scan("tasks"))
        # When each conversation's answered tasks were transferred on.
        handed_on: dict[str, list[tuple[str, datetime]]] = {}
        for t in tasks:
            if t.end_reason == "transferred" and t.assigned_at is not None and t.ended_at is not None:
                handed_on.setdefault(t.subject_id, []).append((t.id, t.ended_at))

        def after_answer(t: Task) -> bool:
            until = t.assigned_at or t.ended_at
            return until is not None and any(
                other != t.id and at <= until for other, at in handed_on.get(t.subject_id, ())
            )

        counts = dict.fromkeys(
            ("answered", "in_target", "abandoned", "transferred", "transferred_in",
             "transferred_in_in_target", "abandoned_after_answer"),
            0,
        )  # fmt: skip
        for t in tasks:
            if t.queue_id != queue_id:
                continue
            if t.assigned_at is not None and t.assigned_at >= since:
                hit = t.wait_s is not None and t.wait_s <= answer_within_s
                moved_in = after_answer(t)
                counts["answered"] += 1
                counts["in_target"] += hit
                counts["transferred_in"] += moved_in
                counts["transferred_in_in_target"] += moved_in and hit
            if (
                t.ended_at is not None
                and t.ended_at >= since
                and t.end_reason == "abandoned"
                and t.assigned_at is None
            ):
                counts["abandoned"] += 1
                counts["abandoned_after_answer"] += after_answer(t)
            counts["transferred"] += (
                t.ended_at is not None and t.ended_at >= since and t.end_reason == "transferred"
            )
        return counts


class MemoryOffers:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, offer: Offer) -> None:
        self._s.insert("offers", offer.id, clone(offer))

    async def get(self, offer_id: str) -> Offer | None:
        return clone(self._s.get("offers", offer_id))

    async def decide(self, offer_id: str, status: OfferStatus, at: datetime) -> None:
        row = self._s.get("offers", offer_id)
        if row is not None and row.status == "pending":
            decided: Offer = clone(row)
            decided.status, decided.decided_at = status, at
            self._s.update("offers", offer_id, decided)

    async def pending(self, agent_id: str | None = None) -> list[Offer]:
        rows = [
            clone(o)
            for o in self._s.scan("offers")
            if o.status == "pending" and matches(o, agent_id=agent_id)
        ]
        return sorted(rows, key=lambda o: (o.created_at, o.id))


class MemoryLeases:
    """The routing leases; the fence is re-checked at commit against leases others committed meanwhile."""

    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def get(self, partition: str) -> Lease | None:
        row: Lease | None = self._s.get("router_leases", partition)
        return row

    async def acquire(self, partition: str, holder: str, now: datetime, until: datetime) -> Lease | None:
        current = self._s.get("router_leases", partition)
        granted = grant(current, holder, now, until)
        if granted is None:
            return None
        lease = Lease(partition, holder, granted.token, until, granted.acquired_at)
        if current is None:
            self._s.insert("router_leases", partition, lease)
        else:
            self._s.update("router_leases", partition, lease)
            self._s.require(
                "router_leases",
                partition,
                lambda row: row == current,
                lambda: Conflict("lease taken meanwhile"),
            )
        return lease

    async def release(self, fence: Fence, now: datetime) -> None:
        current: Lease | None = self._s.get("router_leases", fence.partition)
        if current is not None and (current.holder, current.token) == (fence.holder, fence.token):
            self._s.update("router_leases", fence.partition, dataclasses.replace(current, expires_at=now))

    async def fence(self, fence: Fence) -> bool:
        current: Lease | None = self._s.get("router_leases", fence.partition)
        if current is None or (current.holder, current.token) != (fence.holder, fence.token):
            return False
        self._s.require(
            "router_leases",
            fence.partition,
            lambda row: row is not None and (row.holder, row.token) == (fence.holder, fence.token),
            lambda: LeaseLost(f"the routing lease of {fence.partition!r} was taken over"),
        )
        return True
