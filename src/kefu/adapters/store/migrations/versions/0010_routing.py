"""Routing that strands no one: why kefu set an agent away (``missed`` after an unanswered offer), and the
agent a task is offered to first (a transfer to an agent), the routing rules that choose a new
contact's queue, and each queue's home-site-first time per priority class.

Revision ID: 0010_routing
Revises: 0009_gateway
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0010_routing"
down_revision = "0009_gateway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(64), sa.ForeignKey("queues.id"), nullable=False),
        sa.Column("business_line", sa.String(32)),
        sa.Column("channel", sa.String(16)),
        sa.Column("intent", sa.String(32)),
        sa.Column("language", sa.String(8)),
        sa.Column("care", sa.Boolean()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("presence_reason", sa.String(16), nullable=True))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("preferred_agent_id", sa.String(36), nullable=True))
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("home_first_s", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_table("routing_rules")
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("home_first_s")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("preferred_agent_id")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("presence_reason")
