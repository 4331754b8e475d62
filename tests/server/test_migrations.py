"""The schema comes only from Alembic (ARCHITECTURE.md): the migrations at head must
build exactly what the models declare, on both databases."""
from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url

from server.db import make_engine, make_sessionmaker
from server.migrate import alembic_config, upgrade
from server.models import Base
from tests.server.conftest import pg_admin_url
from tests.server.test_jobs import assert_search_keys_exact


def test_migrations_build_what_the_models_declare(backend):
    with backend.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        with warnings.catch_warnings():  # SQLAlchemy cannot reflect an expression index: checked below
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified expression-based index")
            diff = compare_metadata(ctx, Base.metadata)
        # the expression indexes, as the database spells them
        sql = ("SELECT indexdef FROM pg_indexes WHERE indexname = :n" if conn.dialect.name == "postgresql"
               else "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n")
        made = conn.execute(text(sql), {"n": "ix_customer_phone_last4"}).scalar()
    assert diff == [], diff
    assert made is not None and "substr(" in made and "length(" in made and "- 3" in made, made


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


def test_the_surname_readings_migration_queues_a_rebuild_that_drops_readings_no_surname_takes(fresh_engine):
    """0010: keys written under the old rule (every reading pypinyin lists: 王 as "yu")
    are rewritten by the queued rebuild job; the sort codes stay."""
    from server.search import index_entry
    from server.services import jobs
    upgrade(fresh_engine, "0009_imports")
    names = ["王小明", "董可", "曾国藩", "单田芳", "张三"] * 3
    now = datetime.now(UTC)
    with fresh_engine.begin() as conn:
        org = conn.execute(text("INSERT INTO org (code, name, kind, path, version, created_at, updated_at) VALUES "
                                "('HO', '总行', 'head_office', '/1/', 1, :t, :t) RETURNING id"), {"t": now}).scalar()
        for i, n in enumerate(names):
            e = index_entry(n)
            cid = conn.execute(text(
                "INSERT INTO customer (customer_no, type, name, sort_code, sort_key, org_id, version, created_at, "
                "updated_at) VALUES (:no, 'personal', :name, :code, :key, :org, 1, :t, :t) RETURNING id"),
                {"no": f"C{i:010d}", "name": n, "code": e.sort_code, "key": e.sort_key, "org": org, "t": now}).scalar()
            old = set(e.keys) | ({"yu", "yux", "yxm"} if n[0] == "王" else {"zhong", "zk"} if n[0] == "董" else set())
            conn.execute(text("INSERT INTO customer_search_key (sort_code, customer_id, org_id, key) "
                              "VALUES (:code, :cid, :org, :k)"),
                         [{"code": e.sort_code, "cid": cid, "org": org, "k": k} for k in old])
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        queued = conn.execute(text("SELECT id, status FROM job WHERE kind = 'search_keys.rebuild'")).all()
    assert [s for _i, s in queued] == ["queued"]
    factory = make_sessionmaker(fresh_engine)
    ran = jobs.run_one(factory, "test-worker", job_id=queued[0][0])
    assert ran is not None and ran.status == "succeeded"
    with factory() as db:
        assert assert_search_keys_exact(db) == len(names)
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM customer_search_key WHERE key IN ('yu', 'zhong')")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM customer_search_key WHERE key = 'zeng'")).scalar() == 3


def test_the_surname_readings_migration_queues_nothing_for_an_empty_database(fresh_engine):
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job")).scalar() == 0


@pytest.mark.parametrize("fresh_engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_the_customers_identifiers_compare_bytes_on_postgresql_both_ways(fresh_engine):
    """0011: the identifier columns' collation is "C" (their indexes build without strcoll;
    SQLite compares bytes already)."""
    columns = ("customer_no", "id_number", "uscc", "phone", "core_customer_id")

    def collations() -> dict[str, str | None]:
        with fresh_engine.connect() as conn:
            return dict(conn.execute(text(
                "SELECT column_name, collation_name FROM information_schema.columns "
                "WHERE table_name = 'customer' AND column_name = ANY(:c)"), {"c": list(columns)}).all())

    upgrade(fresh_engine)
    assert collations() == dict.fromkeys(columns, "C")
    with fresh_engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010_surname_readings")
    assert collations() == dict.fromkeys(columns, None)


def test_the_org_tree_version_is_kept_by_triggers_both_ways(fresh_engine):
    """0012: moves with each org added, moved or removed however it is written, never
    back to a value it had (a rolled-back change's included), not with a rename;
    downgrading drops the table and the triggers."""
    upgrade(fresh_engine, "0011_identifier_collation")
    now = datetime.now(UTC)
    insert = text("INSERT INTO org (code, name, kind, parent_id, path, version, created_at, updated_at) "
                  "VALUES (:c, :c, :k, :p, '/', 1, :t, :t) RETURNING id")
    with fresh_engine.begin() as conn:
        ho = conn.execute(insert, {"c": "HO", "k": "head_office", "p": None, "t": now}).scalar()
        conn.execute(insert, {"c": "B1", "k": "branch", "p": ho, "t": now})
    upgrade(fresh_engine)

    def version() -> int:
        with fresh_engine.connect() as conn:
            return int(conn.execute(text("SELECT version FROM org_tree")).scalar_one())

    seen = [version()]
    with fresh_engine.connect() as conn:  # a change rolled back: its version is never given again
        with conn.begin() as tx:
            conn.execute(insert, {"c": "B9", "k": "branch", "p": ho, "t": now})
            seen.append(int(conn.execute(text("SELECT version FROM org_tree")).scalar_one()))
            tx.rollback()
    assert version() == seen[0]
    with fresh_engine.begin() as conn:
        new = conn.execute(insert, {"c": "B2", "k": "branch", "p": ho, "t": now}).scalar()
    seen.append(version())
    for stmt in ("UPDATE org SET path = '/x/' WHERE id = :id", "UPDATE org SET parent_id = NULL WHERE id = :id",
                 "DELETE FROM org WHERE id = :id"):
        with fresh_engine.begin() as conn:
            conn.execute(text(stmt), {"id": new})
        seen.append(version())
    assert len(set(seen)) == len(seen), seen
    before = version()
    with fresh_engine.begin() as conn:
        conn.execute(text("UPDATE org SET name = 'renamed' WHERE id = :id"), {"id": ho})
    assert version() == before
    with fresh_engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_identifier_collation")
    with fresh_engine.begin() as conn:  # no trigger left to look for the table
        conn.execute(insert, {"c": "B3", "k": "branch", "p": ho, "t": now})
        assert "org_tree" not in sa_inspect(conn).get_table_names()
