"""Foundation: sites (with the six bases), users, customers, agents, conversations, messages, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime
from kefu.domain.sites import DEFAULT_SITES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(36)


def _times(*names: str, nullable: bool = False) -> list[sa.Column[object]]:
    return [sa.Column(n, UTCDateTime(), nullable=nullable) for n in names]


def upgrade() -> None:
    sites = op.create_table(
        "sites",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    op.bulk_insert(
        sites,
        [{"id": s.id, "name": s.name, "name_zh": s.name_zh, "timezone": s.timezone} for s in DEFAULT_SITES],
    )
    op.create_table(
        "users",
        sa.Column("id", ID, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        *_times("created_at"),
    )
    op.create_table(
        "customers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("external_id", sa.String(128), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("trusted_contact", sa.JSON()),
        sa.Column("home_site", sa.String(32), sa.ForeignKey("sites.id")),
        *_times("created_at", "updated_at"),
    )
    op.create_table(
        "agents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("site", sa.String(32), sa.ForeignKey("sites.id"), nullable=False, index=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.JSON(), nullable=False),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("presence_since", UTCDateTime()),
        sa.Column("user_id", ID, sa.ForeignKey("users.id"), unique=True),
        *_times("created_at", "updated_at"),
    )
    op.create_table(
        "conversations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("business_line", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("care", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(500)),
        sa.Column("agent_id", ID, sa.ForeignKey("agents.id")),
        *_times("created_at", "updated_at"),
        *_times("assigned_at", "first_response_at", "resolved_at", "closed_at", nullable=True),
        sa.Column("disposition", sa.String(64)),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_conversations_status_id", "conversations", ["status", "id"])
    op.create_index("ix_conversations_queue_id", "conversations", ["queue", "id"])
    op.create_index("ix_conversations_customer_id_id", "conversations", ["customer_id", "id"])
    op.create_index("ix_conversations_agent_id_id", "conversations", ["agent_id", "id"])
    op.create_table(
        "messages",
        sa.Column("id", ID, primary_key=True),
        sa.Column("conversation_id", ID, sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(36)),
        sa.Column("body", sa.Text(), nullable=False),
        *_times("created_at"),
    )
    op.create_index("ix_messages_conversation_id_id", "messages", ["conversation_id", "id"])
    op.create_table(
        "audit_log",
        sa.Column("id", ID, primary_key=True),
        *_times("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_subject", "audit_log", ["subject_type", "subject_id", "id"])
    _make_audit_append_only()


def _make_audit_append_only() -> None:
    """The database itself refuses to change or delete audit entries, whatever the code above it does."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION kefu_audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION kefu_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    for table in ("audit_log", "messages", "conversations", "agents", "customers", "users", "sites"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS kefu_audit_append_only()")
