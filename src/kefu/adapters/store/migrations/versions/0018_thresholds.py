"""Wallboard thresholds: per queue, when the longest wait, the number waiting, the service level and the
agents available turn its tile amber (warn) or red (alarm). A queue without a row uses the defaults drawn
from its service-level target.

Revision ID: 0018_thresholds
Revises: 0017_workspace
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0018_thresholds"
down_revision = "0017_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_thresholds",
        sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.id"), primary_key=True),
        sa.Column("wait_warn_s", sa.Integer(), nullable=True),
        sa.Column("wait_alarm_s", sa.Integer(), nullable=True),
        sa.Column("sl_warn_pct", sa.Float(), nullable=True),
        sa.Column("sl_alarm_pct", sa.Float(), nullable=True),
        sa.Column("waiting_warn", sa.Integer(), nullable=True),
        sa.Column("waiting_alarm", sa.Integer(), nullable=True),
        sa.Column("available_warn", sa.Integer(), nullable=True),
        sa.Column("available_alarm", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("queue_thresholds")
