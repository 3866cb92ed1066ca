"""Routing that strands no one: why kefu set an agent away (``missed`` after an unanswered offer), and the
agent a task is offered to first (a transfer to an agent).

Revision ID: 0009_routing
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_routing"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("presence_reason", sa.String(16), nullable=True))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("preferred_agent_id", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("preferred_agent_id")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("presence_reason")
