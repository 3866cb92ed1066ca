"""Every stop reaches a human: case kinds (decide, protect, report), episodes of several payments, four-eyes
releases and family alerts that are retried.

A report case has no payment (``cases.payment_id`` becomes nullable) and carries the customer's
conversation (found by ``cases.conversation_id``); a payer's open case is found by ``(payer_id, status)``,
a case's payments by ``screenings.case_id``, failed alerts due again by ``family_alerts.retry_at``.

Revision ID: 0009_cases
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0009_cases"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("payment_id", existing_type=sa.String(128), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="decide"))
        batch.add_column(sa.Column("conversation_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("release_requested_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("release_reason", sa.Text(), nullable=True))
    op.create_index("ix_cases_payer_status", "cases", ["payer_id", "status"])
    op.create_index("ix_cases_conversation_id", "cases", ["conversation_id"])
    op.create_index("ix_screenings_case_id", "screenings", ["case_id"])
    with op.batch_alter_table("family_alerts") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="zh"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("retry_at", UTCDateTime(), nullable=True))
    op.create_index("ix_family_alerts_retry_at", "family_alerts", ["retry_at"])


def downgrade() -> None:
    op.drop_index("ix_family_alerts_retry_at", table_name="family_alerts")
    with op.batch_alter_table("family_alerts") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("attempts")
        batch.drop_column("language")
    op.drop_index("ix_screenings_case_id", table_name="screenings")
    op.drop_index("ix_cases_conversation_id", table_name="cases")
    op.drop_index("ix_cases_payer_status", table_name="cases")
    for table in ("case_contact_attempts", "family_alerts", "funds_saved"):
        op.execute(f"DELETE FROM {table} WHERE case_id IN (SELECT id FROM cases WHERE payment_id IS NULL)")  # noqa: S608 - fixed names
    op.execute("DELETE FROM cases WHERE payment_id IS NULL")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("release_reason")
        batch.drop_column("release_requested_by")
        batch.drop_column("conversation_id")
        batch.drop_column("kind")
        batch.alter_column("payment_id", existing_type=sa.String(128), nullable=False)
