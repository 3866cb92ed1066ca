"""Request and response bodies shared by every job (users, sites, customers, agents, conversations, health)
and the bases they all build on. Requests reject unknown fields; responses are what clients may rely on."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kefu.domain.money import is_currency
from kefu.domain.vocabulary import Channel, ConversationStatus, Language, Presence, Role

T = TypeVar("T")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Skill = Annotated[str, StringConstraints(min_length=1, max_length=32)]


# Control characters break storage (PostgreSQL refuses NUL in text) and logs; tab and newlines are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Times kefu can store and compare on either database without overflowing (UTC, any offset).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _no_controls(value: Any, path: str) -> None:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError(f"{path or 'value'}: control characters (such as NUL) are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_controls(key, path)
            _no_controls(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _no_controls(item, f"{path}[{i}]")


def check_instant(value: datetime) -> datetime:
    """A time within 1900..2200 once converted to UTC (an offset near year 9999 would overflow)."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("time is out of range") from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError("time must be between 1900 and 2200")
    return value


def check_day(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("date must be between 1900 and 2200")
    return value


def _sane_times(value: Any, path: str) -> None:
    if isinstance(value, datetime):
        try:
            check_instant(value)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    elif isinstance(value, date):
        try:
            check_day(value)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _sane_times(item, f"{path}[{i}]")


class In(BaseModel):
    """Base of every request body: unknown fields, control characters in any string (keys too) and times
    outside 1900..2200 are refused with 422, for every field of every job at once."""

    model_config = ConfigDict(extra="forbid", str_max_length=20_000)

    @model_validator(mode="before")
    @classmethod
    def _refuse_control_characters(cls, data: Any) -> Any:
        _no_controls(data, "")
        return data

    @model_validator(mode="after")
    def _refuse_times_out_of_range(self) -> Self:
        for name in type(self).model_fields:
            _sane_times(getattr(self, name), name)
        return self


def _currency(code: str) -> str:
    if not is_currency(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code such as CNY")
    return code


Currency = Annotated[str, AfterValidator(_currency)]
# A time in a query parameter, held to the same range as times in bodies.
Instant = Annotated[datetime, AfterValidator(check_instant)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as ?cursor= to get the next page; null on the last page"
    )


# --- auth ---------------------------------------------------------------------------------------------


class LoginIn(In):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TokenOut(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime


class UserIn(In):
    username: Annotated[str, StringConstraints(min_length=2, max_length=63)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)]
    role: Role
    sites: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=list,
        max_length=64,
        description="a supervisor's bases (site ids); empty: all bases",
    )


class UserOut(Out):
    id: str
    username: str
    role: Role
    active: bool
    created_at: datetime
    sites: list[str] = Field(default_factory=list, description="a supervisor's bases; empty: all")


class PasswordIn(In):
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)]


class ApiTokenIn(In):
    username: Annotated[str, StringConstraints(min_length=2, max_length=63)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    days: int = Field(default=90, ge=1, le=365, strict=True, description="days until the token expires")
    scopes: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=100, description="permissions the token is narrowed to; null: the role's"
    )


class ApiTokenOut(Out):
    id: str
    user_id: str
    name: str
    scopes: list[str] | None
    created_at: datetime
    expires_at: datetime
    created_by: str
    revoked_at: datetime | None


class ApiTokenIssuedOut(ApiTokenOut):
    access_token: str = Field(description="shown once; kefu keeps only its record")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret


class MeOut(Out):
    id: str
    username: str
    role: Role
    agent_id: str | None


# --- sites --------------------------------------------------------------------------------------------


class SiteOut(Out):
    id: str
    name: str
    name_zh: str
    timezone: str


# --- customers ----------------------------------------------------------------------------------------


class TrustedContactIn(In):
    name: Name
    phone: Phone
    relation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    language: Language | None = Field(
        default=None, description="alerts are written in it; else the customer's"
    )


class TrustedContactOut(Out):
    name: str
    phone: str
    relation: str
    language: Language | None = None


