"""Tables of quality: CSAT ratings, commendations (锦旗) and complaints. Created by migration 0005."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import ID, Base


class CsatRow(Base):
    __tablename__ = "csat_ratings"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # Unique: a second rating of one conversation can never be stored, even by two requests at once.
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    queue: Mapped[str] = mapped_column(String(64))
    business_line: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(String(36))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)


class CommendationRow(Base):
    __tablename__ = "commendations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    queue: Mapped[str | None] = mapped_column(String(64))
    business_line: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    given_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (Index("ix_commendations_agent_id", "agent_id", "id"),)


class ComplaintRow(Base):
    __tablename__ = "complaints"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    agent_id: Mapped[str | None] = mapped_column(String(36))
    queue: Mapped[str | None] = mapped_column(String(64))
    business_line: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    handled_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_complaints_status_id", "status", "id"),
        Index("ix_complaints_agent_id", "agent_id", "id"),
    )
