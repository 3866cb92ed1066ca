"""Bodies of quality: CSAT ratings, commendations (锦旗) and complaints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from kefu.domain.quality import Commendation, Complaint, ComplaintStatus
from kefu.entrypoints.api.shared.schemas import In, Out

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CsatIn(In):
    score: Annotated[int, Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy)")]
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CsatOut(Out):
    id: str
    conversation_id: str
    customer_id: str
    queue: str
    agent_id: str | None
    score: int
    comment: str | None
    at: datetime


class CommendationIn(In):
    customer_id: Id
    conversation_id: Id | None = None
    message: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class CommendationOut(Out):
    id: str
    agent_id: str
    customer_id: str
    conversation_id: str | None
    message: str
    by: str
    at: datetime

    @classmethod
    def of(cls, c: Commendation) -> CommendationOut:
        return cls.model_validate(c)


class AgentCommendationsOut(Out):
    agent_id: str
    commendations: int = Field(description="every commendation the agent ever earned")
    items: list[CommendationOut]
    next_cursor: str | None


class ComplaintIn(In):
    customer_id: Id
    conversation_id: Id | None = None
    agent_id: Id | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class ComplaintStepIn(In):
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ComplaintOut(Out):
    id: str
    customer_id: str
    conversation_id: str | None
    agent_id: str | None
    queue: str | None
    category: str
    text: str
    status: ComplaintStatus
    created_at: datetime
    updated_at: datetime
    handled_by: str | None
    note: str | None

    @classmethod
    def of(cls, c: Complaint) -> ComplaintOut:
        return cls.model_validate(c)


class ComplaintPage(Out):
    items: list[ComplaintOut]
    next_cursor: str | None
