"""Screening records and the commands of the anti-fraud desk (劝阻止付).

A screening record is the stored answer for one ``payment_id``: the same id always gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, NamedTuple

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
    # The payment as screened ({"payment": request without contact details, "counters": [...]}), so a
    # specialist can score it again (None for payments screened before it was kept).
    request: dict[str, Any] | None = None
    paid_at: datetime | None = None  # the payment's own time (counters use it; a restart replays it)
    # The integration (user id) that screened it; None when staff screened it or before this was recorded
    # (migration 0014): such payments are any integration's to follow.
    screened_by: str | None = None

    def screened_for(self, user_id: str) -> bool:
        """Whether this integration may follow the payment: it screened it, or no integration is recorded."""
        return self.screened_by is None or self.screened_by == user_id

    def same_payment(self, payer_id: str, payee_account: str, amount: int, currency: str) -> bool:
        """Whether a repeated request describes this payment (idempotency: same id, same payment)."""
        return (self.payer_id, self.payee_account, self.amount, self.currency) == (
            payer_id,
            payee_account,
            amount,
            currency,
        )


class ReplayedScreening(NamedTuple):
    """What a restart replays into in-memory counters from one stored screening (a lean row)."""

    payment_id: str
    payer_id: str
    payee_account: str
    amount: int
    currency: str
    decision: str
    screened_at: datetime
    paid_at: datetime | None


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


SpecialistChannel = Literal["chat", "voice"]


@dataclass(frozen=True, slots=True)
class SpecialistContact:
    """The customer's live contact with the anti-fraud desk about one payment, attached to its case."""

    payment_id: str
    status: PaymentStatus
    case_id: str
    case_ref: str
    conversation_id: str
    channel: SpecialistChannel
    opened: bool  # False: the customer asked before and that contact is still live (nothing new opened)


@dataclass(frozen=True, slots=True)
class TalkToSpecialist(Command[SpecialistContact]):
    """The customer pressed "联系反诈专员" on a warning or a hold in the app (passed on by the payments side):
    open or join the payer's case, hold a warned payment, and put the customer's live contact at the top of
    the anti-fraud queue."""

    payment_id: str
    channel: SpecialistChannel = "chat"


@dataclass(frozen=True, slots=True)
class RescreenSignals:
    """What a specialist learned on the call, in terms screening already understands: device signals (the
    ``device_*`` features) and typologies the payer's story speaks of (added to ``memo_typologies``)."""

    remote_access_app: bool = False
    on_call: bool = False
    screen_sharing: bool = False
    typologies: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "remote_access_app": self.remote_access_app,
            "on_call": self.on_call,
            "screen_sharing": self.screen_sharing,
            "typologies": list(self.typologies),
        }


@dataclass(frozen=True, slots=True)
class RescreenCase(Command[Case]):
    """Score the case's payments again with the rules in force and what the specialist learned; the result
    is recorded on the case (it never moves money: the outcome still decides)."""

    case_id: str
    signals: RescreenSignals = RescreenSignals()
    note: str | None = None
