"""Screening (劝阻止付): screenings, cases, contact attempts, family alerts, funds saved, payee reports and
watchlist, trusted payees, rule sets.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0004"
down_revision = "0002"
branch_labels = ("screening",)
depends_on = None

ID = sa.String(36)


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("payment_id", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(36)),
        sa.Column("payer_id", sa.String(128), nullable=False),
        sa.Column("payee_account", sa.String(128), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("typology", sa.String(32)),
        sa.Column("rule_set_version", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("screened_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(36)),
        sa.Column("hold_expires_at", UTCDateTime()),
    )
    op.create_index("ix_screenings_screened_at", "screenings", ["screened_at"])
    op.create_table(
        "cases",
        sa.Column("id", ID, primary_key=True),
        sa.Column("payment_id", sa.String(128), nullable=False, unique=True),
        sa.Column("customer_id", sa.String(36)),
        sa.Column("payer_id", sa.String(128), nullable=False),
        sa.Column("payee_account", sa.String(128), nullable=False),
        sa.Column("payee_name", sa.String(200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("typology", sa.String(32)),
        sa.Column("rule_set_version", sa.String(64), nullable=False),
        sa.Column("elderly", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("hold_expires_at", UTCDateTime(), nullable=False),
        sa.Column("next_contact_due_at", UTCDateTime()),
        sa.Column("first_contact_at", UTCDateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("payment_outcome", sa.String(16)),
        sa.Column("settled_by", sa.String(16)),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("resolved_by", sa.String(64)),
        sa.Column("note", sa.Text()),
        sa.Column("agent_id", sa.String(36)),
    )
    op.create_index("ix_cases_status_id", "cases", ["status", "id"])
    op.create_index("ix_cases_status_expires", "cases", ["status", "hold_expires_at"])
    op.create_index("ix_cases_status_due", "cases", ["status", "next_contact_due_at"])
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"])
    op.create_table(
        "case_contact_attempts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_case_contact_attempts_case_id", "case_contact_attempts", ["case_id"])
    op.create_table(
        "family_alerts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_phone", sa.String(32), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(500)),
        sa.UniqueConstraint("case_id", "kind", name="uq_family_alerts_case_kind"),
    )
    op.create_table(
        "funds_saved",
        sa.Column("id", ID, primary_key=True),
        sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("payment_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(36)),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("typology", sa.String(32)),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_funds_saved_at", "funds_saved", ["at"])
    op.create_table(
        "payee_reports",
        sa.Column("id", ID, primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(36)),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_payee_reports_account_id", "payee_reports", ["account_id"])
    op.create_table(
        "payee_watchlist",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("case_id", sa.String(36)),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "trusted_payees",
        sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "rule_sets",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("version", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "rule_sets",
        "trusted_payees",
        "payee_watchlist",
        "payee_reports",
        "funds_saved",
        "family_alerts",
        "case_contact_attempts",
        "cases",
        "screenings",
    ):
        op.drop_table(table)
