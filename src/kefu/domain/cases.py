"""Intervention cases (劝阻止付): every stop reaches a human.

A hold opens a *decide* case (the payment waits: cancel or release), a block opens a *protect* case (the
payment stays blocked: reach the payer, explain, protect), a customer's scam report opens a *report* case
(the customer's conversation attached). Further stops of the same payer while their case is open join it as
one episode: one case, one specialist, every payment decided together (each keeps its own status). Its
lifecycle::

    open ──resolve(dissuaded)──────────▶ resolved   held payments cancelled, funds saved, payees watchlisted
      │  ──resolve(released)───────────▶ resolved   a reached contact and a reason, below the review amount
      │  ──request release─▶ pending_approval ──approve (another supervisor)──▶ resolved (released)
      │                            └──refuse──▶ open
      │  ──resolve(unreachable)────────▶ resolved   settled by policy: kept stopped or released
      └──hold expires──────────────────▶ resolved   outcome unreachable, settled by policy

Settled by policy, a case keeps its payments stopped when its score reaches the block-from score or its
typology or reasons are protected by the rule set (see ``ProtectPolicy``); otherwise they are released.
Contact attempts that miss (no answer, rejected, busy) make the next attempt due after the re-contact delay.
The events here are what other parts of kefu react to (follow-up callbacks, family alerts, wallboard).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, get_args

from kefu.domain.errors import IllegalTransition, InvalidInput, NeedsContact
from kefu.domain.events import Event

CaseOutcome = Literal["dissuaded", "released", "unreachable"]
CASE_OUTCOMES: tuple[str, ...] = get_args(CaseOutcome)
CaseStatus = Literal["open", "pending_approval", "resolved"]
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)
# decide: a held payment waits for the outcome; protect: a blocked payment, reach and protect the payer;
# report: the customer reported a scam (money may already be gone).
CaseKind = Literal["decide", "protect", "report"]
CASE_KINDS: tuple[str, ...] = get_args(CaseKind)
ContactResult = Literal["reached", "no_answer", "rejected", "busy"]
CONTACT_RESULTS: tuple[str, ...] = get_args(ContactResult)
# What happened to the held payment in the end.
PaymentOutcome = Literal["cancelled", "released", "blocked"]
SettledBy = Literal["agent", "policy"]
# case_opened is no longer sent (alerts wait for an outcome); it stays readable on older cases.
AlertKind = Literal["case_opened", "case_dissuaded", "unreachable", "all_clear"]

CASE_QUEUE = "anti_fraud"  # every case waits here: the top-priority queue of the anti-fraud specialists
CASE_BUSINESS_LINE = "payments"  # the business line a case counts under in reports
CASE_SCORE_PER_PRIORITY = 20  # a case's routing priority rises by one per this many points of risk score


REPORT_PRIORITY = 5  # a victim who reports a scam may have money in flight: as urgent as the riskiest hold


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
    language: str = "zh"  # the contact's language: the text a channel sends
    attempts: int = 1
    retry_at: datetime | None = None  # a failed alert is sent again then (None: delivered or given up)


@dataclass(slots=True)
class Case:
    id: str
    payment_id: str | None  # the payment that opened it (None for a report case)
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
    kind: CaseKind = "decide"
    conversation_id: str | None = None  # a report case: the customer's conversation
    release_requested_by: str | None = None  # four eyes: who asked to release, awaiting a supervisor
    release_reason: str | None = None
    contact_attempts: list[ContactAttempt] = field(default_factory=list)
    alerts: list[FamilyAlert] = field(default_factory=list)

    @property
    def reason_codes(self) -> frozenset[str]:
        return frozenset(str(r.get("code")) for r in self.reasons)

    def reached(self) -> bool:
        """Whether a specialist has spoken with the payer on this case."""
        return any(a.result == "reached" for a in self.contact_attempts)

    def misses(self) -> int:
        return sum(1 for a in self.contact_attempts if a.result != "reached")

    def join(
        self,
        amount: int,
        currency: str,
        score: int,
        reasons: list[dict[str, Any]],
        typology: str | None,
        held: bool,
        hold_until: datetime,
    ) -> None:
        """Another stop of the same payer joins this open case: one episode, one specialist.

        The case shows the amount at stake (in its currency), the highest score, every reason once; a held
        payment makes the case one to decide and keeps it open at least until ``hold_until``."""
        if self.status != "open":
            raise IllegalTransition("case", self.id, self.status, "add a payment to")
        if currency == self.currency:
            self.amount += amount
        self.score = max(self.score, score)
        codes = self.reason_codes
        self.reasons = [*self.reasons, *(r for r in reasons if str(r.get("code")) not in codes)]
        self.typology = self.typology or typology
        if held:
            self.kind = "decide"
            self.hold_expires_at = max(self.hold_expires_at, hold_until)

    def request_release(self, by: str, reason: str) -> None:
        """Four eyes: a release at or above the review amount waits for a supervisor's approval."""
        self._check_release(reason)
        self.status = "pending_approval"
        self.release_requested_by = by
        self.release_reason = reason

    def refuse_release(self) -> None:
        if self.status != "pending_approval":
            raise IllegalTransition("case", self.id, self.status, "refuse the release of")
        self.status = "open"
        self.release_requested_by = None
        self.release_reason = None

    def _check_release(self, reason: str | None) -> None:
        if self.status != "open":
            raise IllegalTransition("case", self.id, self.status, "release")
        if not self.reached():
            raise NeedsContact(
                f"case {self.id!r} cannot be released before the payer was reached; record a reached "
                "contact attempt first",
                case_id=self.id,
            )
        if reason is None or not reason.strip():
            raise InvalidInput("a release needs a reason (note)", field="note")

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
        keep_stopped: bool,
        settled_by: SettledBy = "agent",
        approved: bool = False,
    ) -> None:
        """Close the case; what happens to its held payments follows from the outcome (see the module
        docstring). ``keep_stopped``: the policy answer for ``unreachable``; ``approved``: a supervisor
        approved a pending release."""
        if approved:
            if self.status != "pending_approval" or outcome != "released":
                raise IllegalTransition("case", self.id, self.status, "approve the release of")
        elif outcome == "released" and settled_by == "agent":
            self._check_release(note)
        elif self.status == "resolved" or (self.status != "open" and settled_by != "policy"):
            raise IllegalTransition("case", self.id, self.status, "resolve")
        self.status = "resolved"
        self.outcome = outcome
        if self.kind == "report":
            self.payment_outcome = None
        elif self.kind == "protect":
            self.payment_outcome = "blocked"  # a blocked payment stays blocked, whatever the outcome
        elif outcome == "dissuaded":
            self.payment_outcome = "cancelled"
        elif outcome == "released":
            self.payment_outcome = "released"
        else:
            self.payment_outcome = "blocked" if keep_stopped else "released"
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
    payment_id: str  # empty for a report case
    amount: int
    currency: str
    typology: str | None
    at: datetime
    kind: str = "decide"


@dataclass(frozen=True, slots=True)
class CasePaymentJoined(Event):
    """A further stop of the payer joined their open case."""

    name: ClassVar[str] = "case.payment_joined"
    case_id: str
    payment_id: str
    decision: str
    amount: int
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseReleaseRequested(Event):
    name: ClassVar[str] = "case.release_requested"
    case_id: str
    by: str
    amount: int
    currency: str
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
