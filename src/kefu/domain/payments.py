"""Screening records and the commands of the anti-fraud desk (劝阻止付).

A screening record is the stored answer for one ``payment_id``: the same id always gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from kefu.domain.cases import Case, CaseOutcome, ContactResult
from kefu.domain.commands import Command

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
    account_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SetTrustedPayees(Command[list[TrustedPayee]]):
    customer_id: str
    payees: tuple[TrustedPayee, ...]
