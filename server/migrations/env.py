"""Alembic environment: the connection comes from `server.migrate` (never from an ini file)."""
from __future__ import annotations

from alembic import context

from server.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via server.migrate
    raise RuntimeError("run migrations through server.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # TRAPS.md: ALTER on SQLite
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
