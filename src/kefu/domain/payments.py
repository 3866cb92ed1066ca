"""Screening records and the commands of the anti-fraud desk (劝阻止付).

A screening record is the stored answer for one ``payment_id``: the same id always gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from kefu.domain.cases import Case, CaseOutcome, ContactResult
from kefu.domain.commands import Command
from kefu.domain.events import Event

# allowed / warned go through; held waits for its case; blocked is refused; cancelled and released end a hold.
PaymentStatus = Literal["allowed", "warned", "held", "blocked", "cancelled", "released"]


@dataclass(slots=True)
class ScreeningRecord:
    payment_id: str
    customer_id: str | None
    payer_id: str
    payee_account: str
    amount: int
    currency: str
    decision: str
    score: int
    typology: str | None
    rule_set_version: str
    result: dict[str, Any]
    screened_at: datetime
    status: PaymentStatus
    case_id: str | None = None
    hold_expires_at: datetime | None = None
    status_changed_at: datetime | None = None  # None: the status is still the screening's first answer

    def same_payment(self, payer_id: str, payee_account: str, amount: int, currency: str) -> bool:
        """Whether a repeated request describes this payment (idempotency: same id, same payment)."""
        return (self.payer_id, self.payee_account, self.amount, self.currency) == (
            payer_id,
            payee_account,
            amount,
            currency,
        )


def case_reference(case_id: str) -> str:
    """A short reference a customer can read back to the caller (``KF-`` and the case id's last eight
    characters, upper case): the app shows it beside the specialist's name as proof the call is genuine."""
    tail = "".join(ch for ch in case_id if ch.isalnum())[-8:].upper()
    return f"KF-{tail}"


@dataclass(frozen=True, slots=True)
class PaymentStatusChanged(Event):
    """A payment's status changed (a stop at screening, or its case's outcome); the gateway is told."""

    name: ClassVar[str] = "payment.status_changed"
    payment_id: str
    status: PaymentStatus
    previous: PaymentStatus | None
    case_id: str | None
    at: datetime


@dataclass(slots=True)
class WebhookDelivery:
    """One status change to POST to the payments gateway, retried with backoff until acknowledged (2xx).

    ``id`` is the event id the gateway deduplicates by; ``body`` is sent as it is stored."""

    id: str
    payment_id: str
    status: PaymentStatus
    body: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    delivered_at: datetime | None = None
    last_error: str | None = None
    claimed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrustedPayee:
    account_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class StoredRuleSet:
    seq: int
    version: str
    source: str
    loaded_at: datetime
    loaded_by: str


WatchlistSource = Literal["case", "report", "police", "bank", "manual"]


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """A payee account screening blocks: why, on whose word (``source``), who added it and when."""

    account_id: str
    reason: str
    source: str
    case_id: str | None
    added_by: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PayeeStanding:
    account_id: str
    reports: int
    watchlisted: bool


@dataclass(frozen=True, slots=True)
class ScreenPayment(Command[ScreeningRecord]):
    """Screen one payment request (the body of ``POST /api/v1/payments/screen``)."""

    request: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class RecordContactAttempt(Command[Case]):
    case_id: str
    result: ContactResult
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ResolveCase(Command[Case]):
    case_id: str
    outcome: CaseOutcome
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DecideRelease(Command[Case]):
    """A supervisor approves or refuses a release waiting for a second pair of eyes."""

    case_id: str
    approve: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReportPayee(Command[PayeeStanding]):
    """A report of a scam account; it counts once per reporter (the customer, else the signed-in user)."""

    account_id: str
    reason: str
    customer_id: str | None = None  # the customer who reported, when the customer's side passes it on


TrustChannel = Literal["app", "chat", "voice", "branch"]
TRUST_CHANNELS: tuple[str, ...] = ("app", "chat", "voice", "branch")


@dataclass(frozen=True, slots=True)
class SetTrustedPayees(Command[list[TrustedPayee]]):
    """The customer's own confirmed list of trusted payees, passed on by the customer's side with the
    channel the customer used; a watchlisted payee stays blocked whatever the list says."""

    customer_id: str
    payees: tuple[TrustedPayee, ...]
    channel: TrustChannel = "app"


@dataclass(frozen=True, slots=True)
class AddToWatchlist(Command[WatchlistEntry]):
    account_id: str
    reason: str
    source: WatchlistSource = "manual"


@dataclass(frozen=True, slots=True)
class RemoveFromWatchlist(Command[None]):
    account_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PayeeWatchlistChanged(Event):
    name: ClassVar[str] = "payee.watchlist_changed"
    account_id: str
    listed: bool
    source: str
    at: datetime


ContactField = Literal["payer_phone", "trusted_contact_phone"]
CallTarget = Literal["payer", "trusted_contact"]


@dataclass(frozen=True, slots=True)
class RevealedContact:
    """A full phone number on a case, shown to the specialist working it (the reveal is audited)."""

    case_id: str
    field: ContactField
    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class CaseCall:
    """A call placed for a case: a ``tel:`` link, or a call the telephony platform rang."""

    case_id: str
    target: CallTarget
    number: str  # masked: the number itself stays with the dialer
    placed: bool
    link: str | None
    reference: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RevealCaseContact(Command[RevealedContact]):
    """Show the payer's or trusted contact's full number on a case (audited: who, when, which field)."""

    case_id: str
    field: ContactField


@dataclass(frozen=True, slots=True)
class CallCaseContact(Command[CaseCall]):
    """Place a call from the specialist's extension to the payer or the trusted contact of a case."""

    case_id: str
    target: CallTarget
    extension: str | None = None
