"""Workspace: canned responses, one text per language and ``/`` shortcut.

Revision ID: 0017_workspace
Revises: 0016_models
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0017_workspace"
down_revision = "0016_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("shortcut", sa.String(32), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("language", "shortcut", name="uq_canned_responses_shortcut"),
    )


def downgrade() -> None:
    op.drop_table("canned_responses")
