"""Talk to a specialist mid-payment and re-screening: each screening keeps the payment as it was screened
(the request without the payer's contact details, and its counter features), so a specialist can score it
again with what the call revealed; a case keeps its latest re-screening.

Revision ID: 0011_specialist
Revises: 0010_routing
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_specialist"
down_revision = "0010_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("request", sa.JSON(), nullable=True))
    op.add_column("cases", sa.Column("rescreen", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("rescreen")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("request")
