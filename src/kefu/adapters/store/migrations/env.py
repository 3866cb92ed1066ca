"""Alembic environment: migrations run on the connection kefu hands in (see ``engine.upgrade``)."""

from __future__ import annotations

from alembic import context

from kefu.adapters.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `kefu db upgrade`, which provides the database connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
