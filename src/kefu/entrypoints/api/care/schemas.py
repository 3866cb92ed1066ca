"""Request and response bodies of the care API: knowledge base and callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from kefu.care.records import CallbackRecord
from kefu.domain.vocabulary import Language
from kefu.entrypoints.api.shared.schemas import In, Out, Phone

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]

# --- knowledge base -----------------------------------------------------------------------------------


class ArticleIn(In):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")] = Field(
        description="stable id chosen by the editor, e.g. refund-zh; saving an existing id replaces it"
    )
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Text
    language: Language
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20
    )


class ArticleOut(Out):
    id: str
    title: str
    body: str
    language: Language
    tags: list[str]


class SearchHitOut(Out):
    article: ArticleOut
    score: float = Field(description="BM25 score, comparable only within one search")
    confidence: float = Field(description="share of the query the article covers, 0..1")


class SearchOut(Out):
    query: str
    confident: bool = Field(description="whether self-service would answer with the first hit")
    hits: list[SearchHitOut]


# --- callbacks ----------------------------------------------------------------------------------------

CallbackStatus = Literal["scheduled", "due", "in_progress", "completed", "failed", "cancelled"]
AttemptResultIn = Literal["reached", "no_answer", "busy", "wrong_number"]


class CallbackIn(In):
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    window_start: AwareDatetime
    window_end: AwareDatetime
    phone: Phone | None = None


class CancelIn(In):
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class AttemptIn(In):
    result: AttemptResultIn
    note: Annotated[str, StringConstraints(max_length=2_000)] | None = None


class KeepPlaceIn(In):
    phone: Phone | None = None


class AttemptOut(Out):
    no: int
    at: datetime
    result: AttemptResultIn
    note: str | None


class CallbackOut(Out):
    id: str
    customer_id: str
    reason: str
    phone: str | None
    origin: Literal["requested", "follow_up", "keep_place"]
    status: CallbackStatus
    window_start: datetime
    window_end: datetime
    next_attempt_at: datetime | None
    attempts: list[AttemptOut]
    attempts_in_window: int
    rollovers: int
    roll_over: bool = Field(description="a missed window moves to the next day (elderly customers)")
    outcome: str | None
    closed_at: datetime | None
    queue: str
    care: bool
    conversation_id: str | None = Field(description="keep-your-place: the conversation it stands in for")
    follow_up: dict[str, str] | None = Field(description="for follow-ups: the event and subject followed")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: CallbackRecord) -> CallbackOut:
        cb = record.callback
        follow_up = (
            None
            if record.follow_up_event is None
            else {"event": record.follow_up_event, "subject_id": record.follow_up_subject_id or ""}
        )
        return cls.model_validate(
            {
                "id": cb.id,
                "customer_id": cb.customer_id,
                "reason": cb.reason,
                "phone": cb.phone,
                "origin": str(cb.origin),
                "status": str(cb.state),
                "window_start": cb.window_start,
                "window_end": cb.window_end,
                "next_attempt_at": cb.next_attempt_at,
                "attempts": [
                    {"no": a.no, "at": a.at, "result": str(a.result), "note": a.note} for a in cb.attempts
                ],
                "attempts_in_window": cb.attempts_in_window,
                "rollovers": cb.rollovers,
                "roll_over": cb.roll_over,
                "outcome": cb.outcome,
                "closed_at": cb.closed_at,
                "queue": record.queue_id,
                "care": record.care,
                "conversation_id": record.conversation_id,
                "follow_up": follow_up,
                "created_at": record.created_at,
                "updated_at": record.updated_at,
            }
        )
