"""Tables of the care work: knowledge base articles and callbacks (migration 0003).

A callback row holds everything ``kefu.care.Callback`` needs plus what the scheduler and routing need:

- ``wake_at``: when the scheduler must next look at the row (the next attempt of a ``scheduled`` callback,
  the window's end of a ``due`` one, null otherwise). Due work is found through ``ix_callbacks_wake``.
- ``claim_token`` / ``claimed_until``: a scheduler process's lease on the row. A claim that expires (the
  process died mid-delivery) is simply claimed again by the next scheduler.
- ``version``: optimistic concurrency. Every save is ``UPDATE … WHERE version = :loaded``, so of two
  processes that both acted on one version exactly one commits: a delivery is never made twice, and a cancel
  never lost under a concurrent delivery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import ID, Base


class KbArticleRow(Base):
    __tablename__ = "kb_articles"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    tags: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_kb_articles_updated", "updated_at"),)


class CallbackRow(Base):
    __tablename__ = "callbacks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    roll_over: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    attempts_in_window: Mapped[int] = mapped_column(Integer)
    rollovers: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]
    # Routing: where the callback's task waits, and the place in line it keeps (keep-your-place).
    queue_id: Mapped[str] = mapped_column(String(64))
    care: Mapped[bool] = mapped_column(Boolean)
    home_site: Mapped[str | None] = mapped_column(String(32))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    place_since: Mapped[datetime | None]
    # Follow-ups (回访): what they follow, unique so that a repeated event schedules nothing twice.
    follow_up_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    follow_up_event: Mapped[str | None] = mapped_column(String(32))
    follow_up_subject_id: Mapped[str | None] = mapped_column(String(36))
    # The scheduler.
    wake_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_callbacks_wake", "wake_at"),
        Index("ix_callbacks_state_id", "state", "id"),
        Index("ix_callbacks_customer_id_id", "customer_id", "id"),
    )
