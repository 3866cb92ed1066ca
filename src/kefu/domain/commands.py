"""Commands: requests to change state, in the imperative. Each has exactly one handler.

A command names the type of its handler's result (``Command[Agent]``), so ``bus.handle`` is typed per
command. The cores own the commands whose results are theirs (``kefu.care.commands``,
``kefu.screening.commands``); the services own the system commands of their periodic jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from kefu.domain.agents import Agent
from kefu.domain.audit import Checkpoint
from kefu.domain.conversations import Conversation, Message
from kefu.domain.customers import Customer, TrustedContact
from kefu.domain.queues import EscalationStep, Queue, ServiceLevel
from kefu.domain.routing_rules import RoutingRule
from kefu.domain.users import API_TOKEN_DAYS, ApiToken, IssuedToken, User
from kefu.domain.vocabulary import Channel, Language, Presence, Role

R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True, slots=True)
class Command(Generic[R_co]):
    """A request whose handler answers with an ``R_co``."""


@dataclass(frozen=True, slots=True)
class CreateUser(Command[User]):
    username: str
    password: str
    role: Role
    sites: tuple[str, ...] = ()  # a supervisor's bases; empty: all of them


@dataclass(frozen=True, slots=True)
class Authenticate(Command[IssuedToken]):
    username: str
    password: str
    client: str | None = None  # the caller's network address, for throttling and the audit log


@dataclass(frozen=True, slots=True)
class IssueToken(Command[IssuedToken]):
    """A named API token for a user (for integrations and scripts), optionally narrowed to some scopes."""

    username: str
    ttl_days: int = API_TOKEN_DAYS
    name: str = "api"
    scopes: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class CheckpointAudit(Command[Checkpoint | None]):
    """Sign the audit chain's head (daily); None when nothing was appended since the last checkpoint."""


@dataclass(frozen=True, slots=True)
class RevokeToken(Command[ApiToken]):
    token_id: str


@dataclass(frozen=True, slots=True)
class DisableUser(Command[User]):
    """Stop a user signing in; every token issued to it stops working at once."""

    username: str


@dataclass(frozen=True, slots=True)
class EnableUser(Command[User]):
    username: str


@dataclass(frozen=True, slots=True)
class SetPassword(Command[User]):
    """Set a user's password; every token issued before stops working at once."""

    username: str
    password: str


@dataclass(frozen=True, slots=True)
class CreateCustomer(Command[Customer]):
    external_id: str
    name: str
    language: Language = "zh"
    phone: str | None = None
    birth_date: date | None = None
    vulnerable: bool = False
    vip: bool = False
    trusted_contact: TrustedContact | None = None
    home_site: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateCustomer(Command[Customer]):
    customer_id: str
    # Only the keys present are changed; a value of None clears an optional field.
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreateAgent(Command[Agent]):
    name: str
    site: str
    skills: dict[str, int]
    capacity: dict[str, int]
    username: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateAgent(Command[Agent]):
    agent_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetPresence(Command[Agent]):
    agent_id: str
    presence: Presence
    reason: str | None = None  # with "away" only: one of ``agents.AWAY_REASONS``


@dataclass(frozen=True, slots=True)
class OpenConversation(Command[Conversation]):
    customer_id: str
    # None: triage reads the line from the customer's words.
    business_line: str | None
    channel: Channel
    subject: str | None = None
    text: str | None = None
    queue: str | None = None  # None: the routing rules, else the business line's queue


@dataclass(frozen=True, slots=True)
class PostMessage(Command[Message]):
    conversation_id: str
    body: str


@dataclass(frozen=True, slots=True)
class AddInternalNote(Command[Message]):
    """A note for staff in the conversation's thread (sender ``note``), never shown to the customer."""

    conversation_id: str
    body: str


@dataclass(frozen=True, slots=True)
class AssignConversation(Command[Conversation]):
    conversation_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CreateRoutingRule(Command[RoutingRule]):
    """Add a rule choosing ``queue`` for contacts that meet every condition given (None: any)."""

    queue: str
    position: int | None = None  # None: after the last rule
    business_line: str | None = None
    channel: str | None = None
    intent: str | None = None
    language: str | None = None
    care: bool | None = None
    vip: bool | None = None


@dataclass(frozen=True, slots=True)
class DeleteRoutingRule(Command[None]):
    rule_id: str


@dataclass(frozen=True, slots=True)
class TransferConversation(Command[Conversation]):
    """Send a conversation back to routing: to another queue, or offered first to one agent, with a note."""

    conversation_id: str
    to_queue: str | None = None
    to_agent: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ResolveConversation(Command[Conversation]):
    conversation_id: str
    disposition: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CloseConversation(Command[Conversation]):
    conversation_id: str


@dataclass(frozen=True, slots=True)
class AbandonConversation(Command[Conversation]):
    conversation_id: str


@dataclass(frozen=True, slots=True)
class CreateQueue(Command[Queue]):
    id: str
    name: str
    business_line: str
    channels: tuple[str, ...]
    skills: dict[str, int]
    priority: int = 0
    service_level: ServiceLevel = field(default_factory=ServiceLevel)
    escalation: tuple[EscalationStep, ...] = ()
    home_first_s: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateQueue(Command[Queue]):
    queue_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AcceptOffer(Command[str]):
    """Take the offered work; the result is the task's subject (e.g. the conversation now assigned)."""

    offer_id: str


@dataclass(frozen=True, slots=True)
class DeclineOffer(Command[None]):
    offer_id: str
