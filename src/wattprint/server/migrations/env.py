"""Alembic environment: runs the migrations on the connection the server hands over."""

from __future__ import annotations

from alembic import context

from wattprint.server.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only run through wattprint.server.db
    raise RuntimeError("run the migrations with `wattprint serve --migrate-only`")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    version_table_schema=context.config.attributes.get("schema"),
)
with context.begin_transaction():
    context.run_migrations()
