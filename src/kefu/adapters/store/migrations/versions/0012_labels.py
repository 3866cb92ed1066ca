"""Labels for every payment (scam or legitimate, with source and time; history kept), and what a restart
needs to rebuild in-memory counters cheaply: each screening's own payment time.

Revision ID: 0012_labels
Revises: 0011_specialist
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0012_labels"
down_revision = "0011_specialist"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_labels",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("payment_id", sa.String(128), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("case_id", sa.String(36)),
    )
    op.create_index("ix_payment_labels_at", "payment_labels", ["at"])
    op.create_index("ix_payment_labels_payment_at", "payment_labels", ["payment_id", "at"])
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("paid_at", UTCDateTime(), nullable=True))
    op.create_index("ix_screenings_customer_payee", "screenings", ["customer_id", "payee_account"])


def downgrade() -> None:
    op.drop_index("ix_screenings_customer_payee", table_name="screenings")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("paid_at")
    op.drop_table("payment_labels")
