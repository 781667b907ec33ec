"""Alembic environment: runs on the connection handed over by storage.migrate (never reads alembic.ini URLs)."""

from __future__ import annotations

from alembic import context

from arena.storage.models import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.migrate (python -m arena db upgrade)")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