class CustomerIn(In):
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    name: Name
    phone: Phone | None = None
    birth_date: date | None = None
    language: Language = "zh"
    vulnerable: bool = False
    vip: bool = Field(default=False, description="a VIP customer; routing rules may match on it")
    trusted_contact: TrustedContactIn | None = None
    home_site: Annotated[str, StringConstraints(max_length=32)] | None = None


class CustomerPatch(In):
    name: Name | None = None
    phone: Phone | None = None
    birth_date: date | None = None
    language: Language | None = None
    vulnerable: bool | None = None
    vip: bool | None = None
    trusted_contact: TrustedContactIn | None = None
    home_site: Annotated[str, StringConstraints(max_length=32)] | None = None


class CustomerOut(Out):
    id: str
    external_id: str
    name: str
    phone: str | None
    birth_date: date | None
    language: Language
    vulnerable: bool
    vip: bool
    elderly: bool
    trusted_contact: TrustedContactOut | None
    home_site: str | None
    created_at: datetime
    updated_at: datetime


# --- agents -------------------------------------------------------------------------------------------

Level = Annotated[int, Field(ge=1, le=5)]
Capacity = Annotated[int, Field(ge=0, le=20)]


class AgentIn(In):
    name: Name
    site: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    skills: dict[Skill, Level] = Field(max_length=64)
    capacity: dict[Channel, Capacity]
    username: Annotated[str, StringConstraints(min_length=2, max_length=63)] | None = None


class AgentPatch(In):
    name: Name | None = None
    site: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    skills: dict[Skill, Level] | None = Field(default=None, max_length=64)
    capacity: dict[Channel, Capacity] | None = None


class PresenceIn(In):
    presence: Presence
    reason: Literal["meal", "training", "meeting"] | None = Field(
        default=None, description="with away only: the break's reason (用餐, 培训, 会议)"
    )


class AgentOut(Out):
    id: str
    name: str
    site: str
    skills: dict[str, int]
    capacity: dict[str, int]
    presence: Presence
    presence_since: datetime | None
    presence_reason: str | None = Field(
        default=None,
        description="why the agent is away: `missed` (set by kefu after an unanswered offer), or the "
        "agent's own `meal`, `training` or `meeting`",
    )
    user_id: str | None
    created_at: datetime
    updated_at: datetime


# --- conversations ------------------------------------------------------------------------------------


class ConversationIn(In):
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    business_line: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None, description="omit to let triage choose it from subject and text"
    )
    channel: Channel
    subject: Annotated[str, StringConstraints(max_length=500)] | None = None
    text: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    queue: Annotated[str, StringConstraints(min_length=2, max_length=64)] | None = Field(
        default=None, description="omit to let the routing rules, then the business line, choose it"
    )


class MessageIn(In):
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class AssignIn(In):
    agent_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ResolveIn(In):
    disposition: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    note: Annotated[str, StringConstraints(max_length=5_000)] | None = None


class MessageOut(Out):
    id: str
    conversation_id: str
    sender: Literal["customer", "agent", "system", "note"] = Field(
        description="note: an internal note between staff, never shown to the customer's side"
    )
    author_id: str | None
    body: str
    created_at: datetime


class ConversationOut(Out):
    id: str
    customer_id: str
    business_line: str
    channel: Channel
    subject: str | None
    status: ConversationStatus
    priority: int
    queue: str
    care: bool
    agent_id: str | None
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    disposition: str | None
    note: str | None
    intent: str | None = Field(default=None, description="from triage of the opening words")
    language: str | None = Field(default=None, description="zh or en, from triage")
    care_guidance: list[str] = Field(
        default_factory=list, description="for care conversations: how to serve, in the agent's language"
    )


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


# --- health -------------------------------------------------------------------------------------------


class HealthOut(Out):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]
    version: str
    outbox_lag_s: float | None = None  # age of the oldest event not yet published; null if unknown


def changes(patch: BaseModel) -> dict[str, Any]:
    """Fields the client actually sent (an explicit null clears; an absent field is left alone)."""
    return {name: getattr(patch, name) for name in patch.model_fields_set}


# --- the event stream --------------------------------------------------------------------------------


class StreamTicketOut(Out):
    ticket: str = Field(
        description="pass as ?ticket= to GET /api/v1/stream; valid one minute, for the stream only"
    )
    expires_at: datetime
