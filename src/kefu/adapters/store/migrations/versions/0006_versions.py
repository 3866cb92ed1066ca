"""Row versions on conversations and tasks, for optimistic concurrency.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("conversations", "tasks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in ("conversations", "tasks"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
