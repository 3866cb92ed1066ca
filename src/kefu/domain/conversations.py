"""Conversations: one contact on any channel, with its messages and its lifecycle.

The lifecycle is a small state machine; every legal step is listed in ``_TRANSITIONS`` and anything else is
an ``IllegalTransition`` (HTTP 409)::

    queued ──assign──▶ assigned ──resolve──▶ resolved ──close──▶ closed
      │                   │
      └──abandon──▶ abandoned ◀──abandon─┘   (the customer left)

    self_service ──escalate──▶ queued            (asked for a person, or the answer did not help)
    self_service ──solve──▶ resolved             (the customer says the answer solved it)
    self_service ──close──▶ closed   self_service ──abandon──▶ abandoned

A conversation starts in ``self_service`` only when the knowledge base answered it confidently; elderly and
vulnerable customers never do (see ``kefu.care``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kefu.domain.errors import IllegalTransition
from kefu.domain.vocabulary import Channel, ConversationStatus

# "note": an internal note between staff in the thread; never sent to, nor read by, the customer's side.
Sender = Literal["customer", "agent", "system", "note"]
Action = Literal["assign", "resolve", "close", "abandon", "post", "escalate", "solve", "transfer"]

_TRANSITIONS: dict[tuple[ConversationStatus, Action], ConversationStatus] = {
    ("queued", "assign"): "assigned",
    ("queued", "transfer"): "queued",
    ("assigned", "transfer"): "queued",
    ("queued", "abandon"): "abandoned",
    ("assigned", "abandon"): "abandoned",
    ("assigned", "resolve"): "resolved",
    ("resolved", "close"): "closed",
    ("self_service", "escalate"): "queued",
    ("self_service", "solve"): "resolved",
    ("self_service", "close"): "closed",
    ("self_service", "abandon"): "abandoned",
}
# Messages may be added while the conversation is open; a resolved one may still get a customer's thanks.
_OPEN_FOR_MESSAGES: frozenset[ConversationStatus] = frozenset(
    {"queued", "assigned", "resolved", "self_service"}
)

# Priority: 0 is normal; higher is served first.
CARE_PRIORITY_BOOST = 10


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conversation_id: str
    sender: Sender
    body: str
    created_at: datetime
    author_id: str | None = None


@dataclass(slots=True)
class Conversation:
    id: str
    customer_id: str
    business_line: str
    channel: Channel
    queue: str
    priority: int
    status: ConversationStatus
    created_at: datetime
    updated_at: datetime
    subject: str | None = None
    care: bool = False
    agent_id: str | None = None
    assigned_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    disposition: str | None = None
    note: str | None = None
    intent: str | None = None  # from triage of the opening words (kefu.care)
    language: str | None = None  # zh or en, from triage
    messages: list[Message] = field(default_factory=list)
    # Agent-facing care guidance for the viewer; filled by the services when read, never stored.
    care_guidance: list[str] = field(default_factory=list)

    def _step(self, action: Action, now: datetime) -> None:
        target = _TRANSITIONS.get((self.status, action))
        if target is None:
            raise IllegalTransition("conversation", self.id, self.status, action)
        self.status = target
        self.updated_at = now

    def assign(self, agent_id: str, now: datetime) -> None:
        self._step("assign", now)
        self.agent_id = agent_id
        if self.assigned_at is None:  # a transferred conversation was answered when first assigned
            self.assigned_at = now

    def transfer(self, queue: str, now: datetime) -> None:
        """Back to routing, in ``queue``: nobody works it until the next agent accepts. ``assigned_at``
        stays the first answer, so reports count the customer's wait once."""
        self._step("transfer", now)
        self.queue = queue
        self.agent_id = None

    def resolve(self, disposition: str, note: str | None, now: datetime) -> None:
        self._step("resolve", now)
        self.disposition = disposition
        self.note = note
        self.resolved_at = now

    def close(self, now: datetime) -> None:
        self._step("close", now)
        self.closed_at = now

    def abandon(self, now: datetime) -> None:
        self._step("abandon", now)

    def escalate(self, now: datetime) -> None:
        """Self-service did not settle it: the conversation joins its queue for a person."""
        self._step("escalate", now)

    def solve(self, now: datetime) -> None:
        """The customer says the self-service answer solved it."""
        self._step("solve", now)
        self.disposition = "self_service"
        self.resolved_at = now

    def post(self, message: Message) -> None:
        if self.status not in _OPEN_FOR_MESSAGES:
            raise IllegalTransition("conversation", self.id, self.status, "post a message to")
        if message.sender == "agent" and self.first_response_at is None:
            self.first_response_at = message.created_at
        self.messages.append(message)
        self.updated_at = message.created_at


def can(status: ConversationStatus, action: Action) -> bool:
    """Whether ``action`` is legal in ``status`` (used by tests and by the UI to grey out buttons)."""
    if action == "post":
        return status in _OPEN_FOR_MESSAGES
    return (status, action) in _TRANSITIONS


def initial_priority(needs_care: bool) -> int:
    """Elderly and vulnerable customers jump ahead of the normal queue."""
    return CARE_PRIORITY_BOOST if needs_care else 0
