"""Bodies of the anti-fraud desk's API: screening, cases, rules, payees, figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints, model_validator

from kefu.domain.cases import CaseOutcome, CaseStatus, ContactResult
from kefu.entrypoints.api.shared.schemas import Currency, In, Out

AccountId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Note = Annotated[str, StringConstraints(max_length=2000)]


class PayerIn(In):
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None

    @model_validator(mode="after")
    def _one_id(self) -> PayerIn:
        if (self.customer_id is None) == (self.external_id is None):
            raise ValueError("give exactly one of customer_id or external_id")
        return self


class PayeeIn(In):
    account_id: AccountId
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    kind: Literal["individual", "merchant", "organisation"] = "individual"


class DeviceIn(In):
    new_device: StrictBool = False
    remote_access_app: StrictBool = False
    on_call: StrictBool = False
    screen_sharing: StrictBool = False


class ScreenIn(In):
    payment_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    payer: PayerIn
    payee: PayeeIn
    amount: Annotated[StrictInt, Field(gt=0, le=10**15, description="integer minor units (fen)")]
    currency: Currency = "CNY"
    channel: Literal["transfer", "red_packet", "qr", "merchant"] = "transfer"
    memo: Annotated[str, StringConstraints(max_length=500)] | None = None
    created_at: datetime = Field(description="when the payer pressed pay; ISO 8601 with an offset")
    device: DeviceIn | None = None

    @model_validator(mode="after")
    def _aware(self) -> ScreenIn:
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must carry a timezone offset")
        return self


class ReasonOut(Out):
    code: str
    weight: int
    message_zh: str
    message_en: str


class ScreeningOut(Out):
    payment_id: str
    decision: Literal["allow", "warn", "hold", "block"]
    score: int
    reasons: list[ReasonOut]
    typology: str | None = None
    case_id: str | None = None
    hold_expires_at: datetime | None = None
    rule_set_version: str
    lane: str
    shadow: dict[str, Any]


class ContactAttemptIn(In):
    result: ContactResult
    note: Note | None = None


class ResolveCaseIn(In):
    outcome: CaseOutcome
    note: Note | None = None


class ContactAttemptOut(Out):
    id: str
    result: str
    at: datetime
    by: str
    note: str | None


class FamilyAlertOut(Out):
    id: str
    kind: str
    contact_name: str
    contact_phone: str
    text_zh: str
    text_en: str
    at: datetime
    delivered: bool
    error: str | None


class CaseOut(Out):
    id: str
    status: CaseStatus
    payment_id: str
    customer_id: str | None
    payee_account: str
    payee_name: str
    amount: int
    currency: str
    score: int
    typology: str | None
    elderly: bool
    opened_at: datetime
    hold_expires_at: datetime
    next_contact_due_at: datetime | None
    first_contact_at: datetime | None
    attempts: int
    agent_id: str | None
    outcome: CaseOutcome | None
    payment_outcome: str | None
    settled_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


class PayerOut(Out):
    id: str
    name: str
    phone: str | None
    language: str


class CaseDetailOut(CaseOut):
    reasons: list[ReasonOut]
    rule_set_version: str
    playbook: dict[str, Any]
    payer: PayerOut | None
    contact_attempts: list[ContactAttemptOut]
    alerts: list[FamilyAlertOut]


class RulesOut(Out):
    seq: int = Field(description="0: the rule set shipped with kefu; else the order it was loaded in")
    version: str
    loaded_at: datetime | None
    loaded_by: str | None
    thresholds: dict[str, int] = Field(description="in force: the rule set's, with configured overrides")
    rule_set: dict[str, Any]


class PayeeReportIn(In):
    account_id: AccountId
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PayeeStandingOut(Out):
    account_id: str
    reports: int
    watchlisted: bool


class TrustedPayeeIn(In):
    account_id: AccountId
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class TrustedPayeesIn(In):
    payees: Annotated[list[TrustedPayeeIn], Field(max_length=100)]


class TrustedPayeeOut(Out):
    account_id: str
    name: str


class TrustedPayeesOut(Out):
    customer_id: str
    payees: list[TrustedPayeeOut]


class FraudStatsOut(Out):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    screened: int
    allowed: int
    warned: int
    held: int
    blocked: int
    cases: dict[str, int]
    saved: dict[str, int] = Field(description="funds saved per currency, integer minor units")
    dissuasion_rate: float | None
    false_positive_rate: float | None
    median_time_to_first_contact_s: float | None
    by_typology: dict[str, dict[str, Any]]
