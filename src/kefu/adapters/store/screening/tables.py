"""Tables of the anti-fraud desk: screenings, cases and their attempts and alerts, funds saved, payee
reports and watchlist, trusted payees, rule sets. Created by migration 0004; case kinds, episodes, four
eyes and alert retries by 0009; the screened request and a case's re-screening by 0010 (0011_specialist);
payment labels and the payment's own time by 0012_labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import ID, Base


class ScreeningRow(Base):
    __tablename__ = "screenings"
    # The payment id is the key: a second screening of one payment can never be stored.
    payment_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(36))
    payer_id: Mapped[str] = mapped_column(String(128))
    payee_account: Mapped[str] = mapped_column(String(128))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    decision: Mapped[str] = mapped_column(String(8))
    score: Mapped[int] = mapped_column(Integer)
    typology: Mapped[str | None] = mapped_column(String(32))
    rule_set_version: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]]
    screened_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[str | None] = mapped_column(String(36))
    hold_expires_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]  # migration 0009
    # The payment as screened and its counter features, for a re-screening (migration 0010).
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    paid_at: Mapped[datetime | None]  # migration 0012_labels: the payment's own time, replayed into counters
    screened_by: Mapped[str | None] = mapped_column(String(36))  # migration 0014: the screening integration

    __table_args__ = (
        Index("ix_screenings_screened_at", "screened_at"),
        Index("ix_screenings_case_id", "case_id"),
        Index("ix_screenings_customer_payee", "customer_id", "payee_account"),  # migration 0011
    )


class PaymentLabelRow(Base):
    """Every label a payment was given (migration 0011); the current one is the latest."""

    __tablename__ = "payment_labels"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(index=True)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (Index("ix_payment_labels_payment_at", "payment_id", "at"),)


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    payment_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(36))
    payer_id: Mapped[str] = mapped_column(String(128))
    payee_account: Mapped[str] = mapped_column(String(128))
    payee_name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    typology: Mapped[str | None] = mapped_column(String(32))
    rule_set_version: Mapped[str] = mapped_column(String(64))
    elderly: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    hold_expires_at: Mapped[datetime]
    next_contact_due_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))
    payment_outcome: Mapped[str | None] = mapped_column(String(16))
    settled_by: Mapped[str | None] = mapped_column(String(16))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(8), server_default="decide")
    conversation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    release_requested_by: Mapped[str | None] = mapped_column(String(64))
    release_reason: Mapped[str | None] = mapped_column(Text)
    rescreen: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the latest re-screening (0010)

    __table_args__ = (
        Index("ix_cases_payer_status", "payer_id", "status"),
        Index("ix_cases_status_id", "status", "id"),
        Index("ix_cases_status_expires", "status", "hold_expires_at"),
        Index("ix_cases_status_due", "status", "next_contact_due_at"),
        Index("ix_cases_opened_at", "opened_at"),
    )


class ContactAttemptRow(Base):
    __tablename__ = "case_contact_attempts"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    result: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class FamilyAlertRow(Base):
    __tablename__ = "family_alerts"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(32))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    delivered: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8), server_default="zh")
    attempts: Mapped[int] = mapped_column(Integer, server_default="1")
    retry_at: Mapped[datetime | None] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_family_alerts_case_kind"),)


class LedgerRow(Base):
    __tablename__ = "funds_saved"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), unique=True)
    payment_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str | None] = mapped_column(String(36))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    typology: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(index=True)


class PayeeReportRow(Base):
    __tablename__ = "payee_reports"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    reason: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime]
    # Who the report counts for (the reporting customer, else the signed-in user); migration 0009.
    reporter: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_payee_reports_account_reporter", "account_id", "reporter"),)


class WatchlistRow(Base):
    __tablename__ = "payee_watchlist"
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime]
    source: Mapped[str | None] = mapped_column(String(32))  # migration 0009
    added_by: Mapped[str | None] = mapped_column(String(64))


class TrustedPayeeRow(Base):
    __tablename__ = "trusted_payees"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(16))  # how the customer asked; migration 0009


class RuleSetRow(Base):
    __tablename__ = "rule_sets"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(64))


class ScreeningModelRow(Base):
    """A version of the screening model lane: exported parameters and its backtest (migration 0016)."""

    __tablename__ = "screening_models"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    backtest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    trained_at: Mapped[datetime]
    trained_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    promoted_at: Mapped[datetime | None]


class PaymentWebhookRow(Base):
    """A status change waiting to be POSTed to the payments gateway (migration 0009)."""

    __tablename__ = "payment_webhooks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    claimed_until: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "ix_payment_webhooks_due",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
        Index("ix_payment_webhooks_payment", "payment_id"),
    )
