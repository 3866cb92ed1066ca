"""Labels: what a payment turned out to be (``scam`` or ``legitimate``), on whose word and when.

A payment keeps every label it was given (history); its *current* label is the latest. Labels come from case
outcomes (``dissuaded`` → scam, ``released`` → legitimate), from payee reports (source ``report``), and from
later evidence the payments side or a supervisor sends (chargebacks, police reports). They are the input a
model trainer needs, exported with ``kefu labels export``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from kefu.domain.commands import Command
from kefu.domain.events import Event

Label = Literal["scam", "legitimate"]
LABELS: tuple[str, ...] = ("scam", "legitimate")
MAX_SOURCE = 32
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class PaymentLabel:
    id: str  # time-ordered: the latest label of a payment has the greatest (at, id)
    payment_id: str
    label: Label
    source: str  # case_outcome, report, chargeback, police_report, ...
    at: datetime
    by: str
    note: str | None = None
    case_id: str | None = None


@dataclass(frozen=True, slots=True)
class LabelPayment(Command[PaymentLabel]):
    """Label a screened payment with later evidence (``POST /payments/{payment_id}/label``)."""

    payment_id: str
    label: str
    source: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentLabelled(Event):
    name: ClassVar[str] = "payment.labelled"
    payment_id: str
    label: Label
    source: str
    at: datetime
