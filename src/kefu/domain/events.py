"""Domain events: facts in the past tense, published on the bus only after their transaction commits.

Each event has a dotted ``name`` (the bus subject suffix, e.g. ``conversation.created``) and a flat,
JSON-friendly payload.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    name: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True, slots=True)
class CustomerCreated(Event):
    name: ClassVar[str] = "customer.created"
    customer_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CustomerUpdated(Event):
    name: ClassVar[str] = "customer.updated"
    customer_id: str
    fields: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentCreated(Event):
    name: ClassVar[str] = "agent.created"
    agent_id: str
    site: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentUpdated(Event):
    name: ClassVar[str] = "agent.updated"
    agent_id: str
    fields: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentPresenceChanged(Event):
    name: ClassVar[str] = "agent.presence_changed"
    agent_id: str
    site: str
    presence: str
    previous: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationCreated(Event):
    name: ClassVar[str] = "conversation.created"
    conversation_id: str
    customer_id: str
    business_line: str
    channel: str
    queue: str
    priority: int
    care: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class MessagePosted(Event):
    name: ClassVar[str] = "message.posted"
    conversation_id: str
    message_id: str
    sender: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationAssigned(Event):
    name: ClassVar[str] = "conversation.assigned"
    conversation_id: str
    agent_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationTransferred(Event):
    """The conversation went back to routing, to another queue or offered first to another agent."""

    name: ClassVar[str] = "conversation.transferred"
    conversation_id: str
    from_agent_id: str | None
    to_queue: str
    to_agent_id: str | None
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationResolved(Event):
    name: ClassVar[str] = "conversation.resolved"
    conversation_id: str
    agent_id: str | None
    disposition: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationClosed(Event):
    name: ClassVar[str] = "conversation.closed"
    conversation_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationAbandoned(Event):
    name: ClassVar[str] = "conversation.abandoned"
    conversation_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class UserCreated(Event):
    name: ClassVar[str] = "user.created"
    user_id: str
    username: str
    role: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditCheckpointed(Event):
    name: ClassVar[str] = "audit.checkpointed"
    seq: int
    hash: str
    at: datetime


@dataclass(frozen=True, slots=True)
class UserDisabled(Event):
    name: ClassVar[str] = "user.disabled"
    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class UserEnabled(Event):
    name: ClassVar[str] = "user.enabled"
    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PasswordChanged(Event):
    name: ClassVar[str] = "user.password_changed"
    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TokenIssued(Event):
    name: ClassVar[str] = "token.issued"
    token_id: str
    user_id: str
    expires_at: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class TokenRevoked(Event):
    name: ClassVar[str] = "token.revoked"
    token_id: str
    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TaskOpened(Event):
    """Routable work was saved; the routing engine should start matching it."""

    name: ClassVar[str] = "task.opened"
    task_id: str
    kind: str
    subject_id: str
    queue_id: str
    channel: str
    priority: int
    care: bool
    home_site: str | None
    enqueued_at: datetime
    preferred_agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class TaskClosed(Event):
    """Routable work ended outside the engine (resolved, abandoned, assigned by hand)."""

    name: ClassVar[str] = "task.closed"
    task_id: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class QueueChanged(Event):
    name: ClassVar[str] = "queue.changed"
    queue_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TaskAssigned(Event):
    """An agent accepted routable work; the owner of the subject (conversation, callback, case) reacts."""

    name: ClassVar[str] = "task.assigned"
    task_id: str
    kind: str
    subject_id: str
    agent_id: str
    at: datetime


# --- care: self-service and callbacks (kefu.care) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelfServiceAnswered(Event):
    """The knowledge base answered in the conversation; it waits in ``self_service`` with no task."""

    name: ClassVar[str] = "conversation.self_service_answered"
    conversation_id: str
    article_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationEscalated(Event):
    """A self-service conversation joined its queue for a person (``reason``: human_requested, ...)."""

    name: ClassVar[str] = "conversation.escalated"
    conversation_id: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackChanged(Event):
    """One step of a callback's lifecycle; ``change`` names it (scheduled, due, retry_scheduled, ...)."""

    name: ClassVar[str] = "callback.changed"
    callback_id: str
    customer_id: str
    change: str
    state: str
    at: datetime
