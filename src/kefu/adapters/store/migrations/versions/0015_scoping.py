"""Scoping: which integration screened a payment; which bases a supervisor looks after.

``users.sites`` lists a supervisor's bases (site ids); NULL or empty means all bases, as for every user
made before this migration.

``screenings.screened_by`` holds the user id of the integration that screened the payment (NULL when staff
screened it); an integration reads, labels and asks for a specialist only for its own payments. Payments
screened before this migration keep NULL and stay readable by any integration.

Revision ID: 0015_scoping
Revises: 0014_vip
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_scoping"
down_revision = "0014_vip"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("screened_by", sa.String(36), nullable=True))
    op.add_column("users", sa.Column("sites", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sites")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("screened_by")
