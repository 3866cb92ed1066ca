"""Tables of routing: queues, the tasks waiting in them and the offers made to agents.

Created by migration 0002. Task rows carry an optimistic version, so two writers of one task conflict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import ID, Base


class QueueRow(Base):
    __tablename__ = "queues"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    business_line: Mapped[str] = mapped_column(String(32))
    channels: Mapped[list[str]] = mapped_column(JSON)
    skills: Mapped[dict[str, Any]]
    priority: Mapped[int] = mapped_column(Integer)
    service_level: Mapped[dict[str, Any]]
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    home_first_s: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # migration 0009


class RoutingRuleRow(Base):
    """Created by migration 0009: the ordered rules that choose a new contact's queue."""

    __tablename__ = "routing_rules"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(ForeignKey("queues.id"))
    business_line: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    care: Mapped[bool | None] = mapped_column(Boolean)
    vip: Mapped[bool | None] = mapped_column(Boolean)  # migration 0014
    created_at: Mapped[datetime]


class TaskRow(Base):
    __tablename__ = "tasks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(36))
    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id"))
    channel: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    care: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    home_site: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(String(36))
    enqueued_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    # Seconds from enqueue to assignment (or to abandonment): kept so service-level queries stay portable SQL.
    wait_s: Mapped[float | None] = mapped_column(Float)
    preferred_agent_id: Mapped[str | None] = mapped_column(String(36))  # offered first (a transfer)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (
        Index("ix_tasks_state", "state"),
        Index("ix_tasks_subject", "subject_id"),
        Index("ix_tasks_queue_enqueued", "queue_id", "enqueued_at"),
        Index("ix_tasks_queue_assigned", "queue_id", "assigned_at"),
        Index("ix_tasks_queue_ended", "queue_id", "ended_at"),
        Index("ix_tasks_reason_ended", "end_reason", "ended_at"),  # migration 0014: transfers in reports
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping once


class OfferRow(Base):
    __tablename__ = "offers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"))
    agent_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_offers_status", "status"),
        Index("ix_offers_agent_status", "agent_id", "status"),
        Index("ix_offers_task", "task_id"),
    )


class RouterLeaseRow(Base):
    """Created by migration 0016: one routing lease per partition, with its fencing token."""

    __tablename__ = "router_leases"
    partition: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    token: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]
