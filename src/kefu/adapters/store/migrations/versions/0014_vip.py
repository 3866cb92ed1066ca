"""VIP customers: a customer flag routing rules may match on, and the rule condition itself.

Customers already there are not VIP; rules already there hold for VIP and other customers alike.

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


def downgrade() -> None:
    with op.batch_alter_table("routing_rules") as batch:
        batch.drop_column("vip")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("vip")
