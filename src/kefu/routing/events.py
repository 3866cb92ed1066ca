"""What the routing engine reports back: one frozen, past-tense event per state change.

Every mutating engine call returns the events it caused, in the order they happened, so the service
layer can persist them and publish them on the bus after commit. ``name`` is the bus subject suffix,
as for every domain event.
Times are float epoch seconds, exactly as the caller passed them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kefu.domain.events import Event


@dataclass(frozen=True, slots=True)
class RoutingEvent(Event):
    """Base class, so handlers can accept any routing event."""

    name: ClassVar[str] = "routing"


@dataclass(frozen=True, slots=True)
class TaskQueued(RoutingEvent):
    """A task entered its queue and waits for an agent."""

    name: ClassVar[str] = "task.queued"
    task_id: str
    queue_id: str
    priority: int
    at: float


@dataclass(frozen=True, slots=True)
class TaskRequeued(RoutingEvent):
    """A task went back to its place in the queue after an offer failed (``reason``: offer outcome)."""

    name: ClassVar[str] = "task.requeued"
    task_id: str
    queue_id: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class TaskEscalated(RoutingEvent):
    """A task's eligibility widened to escalation ``step`` (1-based; 0 is the queue's own skills)."""

    name: ClassVar[str] = "task.escalated"
    task_id: str
    queue_id: str
    step: int
    skills: tuple[tuple[str, int], ...]
    sites: str
    at: float


@dataclass(frozen=True, slots=True)
class TaskRemoved(RoutingEvent):
    """A task left routing before anyone took it (``reason``: e.g. ``abandoned``)."""

    name: ClassVar[str] = "task.removed"
    task_id: str
    queue_id: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class TaskHandAssigned(RoutingEvent):
    """A supervisor gave the task to an agent by hand; it counts against the agent's capacity."""

    name: ClassVar[str] = "task.hand_assigned"
    task_id: str
    queue_id: str
    agent_id: str
    at: float


@dataclass(frozen=True, slots=True)
class TaskCompleted(RoutingEvent):
    """An assigned task ended; the agent is in wrap-up on that channel until ``wrap_up_until``."""

    name: ClassVar[str] = "task.completed"
    task_id: str
    queue_id: str
    agent_id: str
    at: float
    wrap_up_until: float


@dataclass(frozen=True, slots=True)
class OfferCreated(RoutingEvent):
    """A task was proposed to one agent, who must accept before ``expires_at``."""

    name: ClassVar[str] = "offer.created"
    offer_id: str
    task_id: str
    agent_id: str
    expires_at: float
    at: float


@dataclass(frozen=True, slots=True)
class OfferAccepted(RoutingEvent):
    """The agent accepted; the task is now assigned to them."""

    name: ClassVar[str] = "offer.accepted"
    offer_id: str
    task_id: str
    agent_id: str
    at: float


@dataclass(frozen=True, slots=True)
class OfferDeclined(RoutingEvent):
    """The agent declined; the task goes to someone else eligible if anyone is available, else back to
    them; after the cool-down it may be offered to them again."""

    name: ClassVar[str] = "offer.declined"
    offer_id: str
    task_id: str
    agent_id: str
    at: float


@dataclass(frozen=True, slots=True)
class OfferExpired(RoutingEvent):
    """Nobody answered the offer in time; it counts as a missed offer for the agent."""

    name: ClassVar[str] = "offer.expired"
    offer_id: str
    task_id: str
    agent_id: str
    at: float


@dataclass(frozen=True, slots=True)
class OfferRescinded(RoutingEvent):
    """The engine withdrew a pending offer (``reason``: ``task_removed`` or ``agent_unavailable``)."""

    name: ClassVar[str] = "offer.rescinded"
    offer_id: str
    task_id: str
    agent_id: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class AgentSetAway(RoutingEvent):
    """The engine set an agent away (``reason`` ``missed``) after ``missed_offers`` offers in a row went
    unanswered; they get no new offers until they go available again."""

    name: ClassVar[str] = "agent.set_away"
    agent_id: str
    missed_offers: int
    at: float
    reason: str = "missed"


@dataclass(frozen=True, slots=True)
class QueuePositionChanged(RoutingEvent):
    """A waiting conversation moved in line (``position`` 1 is next), for the customer's channel to push.
    Sent for the first places of each queue only; further back, the customer asks
    ``GET /api/v1/conversations/{id}/queue``."""

    name: ClassVar[str] = "queue.position_changed"
    conversation_id: str
    task_id: str
    queue_id: str
    position: int
    at: float


@dataclass(frozen=True, slots=True)
class AgentWrapUpExtended(RoutingEvent):
    """The agent asked for more wrap-up time on ``channel`` (once per wrap-up); it now ends at ``until``."""

    name: ClassVar[str] = "agent.wrap_up_extended"
    agent_id: str
    channel: str
    until: float
    at: float


@dataclass(frozen=True, slots=True)
class AgentWrapUpEnded(RoutingEvent):
    """An agent's wrap-up on ``channel`` is over; they can take new work there."""

    name: ClassVar[str] = "agent.wrap_up_ended"
    agent_id: str
    channel: str
    at: float
