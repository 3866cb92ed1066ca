"""Routing leases: which router of a partition may write, with a fencing token.

Revision ID: 0019_leases
Revises: 0018_thresholds
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_leases"
down_revision = "0018_thresholds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "router_leases",
        sa.Column("partition", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("router_leases")
