"""Ports: the small interfaces the services need from the outside world.

Adapters implement them (``kefu.adapters``); the services never import an adapter. Each port has one or two
methods so that a fake is trivial and a real implementation is easy to swap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from kefu.care import Article
from kefu.care.records import CallbackRecord
from kefu.domain.agents import Agent
from kefu.domain.audit import AuditEntry, Checkpoint
from kefu.domain.canned import CannedResponse
from kefu.domain.cases import Case, CaseStatus, ContactAttempt, FamilyAlert, LedgerEntry
from kefu.domain.conversations import Conversation, Message
from kefu.domain.customers import Customer
from kefu.domain.events import Event
from kefu.domain.labels import PaymentLabel
from kefu.domain.payments import (
    PaymentStatus,
    ReplayedScreening,
    ScreeningRecord,
    StoredRuleSet,
    TrustedPayee,
    WatchlistEntry,
    WebhookDelivery,
)
from kefu.domain.queues import Queue
from kefu.domain.routing_rules import RoutingRule
from kefu.domain.sites import Site
from kefu.domain.tasks import Offer, OfferStatus, Task
from kefu.domain.thresholds import Thresholds
from kefu.domain.users import ApiToken, User
from kefu.domain.vocabulary import ConversationStatus
from kefu.routing.lease import Fence, Lease
from kefu.screening.model_records import ModelDecision, ModelStatus, StoredModel
from kefu.services.reports_ports import QualityRecords, ReportStore


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...
    async def get(self, user_id: str) -> User | None: ...
    async def by_username(self, username: str) -> User | None: ...
    async def save(self, user: User) -> None: ...
    async def page(self, after: str | None, limit: int) -> list[User]: ...


class ApiTokenRepository(Protocol):
    async def add(self, token: ApiToken) -> None: ...
    async def get(self, token_id: str) -> ApiToken | None: ...
    async def save(self, token: ApiToken) -> None: ...
    async def page(self, after: str | None, limit: int, user_id: str | None = None) -> list[ApiToken]: ...


class SiteRepository(Protocol):
    async def list(self) -> list[Site]: ...


class CustomerRepository(Protocol):
    async def add(self, customer: Customer) -> None: ...
    async def get(self, customer_id: str) -> Customer | None: ...
    async def by_external_id(self, external_id: str) -> Customer | None: ...
    async def save(self, customer: Customer) -> None: ...
    async def page(
        self,
        after: str | None,
        limit: int,
        home_site: str | None = None,
        integration: str | None = None,
        home_sites: tuple[str, ...] | None = None,
    ) -> list[Customer]:
        """Customers by id; of one base (or of any of ``home_sites``); visible to one integration (its own
        and staff-registered)."""
        ...

    async def search(
        self,
        text: str,
        limit: int,
        home_site: str | None = None,
        home_sites: tuple[str, ...] | None = None,
    ) -> list[Customer]:
        """Customers whose name or external id contains ``text`` (case-insensitive, wildcards literal), or
        whose phone ends with it when it is four digits; newest first, of one base or of ``home_sites``."""
        ...


class AgentRepository(Protocol):
    async def add(self, agent: Agent) -> None: ...
    async def get(self, agent_id: str) -> Agent | None: ...
    async def by_user_id(self, user_id: str) -> Agent | None: ...
    async def save(self, agent: Agent) -> None: ...
    async def page(
        self, after: str | None, limit: int, site: str | None = None, sites: tuple[str, ...] | None = None
    ) -> list[Agent]: ...


class ConversationRepository(Protocol):
    async def add(self, conversation: Conversation) -> None: ...
    async def get(self, conversation_id: str, with_messages: bool = True) -> Conversation | None: ...
    async def save(self, conversation: Conversation) -> None: ...
    async def add_message(self, message: Message) -> None: ...
    async def page(
        self,
        after: str | None,
        limit: int,
        status: ConversationStatus | None = None,
        queue: str | None = None,
        customer_id: str | None = None,
        agent_id: str | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Conversation]:
        """Conversations by id; with ``bases``, only those of these bases (services/shared/bases.py)."""
        ...

    async def waiting(
        self, queues: tuple[str, ...], limit: int, bases: tuple[str, ...] | None = None
    ) -> list[Conversation]:
        """Queued, unassigned conversations of these queues: higher priority first, then oldest, then id."""
        ...

    async def search(
        self,
        text: str,
        limit: int,
        agent_id: str | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Conversation]:
        """Conversations whose subject contains ``text`` (case-insensitive, wildcards literal), newest
        first; of one agent, or of ``bases``."""
        ...


class QueueRepository(Protocol):
    async def add(self, queue: Queue) -> None: ...
    async def get(self, queue_id: str) -> Queue | None: ...
    async def save(self, queue: Queue) -> None: ...
    async def list(self) -> list[Queue]: ...


class ThresholdRepository(Protocol):
    """Wallboard thresholds, one per queue (``kefu.domain.thresholds``)."""

    async def get(self, queue_id: str) -> Thresholds | None: ...
    async def put(self, thresholds: Thresholds) -> None: ...
    async def list(self) -> list[Thresholds]: ...


class TaskRepository(Protocol):
    async def add(self, task: Task) -> None: ...
    async def get(self, task_id: str) -> Task | None: ...
    async def save(self, task: Task) -> None: ...
    async def open_for_subject(self, subject_id: str) -> Task | None: ...
    async def live(self) -> list[Task]: ...
    async def service_counts(
        self, queue_id: str, since: datetime, answer_within_s: float
    ) -> dict[str, int]: ...


class OfferRepository(Protocol):
    async def add(self, offer: Offer) -> None: ...
    async def get(self, offer_id: str) -> Offer | None: ...
    async def decide(self, offer_id: str, status: OfferStatus, at: datetime) -> None: ...
    async def pending(self, agent_id: str | None = None) -> list[Offer]: ...


class LeaseRepository(Protocol):
    """Routing leases (``kefu.routing.lease``): take or renew one, end it, and fence a routing write."""

    async def get(self, partition: str) -> Lease | None: ...
    async def acquire(self, partition: str, holder: str, now: datetime, until: datetime) -> Lease | None: ...
    async def release(self, fence: Fence, now: datetime) -> None: ...
    async def fence(self, fence: Fence) -> bool: ...


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What ``GET /api/v1/audit`` may narrow the log to (None: any)."""

    actor: str | None = None
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditLog(Protocol):
    """The hash-chained audit log. Appended entries join the chain when the unit of work commits."""

    async def append(self, entry: AuditEntry) -> None: ...
    async def for_subject(self, subject_type: str, subject_id: str) -> list[AuditEntry]: ...
    async def page(self, after: str | None, limit: int, where: AuditFilter) -> list[AuditEntry]: ...
    async def chain(self, after_seq: int, limit: int) -> list[AuditEntry]:
        """Chained entries in ``seq`` order after ``after_seq`` (for verification)."""
        ...

    async def unchained(self) -> int:
        """How many rows have no place in the chain (rows written around kefu)."""
        ...

    async def head(self) -> tuple[int, str]: ...
    async def head_before(self, at: datetime) -> tuple[int, str]:
        """``seq`` and hash of the last chained entry written before ``at`` ((0, GENESIS): none)."""
        ...

    async def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...
    async def checkpoints(self) -> list[Checkpoint]: ...


