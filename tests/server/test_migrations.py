"""The schema comes only from Alembic (ARCHITECTURE.md): the migrations at head must
build exactly what the models declare, on both databases."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from server.db import make_engine, make_sessionmaker
from server.migrate import alembic_config, upgrade
from server.models import Base
from tests.server.conftest import pg_admin_url
from tests.server.test_jobs import assert_search_keys_exact


def test_migrations_build_what_the_models_declare(backend):
    with backend.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], diff


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (the migrations are run on it step by step)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin = pg_admin_url()
    if admin is None:
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    name = f"crm_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(make_url(admin).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_search_keys_v2_recomputes_every_customers_keys_in_batches_and_downgrades(fresh_engine):
    """Customers and keys as version 1 left them (more than one batch of them) come out
    with their sort code and exactly the keys server.search gives."""
    upgrade(fresh_engine, "0007_change_history")
    surnames, given = "张王李赵单曾欧阳", "三丰伟芳华辉"
    names = [s + g + h for s in surnames for g in given for h in given] * 9 + ["John Smith", "买买提·艾力", "𠮷祥"]
    now = datetime.now(UTC)
    with fresh_engine.begin() as conn:
        org = conn.execute(text("INSERT INTO org (code, name, kind, path, version, created_at, updated_at) VALUES "
                                "('HO', '总行', 'head_office', '/1/', 1, :t, :t) RETURNING id"), {"t": now}).scalar()
        conn.execute(text("INSERT INTO customer (customer_no, type, name, sort_key, org_id, version, created_at, "
                          "updated_at) VALUES (:no, 'personal', :name, 'old', :org, 1, :t, :t)"),
                     [{"no": f"C{i:010d}", "name": n, "org": org, "t": now} for i, n in enumerate(names)])
        conn.execute(text("INSERT INTO customer_search_key (customer_id, key, org_id, sort_key) "
                          "SELECT id, 'old', org_id, 'old' FROM customer"))
    assert len(names) > 2000  # the migration's batch
    upgrade(fresh_engine)
    with make_sessionmaker(fresh_engine)() as db:
        assert assert_search_keys_exact(db) == len(names)
    with fresh_engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007_change_history")
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM customer_search_key")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == len(names)


def test_the_imports_migration_keeps_every_customer_and_search_key_both_ways(fresh_engine):
    """0009 adds columns to the customer table, which SQLite copies: dropping the old copy
    must not cascade to the customers' search keys."""
    upgrade(fresh_engine, "0008_search_keys_v2")
    now = datetime.now(UTC)
    with fresh_engine.begin() as conn:
        org = conn.execute(text("INSERT INTO org (code, name, kind, path, version, created_at, updated_at) VALUES "
                                "('HO', '总行', 'head_office', '/1/', 1, :t, :t) RETURNING id"), {"t": now}).scalar()
        conn.execute(text("INSERT INTO customer (customer_no, type, name, sort_code, sort_key, org_id, version, "
                          "created_at, updated_at) VALUES (:no, 'personal', :name, 1, 'k', :org, 1, :t, :t)"),
                     [{"no": f"C{i:010d}", "name": f"张{i}", "org": org, "t": now} for i in range(30)])
        conn.execute(text("INSERT INTO customer_search_key (sort_code, customer_id, org_id, key) "
                          "SELECT 1, id, org_id, name FROM customer"))

    def counts() -> tuple[int, int]:
        with fresh_engine.connect() as conn:
            return (conn.execute(text("SELECT count(*) FROM customer")).scalar() or 0,
                    conn.execute(text("SELECT count(*) FROM customer_search_key")).scalar() or 0)

    upgrade(fresh_engine, "0009_imports")
    assert counts() == (30, 30)
    with fresh_engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_search_keys_v2")
    assert counts() == (30, 30)
