"""Intervention cases (劝阻止付): opened by a held payment, resolved as dissuaded, released or unreachable.

The events here are what other parts of kefu react to (follow-up callbacks, family alerts, wallboard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from kefu.domain.events import Event

CaseOutcome = Literal["dissuaded", "released", "unreachable"]


@dataclass(frozen=True, slots=True)
class CaseOpened(Event):
    name: ClassVar[str] = "case.opened"
    case_id: str
    customer_id: str
    payment_id: str
    amount: int
    currency: str
    typology: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseResolved(Event):
    name: ClassVar[str] = "case.resolved"
    case_id: str
    customer_id: str
    outcome: CaseOutcome
    amount: int
    currency: str
    at: datetime
