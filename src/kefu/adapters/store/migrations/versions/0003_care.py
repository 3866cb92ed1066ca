"""Care: triage on conversations, knowledge base articles, callbacks and their scheduler columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(36)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("intent", sa.String(32)))
        batch.add_column(sa.Column("language", sa.String(8)))
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_kb_articles_updated", "kb_articles", ["updated_at"])
    op.create_table(
        "callbacks",
        sa.Column("id", ID, primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("roll_over", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("attempts_in_window", sa.Integer(), nullable=False),
        sa.Column("rollovers", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32)),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("queue_id", sa.String(64), nullable=False),
        sa.Column("care", sa.Boolean(), nullable=False),
        sa.Column("home_site", sa.String(32)),
        sa.Column("conversation_id", sa.String(36)),
        sa.Column("place_since", UTCDateTime()),
        sa.Column("follow_up_key", sa.String(120), unique=True),
        sa.Column("follow_up_event", sa.String(32)),
        sa.Column("follow_up_subject_id", sa.String(36)),
        sa.Column("wake_at", UTCDateTime()),
        sa.Column("claim_token", sa.String(36)),
        sa.Column("claimed_until", UTCDateTime()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_callbacks_wake", "callbacks", ["wake_at"])
    op.create_index("ix_callbacks_state_id", "callbacks", ["state", "id"])
    op.create_index("ix_callbacks_customer_id_id", "callbacks", ["customer_id", "id"])


def downgrade() -> None:
    op.drop_table("callbacks")
    op.drop_table("kb_articles")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("language")
        batch.drop_column("intent")
