"""Routing: queues, tasks and offers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(36)


def upgrade() -> None:
    queues = op.create_table(
        "queues",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("business_line", sa.String(32), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("service_level", sa.JSON(), nullable=False),
        sa.Column("escalation", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    _seed_queues(queues)
    op.create_table(
        "tasks",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("care", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("home_site", sa.String(32)),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("enqueued_at", UTCDateTime(), nullable=False),
        sa.Column("assigned_at", UTCDateTime()),
        sa.Column("ended_at", UTCDateTime()),
        sa.Column("end_reason", sa.String(32)),
        sa.Column("wait_s", sa.Float()),
    )
    op.create_index("ix_tasks_state", "tasks", ["state"])
    op.create_index("ix_tasks_subject", "tasks", ["subject_id"])
    op.create_index("ix_tasks_queue_enqueued", "tasks", ["queue_id", "enqueued_at"])
    op.create_index("ix_tasks_queue_assigned", "tasks", ["queue_id", "assigned_at"])
    op.create_index("ix_tasks_queue_ended", "tasks", ["queue_id", "ended_at"])
    op.create_table(
        "offers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("task_id", ID, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("agent_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
    )
    op.create_index("ix_offers_status", "offers", ["status"])
    op.create_index("ix_offers_agent_status", "offers", ["agent_id", "status"])
    op.create_index("ix_offers_task", "offers", ["task_id"])


def downgrade() -> None:
    for table in ("offers", "tasks", "queues"):
        op.drop_table(table)


def _seed_queues(queues: sa.Table) -> None:
    """Queues every centre starts with: one per business line, anti-fraud on top, elderly care."""
    now = datetime.now(UTC)
    line = {"answer_within_s": 20, "target_pct": 80.0}
    rows = [
        {
            "id": name,
            "name": title,
            "business_line": name,
            "channels": ["chat", "voice", "callback"],
            "skills": {name: 1},
            "priority": 0,
            "service_level": line,
            # Home base first; after a minute any base with the skill may answer.
            "escalation": [{"after_s": 60, "skills": {name: 1}, "sites": "all"}],
        }
        for name, title in (("social", "Social 社交"), ("payments", "Payments 支付"), ("games", "Games 游戏"))
    ]
    rows.append(
        {
            "id": "anti_fraud",
            "name": "Anti-fraud 劝阻止付",
            "business_line": "payments",
            "channels": ["voice", "callback", "chat"],
            "skills": {"anti_fraud": 3},
            "priority": 100,
            "service_level": {"answer_within_s": 10, "target_pct": 90.0},
            "escalation": [
                {"after_s": 15, "skills": {"anti_fraud": 3}, "sites": "all"},
                {"after_s": 60, "skills": {"anti_fraud": 1}, "sites": "all"},
            ],
        }
    )
    rows.append(
        {
            "id": "elderly_care",
            "name": "Elderly care 关爱老人",
            "business_line": "social",
            "channels": ["voice", "callback", "chat"],
            "skills": {"elderly_care": 2},
            "priority": 50,
            "service_level": {"answer_within_s": 15, "target_pct": 90.0},
            "escalation": [
                {"after_s": 30, "skills": {"elderly_care": 1}, "sites": "all"},
                {"after_s": 180, "skills": {}, "sites": "all"},
            ],
        }
    )
    op.bulk_insert(queues, [{**r, "created_at": now, "updated_at": now} for r in rows])
