"""Security: named, revocable API tokens; which integration registered a customer; the audit log as a
hash chain with signed checkpoints.

The audit log gets ``seq``, ``prev_hash`` and ``hash`` (entries already there are chained here, oldest
first), a one-row head that orders concurrent appends, and a checkpoint table. The database refuses, besides
UPDATE and DELETE (0001): on SQLite an INSERT that would replace an entry (``INSERT OR REPLACE`` deletes
without firing DELETE triggers); on PostgreSQL a TRUNCATE. Checkpoints are append-only too.

Revision ID: 0013_security
Revises: 0012_labels
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kefu.adapters.store.tables import UTCDateTime
from kefu.domain.audit import GENESIS, AuditEntry, chained

revision = "0013_security"
down_revision = "0012_labels"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id", "id"])
    op.add_column("customers", sa.Column("registered_by", sa.String(36), nullable=True))

    op.add_column("audit_log", sa.Column("seq", SEQ, nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", SEQ, primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    _chain_existing_entries()
    op.create_index("ux_audit_seq", "audit_log", ["seq"], unique=True)
    op.create_index("ix_audit_at", "audit_log", ["at", "id"])
    _guard()


def _chain_existing_entries() -> None:
    """Link the entries written before the chain existed, oldest first, and set the head after them."""
    bind = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("id", sa.String),
        sa.column("at", UTCDateTime()),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("subject_type", sa.String),
        sa.column("subject_id", sa.String),
        sa.column("detail", sa.JSON),
        sa.column("seq", SEQ),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    rows = bind.execute(sa.select(log).order_by(log.c.at, log.c.id)).all()
    entries = [
        AuditEntry(r.id, r.at, r.actor, r.action, r.subject_type, r.subject_id, dict(r.detail)) for r in rows
    ]
    linked = chained(entries, 0, GENESIS)
    if linked:
        postgres = bind.dialect.name == "postgresql"
        op.execute(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"
            if postgres
            else "DROP TRIGGER audit_log_no_update"
        )
        for e in linked:
            bind.execute(
                log.update().where(log.c.id == e.id).values(seq=e.seq, prev_hash=e.prev_hash, hash=e.hash)
            )
        if postgres:
            op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        else:
            op.execute(
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    head = sa.table(
        "audit_head", sa.column("chain", sa.String), sa.column("seq", SEQ), sa.column("hash", sa.String)
    )
    last = linked[-1] if linked else None
    bind.execute(
        head.insert().values(chain="main", seq=last.seq if last else 0, hash=last.hash if last else GENESIS)
    )


def _guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints "
            "FOR EACH ROW EXECUTE FUNCTION kefu_audit_append_only()"
        )
        for table in ("audit_log", "audit_checkpoints"):
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION kefu_audit_append_only()"
            )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_checkpoints_no_{verb.lower()} BEFORE {verb} ON audit_checkpoints "
            "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END"
        )
    # INSERT OR REPLACE removes the clashing row without firing DELETE triggers (recursive_triggers is
    # off): refuse an insert whose key is taken before the conflict resolution can run.
    op.execute(
        "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log WHEN EXISTS "
        "(SELECT 1 FROM audit_log WHERE id = NEW.id OR seq = NEW.seq) "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints WHEN EXISTS "
        "(SELECT 1 FROM audit_checkpoints WHERE seq = NEW.seq) "
        "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_log", "audit_checkpoints"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    else:
        for name in ("audit_log_no_replace", "audit_checkpoints_no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_at", table_name="audit_log")
    op.drop_index("ux_audit_seq", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("registered_by")
    op.drop_index("ix_api_tokens_user", table_name="api_tokens")
    op.drop_table("api_tokens")
