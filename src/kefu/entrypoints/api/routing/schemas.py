"""Bodies of routing: queues with their service levels and escalation, live queue figures, offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from kefu.domain.vocabulary import Channel
from kefu.entrypoints.api.shared.schemas import In, Level, Name, Out, Skill

QueueId = Annotated[str, StringConstraints(min_length=2, max_length=64)]
HomeFirst = dict[Literal["care", "case", "other"], Annotated[int, Field(ge=0, le=86_400)]]
_HOME_FIRST = (
    "seconds a task waits for its customer's home base before any base may answer, by priority class "
    "(care: elderly or vulnerable, case: intervention cases, other); a class left out uses kefu's default"
)


class ServiceLevelIn(In):
    answer_within_s: Annotated[int, Field(ge=1, le=86_400)] = 20
    target_pct: Annotated[float, Field(gt=0, le=100)] = 80.0


class EscalationStepIn(In):
    after_s: Annotated[int, Field(ge=1, le=86_400)]
    skills: dict[Skill, Level] = Field(default_factory=dict, max_length=64)
    sites: Literal["home", "all"] = "all"


class QueueIn(In):
    id: QueueId
    name: Name
    business_line: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    channels: list[Channel] = Field(min_length=1, max_length=3)
    skills: dict[Skill, Level] = Field(default_factory=dict, max_length=64)
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
    service_level: ServiceLevelIn = Field(default_factory=ServiceLevelIn)
    escalation: list[EscalationStepIn] = Field(default_factory=list, max_length=10)
    home_first_s: HomeFirst = Field(default_factory=dict, description=_HOME_FIRST)


class QueuePatch(In):
    name: Name | None = None
    channels: list[Channel] | None = Field(default=None, min_length=1, max_length=3)
    skills: dict[Skill, Level] | None = Field(default=None, max_length=64)
    priority: Annotated[int, Field(ge=-1000, le=1000)] | None = None
    service_level: ServiceLevelIn | None = None
    escalation: list[EscalationStepIn] | None = Field(default=None, max_length=10)
    home_first_s: HomeFirst | None = Field(default=None, description=_HOME_FIRST)


class ServiceLevelOut(Out):
    answer_within_s: int
    target_pct: float


class EscalationStepOut(Out):
    after_s: int
    skills: dict[str, int]
    sites: Literal["home", "all"]


class QueueOut(Out):
    id: str
    name: str
    business_line: str
    channels: list[Channel]
    skills: dict[str, int]
    priority: int
    service_level: ServiceLevelOut
    escalation: list[EscalationStepOut]
    created_at: datetime
    updated_at: datetime
    home_first_s: dict[str, int]


class SiteAgentsOut(Out):
    available: int
    busy: int
    away: int


class WindowStatsOut(Out):
    service_level_pct: float | None
    answered: int
    abandoned: int
    transferred: int = Field(description="contacts this queue sent on to another queue or agent")
    transferred_in: int = Field(
        default=0, description="of answered: contacts another queue answered first and transferred here"
    )


class QueueStatsOut(Out):
    queue: str
    waiting: int
    longest_wait_s: float
    agents: dict[str, SiteAgentsOut]
    service_level_pct: float | None = Field(
        description="last 15 minutes; abandoned contacts count against it"
    )
    answered: int = Field(description="last 15 minutes")
    abandoned: int = Field(description="last 15 minutes")
    transferred: int = Field(description="last 15 minutes: sent on to another queue or agent")
    transferred_in: int = Field(
        default=0, description="last 15 minutes, of answered: another queue answered first and sent here"
    )
    today: WindowStatsOut
    target_pct: float
    answer_within_s: int


class OfferOut(Out):
    id: str
    task: str
    kind: Literal["conversation", "callback", "case"]
    conversation_id: str | None
    subject_id: str
    queue: str
    channel: Channel
    care: bool
    created_at: datetime
    expires_at: datetime


class OfferDecisionOut(Out):
    offer_id: str
    status: Literal["accepted", "declined"]
    conversation_id: str | None = None


class QueuePlaceOut(Out):
    conversation_id: str
    queue: str
    state: Literal["waiting", "offered"]
    position: int | None = Field(description="1 is next; null for a moment after the contact opens")
    ahead: int | None = Field(description="waiting contacts of the same queue and channel served first")
    estimated_wait_s: int | None = Field(
        description="(ahead + 1) x recent mean handle time / capacity of the available eligible agents; "
        "null when nobody who may take it is available"
    )
    waited_s: int
    callback_offered: bool = Field(description="the customer may take a callback that keeps their place")
    callback_offered_after_s: int | None = Field(
        description="seconds until a callback is offered (0: offered now); null: never on this channel"
    )


class TransferIn(In):
    to_queue: QueueId | None = None
    to_agent: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RoutingRuleIn(In):
    queue: QueueId
    position: Annotated[int, Field(ge=0, le=1_000_000)] | None = Field(
        default=None, description="lower is tried first; omit to add after the last rule"
    )
    business_line: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    channel: Channel | None = None
    intent: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    language: Annotated[str, StringConstraints(min_length=2, max_length=8)] | None = None
    care: bool | None = Field(default=None, description="the customer is elderly or vulnerable")
    vip: bool | None = Field(default=None, description="the customer is a VIP")


class RoutingRuleOut(Out):
    id: str
    position: int
    queue: str
    business_line: str | None
    channel: str | None
    intent: str | None
    language: str | None
    care: bool | None
    vip: bool | None
    created_at: datetime
