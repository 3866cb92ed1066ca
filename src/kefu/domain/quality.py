"""Quality and recognition: CSAT ratings, commendations (锦旗) and complaints, with their commands and events.

A CSAT rating is given once per conversation, and only once the conversation is over (``resolved`` or
``closed``): a customer rates the service they received, not a service still under way. A commendation
(锦旗) thanks one agent. A complaint is worked by supervisors through a small lifecycle::

    open ──investigate──▶ investigating ──uphold──▶ upheld
      │                         └────────reject──▶ rejected
      └──uphold / reject (decided at once)──▶ upheld | rejected
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from kefu.domain.commands import Command
from kefu.domain.errors import IllegalTransition, InvalidInput
from kefu.domain.events import Event
from kefu.domain.vocabulary import ConversationStatus

CSAT_MIN = 1
CSAT_MAX = 5
RATEABLE: frozenset[ConversationStatus] = frozenset({"resolved", "closed"})

ComplaintStatus = Literal["open", "investigating", "upheld", "rejected"]
ComplaintAction = Literal["investigate", "uphold", "reject"]
COMPLAINT_CATEGORIES: tuple[str, ...] = (
    "attitude",
    "wrong_information",
    "slow_service",
    "unresolved",
    "privacy",
    "other",
)

_COMPLAINT_STEPS: dict[tuple[ComplaintStatus, ComplaintAction], ComplaintStatus] = {
    ("open", "investigate"): "investigating",
    ("open", "uphold"): "upheld",
    ("open", "reject"): "rejected",
    ("investigating", "uphold"): "upheld",
    ("investigating", "reject"): "rejected",
}


def check_score(score: int) -> int:
    if not CSAT_MIN <= score <= CSAT_MAX:
        raise InvalidInput(f"score must be between {CSAT_MIN} and {CSAT_MAX}", field="score")
    return score


@dataclass(frozen=True, slots=True)
class CsatRating:
    """One customer's 1-5 rating of one finished conversation, with the conversation's queue and agent."""

    id: str
    conversation_id: str
    customer_id: str
    queue: str
    business_line: str
    agent_id: str | None
    score: int
    comment: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Commendation:
    """A 锦旗: a customer's thanks to one agent, perhaps for one conversation."""

    id: str
    agent_id: str
    customer_id: str
    conversation_id: str | None
    queue: str | None
    business_line: str | None
    message: str
    by: str
    at: datetime


@dataclass(slots=True)
class Complaint:
    id: str
    customer_id: str
    conversation_id: str | None
    agent_id: str | None
    queue: str | None
    business_line: str | None
    category: str
    text: str
    status: ComplaintStatus
    created_at: datetime
    updated_at: datetime
    handled_by: str | None = None
    note: str | None = None

    def step(self, action: ComplaintAction, by: str, note: str | None, now: datetime) -> None:
        target = _COMPLAINT_STEPS.get((self.status, action))
        if target is None:
            raise IllegalTransition("complaint", self.id, self.status, action)
        self.status = target
        self.handled_by = by
        if note is not None:
            self.note = note
        self.updated_at = now


# --- commands -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordCsat(Command["CsatRating"]):
    conversation_id: str
    score: int
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class GiveCommendation(Command["Commendation"]):
    agent_id: str
    customer_id: str
    message: str
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class FileComplaint(Command["Complaint"]):
    customer_id: str
    category: str
    text: str
    conversation_id: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class HandleComplaint(Command["Complaint"]):
    complaint_id: str
    action: ComplaintAction
    note: str | None = None


# --- events -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsatRecorded(Event):
    name: ClassVar[str] = "quality.csat_recorded"
    conversation_id: str
    agent_id: str | None
    score: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CommendationGiven(Event):
    name: ClassVar[str] = "quality.commendation_given"
    commendation_id: str
    agent_id: str
    customer_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ComplaintFiled(Event):
    name: ClassVar[str] = "quality.complaint_filed"
    complaint_id: str
    customer_id: str
    agent_id: str | None
    category: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ComplaintChanged(Event):
    name: ClassVar[str] = "quality.complaint_changed"
    complaint_id: str
    status: str
    at: datetime
