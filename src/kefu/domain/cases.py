"""Intervention cases (劝阻止付): opened by a held payment, resolved as dissuaded, released or unreachable.

A case carries the held payment, the reasons and typology of the screening, and the playbook the specialist
follows. Its lifecycle::

    open ──resolve(dissuaded)──▶ resolved   payment cancelled, funds saved, payee watchlisted
      │  ──resolve(released)───▶ resolved   payment released (a false positive)
      │  ──resolve(unreachable)▶ resolved   settled by policy: blocked at a high score, else released
      └──hold expires──────────▶ resolved   outcome unreachable, settled by policy

Contact attempts that miss (no answer, rejected, busy) make the next attempt due after the re-contact delay.
The events here are what other parts of kefu react to (follow-up callbacks, family alerts, wallboard).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, get_args

from kefu.domain.errors import IllegalTransition
from kefu.domain.events import Event

CaseOutcome = Literal["dissuaded", "released", "unreachable"]
CASE_OUTCOMES: tuple[str, ...] = get_args(CaseOutcome)
CaseStatus = Literal["open", "resolved"]
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)
ContactResult = Literal["reached", "no_answer", "rejected", "busy"]
CONTACT_RESULTS: tuple[str, ...] = get_args(ContactResult)
# What happened to the held payment in the end.
PaymentOutcome = Literal["cancelled", "released", "blocked"]
SettledBy = Literal["agent", "policy"]
AlertKind = Literal["case_opened", "case_dissuaded"]

CASE_QUEUE = "anti_fraud"  # every case waits here: the top-priority queue of the anti-fraud specialists
CASE_BUSINESS_LINE = "payments"  # the business line a case counts under in reports
CASE_SCORE_PER_PRIORITY = 20  # a case's routing priority rises by one per this many points of risk score


def case_priority(score: int) -> int:
    """A case's priority within the case queue: a riskier payment is called first (0-100 gives 0-5)."""
    return score // CASE_SCORE_PER_PRIORITY


@dataclass(slots=True)
class ContactAttempt:
    id: str
    case_id: str
    result: ContactResult
    at: datetime
    by: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FamilyAlert:
    """A message to the payer's registered trusted contact, as it was sent (or failed)."""

    id: str
    case_id: str
    kind: AlertKind
    contact_name: str
    contact_phone: str
    text_zh: str
    text_en: str
    at: datetime
    delivered: bool
    error: str | None = None


@dataclass(slots=True)
class Case:
    id: str
    payment_id: str
    customer_id: str | None
    payer_id: str
    payee_account: str
    payee_name: str
    amount: int
    currency: str
    score: int
    reasons: list[dict[str, Any]]
    typology: str | None
    rule_set_version: str
    elderly: bool
    opened_at: datetime
    hold_expires_at: datetime
    status: CaseStatus = "open"
    next_contact_due_at: datetime | None = None
    first_contact_at: datetime | None = None
    attempts: int = 0
    outcome: CaseOutcome | None = None
    payment_outcome: PaymentOutcome | None = None
    settled_by: SettledBy | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None
    agent_id: str | None = None  # the specialist who took the case from routing
    contact_attempts: list[ContactAttempt] = field(default_factory=list)
    alerts: list[FamilyAlert] = field(default_factory=list)

    def record_attempt(self, attempt: ContactAttempt, recontact_s: float) -> None:
        """Note one contact attempt; a miss makes the next attempt due after ``recontact_s``."""
        if self.status != "open":
            raise IllegalTransition("case", self.id, self.status, "record a contact attempt on")
        self.attempts += 1
        if self.first_contact_at is None:
            self.first_contact_at = attempt.at
        self.next_contact_due_at = (
            None if attempt.result == "reached" else attempt.at + timedelta(seconds=recontact_s)
        )
        self.contact_attempts.append(attempt)

    def resolve(
        self,
        outcome: CaseOutcome,
        at: datetime,
        by: str,
        note: str | None,
        block_from_score: int,
        settled_by: SettledBy = "agent",
    ) -> None:
        """Close the case; what happens to the payment follows from the outcome (see the module docstring)."""
        if self.status != "open":
            raise IllegalTransition("case", self.id, self.status, "resolve")
        self.status = "resolved"
        self.outcome = outcome
        if outcome == "dissuaded":
            self.payment_outcome = "cancelled"
        elif outcome == "released":
            self.payment_outcome = "released"
        else:
            self.payment_outcome = "blocked" if self.score >= block_from_score else "released"
        self.settled_by = settled_by
        self.resolved_at = at
        self.resolved_by = by
        self.note = note
        self.next_contact_due_at = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """Funds saved: the amount of a payment a dissuaded case stopped."""

    id: str
    case_id: str
    payment_id: str
    customer_id: str | None
    amount: int
    currency: str
    typology: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseOpened(Event):
    name: ClassVar[str] = "case.opened"
    case_id: str
    customer_id: str
    payment_id: str
    amount: int
    currency: str
    typology: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseResolved(Event):
    name: ClassVar[str] = "case.resolved"
    case_id: str
    customer_id: str
    outcome: CaseOutcome
    amount: int
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseContactAttempted(Event):
    name: ClassVar[str] = "case.contact_attempted"
    case_id: str
    result: str
    next_contact_due_at: datetime | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PaymentScreened(Event):
    name: ClassVar[str] = "payment.screened"
    payment_id: str
    decision: str
    score: int
    typology: str | None
    case_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PayeeReported(Event):
    name: ClassVar[str] = "payee.reported"
    account_id: str
    reports: int
    watchlisted: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class RuleSetLoaded(Event):
    name: ClassVar[str] = "rule_set.loaded"
    version: str
    seq: int
    at: datetime
