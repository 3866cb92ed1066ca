"""Tasks and offers as they are stored: the durable record of routing, from which the engine is rebuilt.

A task is one unit of routable work (a conversation, a callback, an intervention case). Its lifecycle::

    waiting ──offer──▶ offered ──accept──▶ assigned ──complete──▶ ended
       ▲                  │
       └──decline/expire──┘          waiting/offered ──abandon──▶ ended
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

TaskKind = Literal["conversation", "callback", "case"]
TaskState = Literal["waiting", "offered", "assigned", "ended"]
OfferStatus = Literal["pending", "accepted", "declined", "expired", "rescinded"]


@dataclass(slots=True)
class Task:
    id: str
    kind: TaskKind
    subject_id: str
    queue_id: str
    channel: str
    priority: int
    care: bool
    state: TaskState
    enqueued_at: datetime
    home_site: str | None = None
    agent_id: str | None = None
    assigned_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    wait_s: float | None = None
    preferred_agent_id: str | None = None  # offered first when free (a transfer to an agent)


@dataclass(slots=True)
class Offer:
    id: str
    task_id: str
    agent_id: str
    created_at: datetime
    expires_at: datetime
    status: OfferStatus = "pending"
    decided_at: datetime | None = None
