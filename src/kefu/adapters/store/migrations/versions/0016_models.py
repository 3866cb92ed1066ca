"""Versions of the screening model lane: exported parameters, backtest, status (shadow, live, retired).

Revision ID: 0016_models
Revises: 0015_scoping
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0016_models"
down_revision = "0015_scoping"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_models",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("backtest", sa.JSON()),
        sa.Column("trained_at", UTCDateTime(), nullable=False),
        sa.Column("trained_by", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("promoted_at", UTCDateTime()),
    )
    op.create_index("ix_screening_models_status", "screening_models", ["status"])


def downgrade() -> None:
    op.drop_index("ix_screening_models_status", table_name="screening_models")
    op.drop_table("screening_models")