class KnowledgeRepository(Protocol):
    async def put(self, article: Article, at: datetime) -> bool: ...  # True when the article is new
    async def get(self, article_id: str) -> Article | None: ...
    async def all(self) -> list[Article]: ...
    async def page(self, after: str | None, limit: int, language: str | None = None) -> list[Article]: ...
    async def fingerprint(self) -> tuple[int, datetime | None]: ...  # count and latest change


class CannedResponseRepository(Protocol):
    async def add(self, response: CannedResponse) -> None: ...  # Conflict: the shortcut is taken
    async def get(self, response_id: str) -> CannedResponse | None: ...
    async def save(self, response: CannedResponse) -> None: ...
    async def delete(self, response_id: str) -> None: ...
    async def by_shortcut(self, language: str, shortcut: str) -> CannedResponse | None: ...
    async def all(self, language: str | None = None) -> list[CannedResponse]: ...  # by language, shortcut


class CallbackRepository(Protocol):
    async def add(self, record: CallbackRecord) -> None: ...
    async def get(self, callback_id: str) -> CallbackRecord | None: ...
    async def save(self, record: CallbackRecord) -> None:
        """Write back if nobody saved it since it was loaded; raises ``Conflict`` otherwise."""
        ...

    async def page(
        self,
        after: str | None,
        limit: int,
        state: str | None = None,
        customer_id: str | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[CallbackRecord]:
        """Callbacks by id; with ``bases``, only those whose customer's home base is one of them."""
        ...

    async def claim_due(self, now: datetime, until: datetime, token: str, limit: int) -> list[str]:
        """Lease up to ``limit`` callbacks whose ``wake_at`` has come and that nobody holds."""
        ...

    async def release(self, callback_id: str, token: str) -> None: ...


class ScreeningRepository(Protocol):
    async def get(self, payment_id: str) -> ScreeningRecord | None: ...
    async def add(self, record: ScreeningRecord) -> None: ...
    async def set_status(
        self, payment_id: str, status: PaymentStatus, at: datetime | None = None
    ) -> None: ...
    async def for_case(self, case_id: str) -> list[ScreeningRecord]:
        """The payments of a case (its episode), in screening order."""
        ...

    async def attach_case(self, payment_id: str, case_id: str, hold_expires_at: datetime) -> None:
        """A payment that had no case (a warning the customer asked a specialist about) joins one."""
        ...

    async def decision_counts(self, since: datetime, until: datetime) -> dict[str, int]: ...
    async def typology_counts(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]: ...
    async def to_payee(self, customer_id: str, payee_account: str) -> list[ScreeningRecord]:
        """A customer's payments to one payee, in screening order (a report labels them)."""
        ...

    async def replay(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[ReplayedScreening]:
        """Screenings from ``since`` in screening order, a page after ``(screened_at, payment_id)``."""
        ...

    async def cleared_stops(self, since: datetime) -> set[str]:
        """Payments screened from ``since`` whose case was released: their stop no longer counts."""
        ...

    async def add_label(self, label: PaymentLabel) -> None: ...
    async def label(self, payment_id: str) -> PaymentLabel | None:
        """The payment's current label: the latest given (by time, then id)."""
        ...

    async def labels_since(self, since: datetime | None) -> list[PaymentLabel]:
        """Every label given from ``since`` (all when None), oldest first."""
        ...


class CaseRepository(Protocol):
    async def add(self, case: Case) -> None: ...
    async def get(self, case_id: str, with_history: bool = True) -> Case | None: ...
    async def save_if(self, case: Case, status: CaseStatus) -> bool: ...
    async def add_attempt(self, attempt: ContactAttempt) -> None: ...
    async def add_alert(self, alert: FamilyAlert) -> None: ...
    async def alert(self, alert_id: str) -> FamilyAlert | None: ...
    async def save_alert(self, alert: FamilyAlert) -> None: ...
    async def claim_alert(self, alert_id: str, retry_at: datetime) -> bool:
        """Clear a due retry if nobody else has (a conditional update): only one process resends it."""
        ...

    async def alerts_due(self, now: datetime, limit: int) -> list[str]: ...
    async def for_conversation(self, conversation_id: str) -> Case | None:
        """The case a customer's conversation is attached to (a report, or a call for a specialist)."""
        ...

    async def attach_conversation(self, case_id: str, previous: str | None, conversation_id: str) -> bool:
        """Give the case the customer's live contact only if its contact is still ``previous`` (a
        conditional update): two presses at once attach one conversation; the loser sees ``False``."""
        ...

    async def open_for_payer(self, payer_id: str, opened_since: datetime) -> Case | None:
        """The payer's newest open case opened at or after ``opened_since`` (a new stop joins it)."""
        ...

    async def page(
        self,
        after: str | None,
        limit: int,
        status: CaseStatus | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Case]:
        """Cases by id; with ``bases``, only those of these bases (services/shared/bases.py)."""

    async def opened_between(self, since: datetime, until: datetime, limit: int) -> list[Case]:
        """Cases opened in ``[since, until)``, oldest first, without their history (for reports)."""
        ...

    async def expired_holds(self, now: datetime, limit: int) -> list[str]: ...
    async def due_contacts(self, now: datetime, limit: int) -> list[tuple[str, datetime]]: ...
    async def claim_contact(self, case_id: str, due_at: datetime) -> bool: ...
    async def outcome_counts(self, since: datetime, until: datetime) -> dict[str, int]: ...
    async def typology_outcomes(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]: ...
    async def first_contact_delays_s(self, since: datetime, until: datetime) -> list[float]: ...


class FraudRecords(Protocol):
    """The anti-fraud desk's other records: funds saved, payee reputation, trusted payees, rule sets."""

    async def add_saving(self, entry: LedgerEntry) -> None: ...
    async def saved(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]: ...
    async def savings(self, since: datetime, until: datetime, limit: int) -> list[LedgerEntry]:
        """Ledger entries made in ``[since, until)``, oldest first (for reports per base and specialist)."""
        ...

    async def add_report(
        self,
        report_id: str,
        account_id: str,
        reason: str,
        by: str,
        case_id: str | None,
        at: datetime,
        reporter: str | None = None,
    ) -> int:
        """Store a report; returns the payee's reports counted once per reporter."""
        ...

    async def has_reported(self, account_id: str, reporter: str) -> bool: ...
    async def watchlist(
        self,
        account_id: str,
        reason: str,
        case_id: str | None,
        at: datetime,
        source: str = "case",
        by: str | None = None,
    ) -> None: ...
    async def unwatchlist(self, account_id: str) -> bool: ...  # False when it was not listed
    async def watchlist_entry(self, account_id: str) -> WatchlistEntry | None: ...
    async def watchlist_page(self, after: str | None, limit: int) -> list[WatchlistEntry]: ...
    async def is_watchlisted(self, account_id: str) -> bool: ...
    async def reputation(self) -> tuple[list[str], dict[str, int]]: ...
    async def trusted_payees(self, customer_id: str) -> list[TrustedPayee]: ...
    async def set_trusted_payees(
        self, customer_id: str, payees: list[TrustedPayee], channel: str | None = None
    ) -> None: ...
    async def active_rule_set_seq(self) -> int: ...
    async def rule_set(self, seq: int) -> StoredRuleSet | None: ...
    async def rule_set_version_exists(self, version: str) -> bool: ...
    async def add_rule_set(self, version: str, source: str, at: datetime, by: str) -> int: ...


class ScreeningModelRepository(Protocol):
    """Model versions of the screening model lane (at most one ``live``)."""

    async def add(self, model: StoredModel) -> None: ...
    async def get(self, version: str) -> StoredModel | None: ...
    async def all(self) -> list[StoredModel]:
        """Every stored model, newest trained first (ties by version)."""
        ...

    async def in_force(self) -> tuple[str | None, str | None]:
        """The live model's version and the newest shadow's (None where there is none)."""
        ...

    async def set_status(self, version: str, status: ModelStatus, promoted_at: datetime | None) -> None: ...
    async def decisions(self, start: datetime, end: datetime) -> list[ModelDecision]:
        """Each screening in [start, end): the live model's version it recorded (None: rules alone), its
        time, decision and current label (None: unlabelled)."""
        ...


class PaymentWebhookRepository(Protocol):
    """Status changes to POST to the payments gateway, written with the change, claimed under a lease."""

    async def add(self, delivery: WebhookDelivery) -> None: ...
    async def get(self, delivery_id: str) -> WebhookDelivery | None: ...
    async def save(self, delivery: WebhookDelivery) -> None: ...
    async def claim_due(self, now: datetime, until: datetime, limit: int) -> list[str]:
        """Lease up to ``limit`` undelivered rows whose next attempt is due and that nobody holds."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One committed domain event waiting to leave the process; ``id`` is its ``Nats-Msg-Id``."""

    id: str
    name: str
    payload: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None = None


class OutboxRepository(Protocol):
    """The transactional outbox: events are added in the transaction of the change that caused them.

    A relay claims unsent rows oldest first (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several relays take
    disjoint rows), publishes them and marks them sent in the same transaction."""

    async def add(self, records: Sequence[OutboxRecord]) -> None: ...
    async def claim(self, limit: int) -> list[OutboxRecord]: ...
    async def mark_sent(self, ids: Sequence[str], at: datetime) -> None: ...
    async def oldest_unsent(self) -> datetime | None: ...
    async def prune(self, sent_before: datetime, limit: int) -> int: ...


class Notifier(Protocol):
    """Where family alerts go out: a log that records them (default) or a webhook."""

    async def send(self, alert: FamilyAlert) -> bool:
        """Deliver one alert: True when a channel acknowledged it, False when it was only recorded (a log);
        raises on failure (the caller records the failure on the case and retries later)."""
        ...


class PaymentWebhook(Protocol):
    """Where payment status changes go: the payments gateway's signed webhook."""

    async def deliver(self, delivery: WebhookDelivery) -> None:
        """POST one status change; raises unless the gateway acknowledged it (2xx)."""
        ...


@dataclass(frozen=True, slots=True)
class DialResult:
    """What placing a call gave: a ``tel:`` link for the workspace, or a call the telephony platform rang."""

    placed: bool  # True: the telephony platform rings the agent's extension, then the number
    link: str | None = None
    reference: str | None = None  # the platform's call id, when it gave one


class Dialer(Protocol):
    """Places a call from an agent's extension to a number."""

    async def dial(self, case_id: str, extension: str, number: str) -> DialResult: ...


class RoutingRuleRepository(Protocol):
    """The ordered routing rules (see ``kefu.domain.routing_rules``)."""

    async def add(self, rule: RoutingRule) -> None: ...
    async def list(self) -> list[RoutingRule]: ...
    async def delete(self, rule_id: str) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without ``commit()`` rolls back; events wait for the commit."""

    users: UserRepository
    api_tokens: ApiTokenRepository
    sites: SiteRepository
    customers: CustomerRepository
    agents: AgentRepository
    conversations: ConversationRepository
    queues: QueueRepository
    routing_rules: RoutingRuleRepository
    tasks: TaskRepository
    offers: OfferRepository
    leases: LeaseRepository
    audit: AuditLog
    screenings: ScreeningRepository
    cases: CaseRepository
    fraud: FraudRecords
    knowledge: KnowledgeRepository
    canned: CannedResponseRepository
    callbacks: CallbackRepository
    quality: QualityRecords
    reports: ReportStore
    outbox: OutboxRepository
    webhooks: PaymentWebhookRepository
    models: ScreeningModelRepository
    thresholds: ThresholdRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...
    def emit(self, event: Event) -> None: ...
    def collect_events(self) -> list[Event]: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class EventPublisher(Protocol):
    """Where committed events leave the process: in-process subscribers, or NATS JetStream."""

    async def publish(self, events: Sequence[Event]) -> None: ...
    async def healthy(self) -> bool: ...


class PasswordHasher(Protocol):
    """Slow on purpose (argon2id): the services call it in a worker thread, never on the event loop."""

    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; with no hash (an unknown user) it costs the same and is False."""
        ...


class LoginThrottle(Protocol):
    """Sign-in attempts counted per account and per client address, with escalating lockouts."""

    async def admit(self, account: str, address: str | None) -> float | None:
        """Count one attempt; None when it may go ahead, else the seconds until the next may."""
        ...

    async def settle(self, account: str, address: str | None, succeeded: bool) -> float:
        """Record the attempt's outcome; the seconds the account is now locked for (0 when it is not)."""
        ...


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid bearer token says: whose it is, at which token version, and which API token (if any)."""

    user_id: str
    version: int
    kind: str  # "session" or "api"
    token_id: str | None = None


class TokenIssuer(Protocol):
    def issue(self, user: User, expires_at: datetime, kind: str, token_id: str | None = None) -> str: ...
    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; raises ``Unauthenticated`` otherwise."""
        ...
