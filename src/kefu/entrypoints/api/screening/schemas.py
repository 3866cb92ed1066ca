"""Bodies of the anti-fraud desk's API: screening, cases, rules, payees, figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints, model_validator

from kefu.domain.cases import CaseKind, CaseOutcome, CaseStatus, ContactResult
from kefu.entrypoints.api.shared.schemas import Currency, In, Out

AccountId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Note = Annotated[str, StringConstraints(max_length=2000)]


Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{4,22}[0-9]$")]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PayerContactIn(In):
    name: PersonName
    phone: Phone
    relation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = "family"


class PayerIn(In):
    """Who pays: by ``customer_id`` or ``external_id``, optionally with contact details that create (a payer
    kefu has never served) or update the customer record in the same transaction as the screening."""

    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    name: PersonName | None = None
    phone: Phone | None = None
    birth_date: date | None = Field(
        default=None, description="checked: not in the future, at most 130 years ago"
    )
    language: Literal["zh", "en"] | None = None
    trusted_contact: PayerContactIn | None = None

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


PaymentStatusName = Literal["allowed", "warned", "held", "blocked", "cancelled", "released"]


class ReasonOut(Out):
    code: str
    weight: int
    message_zh: str
    message_en: str


class ModelScoreOut(Out):
    version: str
    probability: float | None = Field(
        description="the model's calibrated probability that the payment is a scam (null: the allow lane "
        "decided before the model was asked)"
    )
    points: int = Field(description="what it added to the rules' weights: round(weight × probability)")


class ShadowModelOut(Out):
    version: str
    probability: float
    decision: Literal["allow", "warn", "hold", "block"] = Field(description="what it would have decided")


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
    model: ModelScoreOut | None = Field(default=None, description="the live model's score, when one is live")
    model_shadow: ShadowModelOut | None = Field(
        default=None, description="a shadow model's score: recorded, never deciding"
    )
    status: PaymentStatusName = Field(description="the payment's status now (a replay shows the current one)")


class PaymentOut(Out):
    payment_id: str
    status: PaymentStatusName
    decision: Literal["allow", "warn", "hold", "block"]
    score: int
    typology: str | None
    case_id: str | None
    case_ref: str | None = Field(
        description="short case reference the app shows as proof the call is genuine"
    )
    specialist: str | None = Field(
        description="display name of the specialist working the case, once assigned"
    )
    hold_expires_at: datetime | None
    screened_at: datetime
    status_changed_at: datetime | None = Field(description="last change of status (None: never changed)")
    label: Literal["scam", "legitimate"] | None = Field(
        default=None, description="what the payment turned out to be: its latest label, if any"
    )
    label_source: str | None = Field(default=None, description="where the latest label came from")


class LabelIn(In):
    label: Literal["scam", "legitimate"]
    source: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")] = (
        Field(description="the evidence: chargeback, police_report, ...")
    )
    note: Note | None = None


class LabelOut(Out):
    payment_id: str
    label: Literal["scam", "legitimate"]
    source: str
    at: datetime
    by: str
    note: str | None


class ContactAttemptIn(In):
    result: ContactResult
    note: Note | None = None


class ResolveCaseIn(In):
    outcome: CaseOutcome
    note: Note | None = Field(default=None, description="the reason; required to release")


class ReleaseDecisionIn(In):
    approve: StrictBool
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
    delivered: bool = Field(description="true only when a channel acknowledged it")
    error: str | None
    language: str
    attempts: int
    retry_at: datetime | None


class CasePaymentOut(Out):
    payment_id: str
    decision: str
    status: str = Field(description="allowed, warned, held, blocked, cancelled or released")
    amount: int
    currency: str
    payee_account: str
    score: int
    screened_at: datetime
    # What the specialist weighs, from the payment as screened (None for payments screened before it was
    # kept): the payment's own time, its channel and memo, the payee and the device signals.
    paid_at: datetime | None = Field(default=None, description="when the payer pressed pay")
    channel: str | None = None
    memo: str | None = None
    payee_name: str | None = None
    payee_kind: str | None = None
    payee_age_s: int | None = Field(default=None, description="how long kefu has known the payee account")
    device: dict[str, bool] | None = None


class CaseOut(Out):
    id: str
    kind: CaseKind
    status: CaseStatus
    payment_id: str | None
    conversation_id: str | None
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
    release_requested_by: str | None
    release_reason: str | None


class TrustedContactOut(Out):
    name: str
    phone: str = Field(description="masked for agents: reveal it on the case to call")
    relation: str


class PayerOut(Out):
    id: str
    name: str
    phone: str | None
    language: str
    trusted_contact: TrustedContactOut | None = None


class RescreenPaymentOut(Out):
    payment_id: str
    score: int
    decision: str
    was: int = Field(description="the score at screening")


class RescreenSignalsOut(Out):
    remote_access_app: bool
    on_call: bool
    screen_sharing: bool
    typologies: list[str]


class RescreenOut(Out):
    at: datetime
    by: str
    note: str | None
    signals: RescreenSignalsOut
    score: int = Field(description="the highest score of the case's payments, scored again")
    decision: str = Field(description="what screening would decide now (it moves no money)")
    typology: str | None
    reasons: list[ReasonOut]
    rule_set_version: str
    payments: list[RescreenPaymentOut]


class CaseDetailOut(CaseOut):
    rescreen: RescreenOut | None = Field(default=None, description="the latest re-screening, if any")
    reasons: list[ReasonOut]
    rule_set_version: str
    playbook: dict[str, Any]
    payer: PayerOut | None
    contact_attempts: list[ContactAttemptOut]
    alerts: list[FamilyAlertOut]
    payments: list[CasePaymentOut] = Field(description="the episode: every stop of the payer in this case")


class RulesOut(Out):
    seq: int = Field(description="0: the rule set shipped with kefu; else the order it was loaded in")
    version: str
    loaded_at: datetime | None
    loaded_by: str | None
    thresholds: dict[str, int] = Field(description="in force: the rule set's, with configured overrides")
    rule_set: dict[str, Any]


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PayeeReportIn(In):
    account_id: AccountId
    reason: Reason
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="the reporting customer; reports count once per reporter"
    )


class WatchlistIn(In):
    account_id: AccountId
    reason: Reason
    source: Literal["case", "report", "police", "bank", "manual"] = "manual"


class WatchlistEntryOut(Out):
    account_id: str
    reason: str
    source: str
    case_id: str | None
    added_by: str | None
    at: datetime


class PayeeStandingOut(Out):
    account_id: str
    reports: int
    watchlisted: bool


class TrustedPayeeIn(In):
    account_id: AccountId
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class TrustedPayeesIn(In):
    payees: Annotated[list[TrustedPayeeIn], Field(max_length=100)]
    channel: Literal["app", "chat", "voice", "branch"] = Field(
        description="how the customer confirmed the list (recorded and audited)"
    )


class TrustedPayeeOut(Out):
    account_id: str
    name: str


class TrustedPayeesOut(Out):
    customer_id: str
    payees: list[TrustedPayeeOut]


class ModelWeekOut(Out):
    model_version: str | None
    week: str = Field(description="the Monday starting the week, in the centre's timezone")
    screened: int
    hold_rate: float
    stop_rate: float = Field(description="held or blocked over screened")
    labelled_stops: int
    precision: float | None = Field(description="scam-labelled over labelled stops; null without labels")


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
    models: list[ModelWeekOut] = Field(
        default_factory=list, description="drift: per model version (null: rules alone) and local week"
    )


class RevealIn(In):
    field: Literal["payer_phone", "trusted_contact_phone"]


class RevealOut(Out):
    case_id: str
    field: str
    name: str
    phone: str


class CallIn(In):
    target: Literal["payer", "trusted_contact"] = "payer"
    extension: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z*#+_.-]{1,32}$")] | None
    ) = Field(default=None, description="the agent's extension (default: the signed-in username)")


class CallOut(Out):
    case_id: str
    target: str
    number: str = Field(description="masked; the full number went to the dialer only")
    placed: bool = Field(description="true: the telephony platform rings the extension, then the number")
    link: str | None = Field(description="tel: link to open on the agent's phone (the default dialer)")
    reference: str | None
    error: str | None


class SpecialistIn(In):
    channel: Literal["chat", "voice"] = Field(
        default="chat", description="how the customer waits: chat in the app, or a voice call"
    )


class SpecialistOut(Out):
    payment_id: str
    status: str = Field(description="the payment's status now: a warned payment is held until the outcome")
    case_id: str
    case_ref: str = Field(description="what the app shows the customer as proof the specialist is genuine")
    conversation_id: str = Field(description="the customer's live contact, attached to the case")
    channel: Literal["chat", "voice"]


class RescreenSignalsIn(In):
    remote_access_app: StrictBool = Field(
        default=False, description="a remote-access app was seen on the call"
    )
    on_call: StrictBool = Field(
        default=False, description="the payer is on a call with someone directing them"
    )
    screen_sharing: StrictBool = Field(default=False, description="the payer is sharing their screen")
    typologies: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=8, description="typologies the payer's story speaks of"
    )


class RescreenIn(In):
    note: Note | None = Field(default=None, description="what the specialist learned")
    signals: RescreenSignalsIn = Field(default_factory=RescreenSignalsIn)
