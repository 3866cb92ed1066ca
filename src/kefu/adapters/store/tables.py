"""SQLAlchemy 2 table models. Rows are translated to domain objects in ``repositories``.

The same models serve SQLite and PostgreSQL; ``UTCDateTime`` keeps datetimes timezone-aware on both, since
SQLite stores no zone and would otherwise hand back naive values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; kefu keeps every time in aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = String(36)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
    }


class SiteRow(Base):
    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    sites: Mapped[list[str] | None] = mapped_column(JSON)  # migration 0014: a supervisor's bases


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_api_tokens_user", "user_id", "id"),)


class CustomerRow(Base):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date | None]
    language: Mapped[str] = mapped_column(String(8))
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)  # migration 0014
    trusted_contact: Mapped[dict[str, Any] | None]
    home_site: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    registered_by: Mapped[str | None] = mapped_column(String(36))


class AgentRow(Base):
    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    skills: Mapped[dict[str, Any]]
    capacity: Mapped[dict[str, Any]]
    presence: Mapped[str] = mapped_column(String(16))
    presence_since: Mapped[datetime | None]
    presence_reason: Mapped[str | None] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConversationRow(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    business_line: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    care: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str | None] = mapped_column(String(500))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    disposition: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency: an UPDATE from a stale read fails instead of silently undoing a newer change
    # (the router and request handlers both change conversations).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    intent: Mapped[str | None] = mapped_column(String(32))  # triage (migration 0003)
    language: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        # Every list filter is paired with the id so cursor pagination is an index range scan.
        Index("ix_conversations_status_id", "status", "id"),
        Index("ix_conversations_queue_id", "queue", "id"),
        Index("ix_conversations_customer_id_id", "customer_id", "id"),
        Index("ix_conversations_agent_id_id", "agent_id", "id"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping once


class MessageRow(Base):
    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    sender: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]
    # The hash chain (see kefu.domain.audit): set when the entry is committed, unique per entry.
    seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_subject", "subject_type", "subject_id", "id"),
        Index("ux_audit_seq", "seq", unique=True),
        Index("ix_audit_at", "at", "id"),
    )


class AuditHeadRow(Base):
    """The chain's last link, moved by every commit that writes audit entries (its row lock orders them)."""

    __tablename__ = "audit_head"
    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    __tablename__ = "audit_checkpoints"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    mac: Mapped[str] = mapped_column(String(64))
