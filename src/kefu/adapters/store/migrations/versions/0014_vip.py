"""VIP customers: a customer flag routing rules may match on, and the rule condition itself; transfers in
the hourly report rollup.

Customers already there are not VIP; rules already there hold for VIP and other customers alike; hours
rolled up before this count no transfers until ``kefu reports rollup`` rolls them again.

Revision ID: 0014_vip
Revises: 0013_security
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_vip"
down_revision = "0013_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("vip", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("routing_rules") as batch:
        batch.add_column(sa.Column("vip", sa.Boolean(), nullable=True))
    # Rolled hours already there count no transfers until they are rolled again.
    with op.batch_alter_table("report_hours") as batch:
        batch.add_column(sa.Column("transferred", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_tasks_reason_ended", "tasks", ["end_reason", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_reason_ended", table_name="tasks")
    with op.batch_alter_table("report_hours") as batch:
        batch.drop_column("transferred")
    with op.batch_alter_table("routing_rules") as batch:
        batch.drop_column("vip")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("vip")
