"""Quality and reporting: CSAT ratings, commendations, complaints, the hourly report rollup and its state,
and an index on conversations by arrival time.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0005"
down_revision = "0002"
branch_labels = ("quality",)
depends_on = None

ID = sa.String(36)


def upgrade() -> None:
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])
    op.create_table(
        "csat_ratings",
        sa.Column("id", ID, primary_key=True),
        sa.Column("conversation_id", ID, sa.ForeignKey("conversations.id"), nullable=False, unique=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("business_line", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_csat_ratings_at", "csat_ratings", ["at"])
    op.create_table(
        "commendations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("agent_id", ID, sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("conversation_id", sa.String(36)),
        sa.Column("queue", sa.String(64)),
        sa.Column("business_line", sa.String(32)),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("given_by", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_commendations_at", "commendations", ["at"])
    op.create_index("ix_commendations_agent_id", "commendations", ["agent_id", "id"])
    op.create_table(
        "complaints",
        sa.Column("id", ID, primary_key=True),
        sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("conversation_id", sa.String(36)),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("queue", sa.String(64)),
        sa.Column("business_line", sa.String(32)),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("handled_by", sa.String(64)),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_complaints_created_at", "complaints", ["created_at"])
    op.create_index("ix_complaints_status_id", "complaints", ["status", "id"])
    op.create_index("ix_complaints_agent_id", "complaints", ["agent_id", "id"])
    counts = ("contacts", "answered", "answered_in_sl", "abandoned", "handled", "responded")
    op.create_table(
        "report_hours",
        sa.Column("agent_key", sa.String(36), primary_key=True),
        sa.Column("hour", UTCDateTime(), primary_key=True),
        sa.Column("queue", sa.String(64), primary_key=True),
        sa.Column("site", sa.String(32), primary_key=True),
        sa.Column("business_line", sa.String(32), primary_key=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
        sa.Column("wait_sum_s", sa.Float(), nullable=False),
        sa.Column("handle_sum_s", sa.Float(), nullable=False),
        sa.Column("frt_sum_s", sa.Float(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("csat_count", "csat_sum", "commendations", "complaints", "cases", "agent_hours")
        ),
        sa.Column("saved", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_report_hours_hour", "report_hours", ["hour"])
    op.create_table(
        "report_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rolled_from", UTCDateTime(), nullable=False),
        sa.Column("rolled_until", UTCDateTime(), nullable=False),
        sa.Column("rolled_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("report_state", "report_hours", "complaints", "commendations", "csat_ratings"):
        op.drop_table(table)
    op.drop_index("ix_conversations_created_at", "conversations")
