"""Commands: requests to change state, in the imperative. Each has exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kefu.domain.customers import TrustedContact
from kefu.domain.queues import EscalationStep, ServiceLevel
from kefu.domain.vocabulary import Channel, Language, Presence, Role


@dataclass(frozen=True, slots=True)
class Command:
    pass


@dataclass(frozen=True, slots=True)
class CreateUser(Command):
    username: str
    password: str
    role: Role


@dataclass(frozen=True, slots=True)
class Authenticate(Command):
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class IssueToken(Command):
    """A long-lived API token for a user (for integrations and scripts)."""

    username: str
    ttl_days: int = 365


@dataclass(frozen=True, slots=True)
class CreateCustomer(Command):
    external_id: str
    name: str
    language: Language = "zh"
    phone: str | None = None
    birth_date: date | None = None
    vulnerable: bool = False
    trusted_contact: TrustedContact | None = None
    home_site: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateCustomer(Command):
    customer_id: str
    # Only the keys present are changed; a value of None clears an optional field.
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreateAgent(Command):
    name: str
    site: str
    skills: dict[str, int]
    capacity: dict[str, int]
    username: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateAgent(Command):
    agent_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetPresence(Command):
    agent_id: str
    presence: Presence


@dataclass(frozen=True, slots=True)
class OpenConversation(Command):
    customer_id: str
    # None: triage reads the line from the customer's words.
    business_line: str | None
    channel: Channel
    subject: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class PostMessage(Command):
    conversation_id: str
    body: str


@dataclass(frozen=True, slots=True)
class AssignConversation(Command):
    conversation_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ResolveConversation(Command):
    conversation_id: str
    disposition: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CloseConversation(Command):
    conversation_id: str


@dataclass(frozen=True, slots=True)
class AbandonConversation(Command):
    conversation_id: str


@dataclass(frozen=True, slots=True)
class CreateQueue(Command):
    id: str
    name: str
    business_line: str
    channels: tuple[str, ...]
    skills: dict[str, int]
    priority: int = 0
    service_level: ServiceLevel = field(default_factory=ServiceLevel)
    escalation: tuple[EscalationStep, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateQueue(Command):
    queue_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AcceptOffer(Command):
    offer_id: str


@dataclass(frozen=True, slots=True)
class DeclineOffer(Command):
    offer_id: str


# --- care: knowledge base and callbacks (kefu.care) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutArticle(Command):
    """Add a knowledge base article, or replace the one with the same id."""

    id: str
    title: str
    body: str
    language: Language
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduleCallback(Command):
    customer_id: str
    reason: str
    window_start: datetime
    window_end: datetime
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class CancelCallback(Command):
    callback_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RecordCallbackAttempt(Command):
    callback_id: str
    result: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TakeCallbackInstead(Command):
    """A voice customer waiting too long takes a callback that keeps their place in line."""

    conversation_id: str
    phone: str | None = None
