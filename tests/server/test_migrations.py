"""The schema comes only from Alembic (ARCHITECTURE.md): the migrations at head must
build exactly what the models declare, on both databases."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.models import Base


def test_migrations_build_what_the_models_declare(backend):
    with backend.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], diff
