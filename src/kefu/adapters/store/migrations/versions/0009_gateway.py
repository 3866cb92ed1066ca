"""The payments gateway loop and payee management: when a payment's status last changed, the webhook
deliveries to the gateway, where a watchlist entry came from and who added it, who reported a payee (reports
count once per reporter), and the channel a customer used to set a trusted payee.

Revision ID: 0009_gateway
Revises: 0009_cases
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0009_gateway"
down_revision = "0009_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("status_changed_at", UTCDateTime(), nullable=True))
    op.create_table(
        "payment_webhooks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("payment_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_payment_webhooks_due",
        "payment_webhooks",
        ["next_attempt_at"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )
    op.create_index("ix_payment_webhooks_payment", "payment_webhooks", ["payment_id"])
    op.add_column("payee_watchlist", sa.Column("source", sa.String(32), nullable=True))
    op.add_column("payee_watchlist", sa.Column("added_by", sa.String(64), nullable=True))
    op.add_column("payee_reports", sa.Column("reporter", sa.String(128), nullable=True))
    op.create_index("ix_payee_reports_account_reporter", "payee_reports", ["account_id", "reporter"])
    op.add_column("trusted_payees", sa.Column("channel", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trusted_payees") as batch:
        batch.drop_column("channel")
    op.drop_index("ix_payee_reports_account_reporter", table_name="payee_reports")
    with op.batch_alter_table("payee_reports") as batch:
        batch.drop_column("reporter")
    with op.batch_alter_table("payee_watchlist") as batch:
        batch.drop_column("added_by")
        batch.drop_column("source")
    op.drop_index("ix_payment_webhooks_payment", table_name="payment_webhooks")
    op.drop_index("ix_payment_webhooks_due", table_name="payment_webhooks")
    op.drop_table("payment_webhooks")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("status_changed_at")
