"""Engines and sessions. One session per request, owned by the caller (STYLE.md)."""
from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` (which would pick psycopg2) and use psycopg 3."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (a CursorResult's rowcount, typed)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)  # SQL errors never carry customers' data into a log
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _sqlite_setup(engine)
        return engine
    # A fixed pool (the request gate, server/dbgate.py, admits as many requests as it
    # has connections), no pre-ping round trip per checkout: a connection that broke is
    # found by its first statement, the pool is invalidated and the request answered 503
    # (server/middleware.py); connections are recycled hourly. psycopg prepares a
    # statement server-side after its second execution on a connection.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", 30)
    kwargs.setdefault("pool_recycle", 3600)
    connect_args = {"prepare_threshold": 2, **kwargs.pop("connect_args", {})}
    return create_engine(url, connect_args=connect_args, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    """SQLAlchemy's documented recipe: let SQLAlchemy, not pysqlite, emit BEGIN, so that
    SAVEPOINTs (test isolation) and transactional DDL work. BEGIN IMMEDIATE takes the
    write lock up front: writers queue behind `busy_timeout` instead of failing with
    "database is locked" when a read transaction later wants to write."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":  # a read request's
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine, key_file: Path | None = None) -> sessionmaker[Session]:
    """Sessions for `engine`; with `key_file`, they can seal sensitive values (server/crypto.py)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    if key_file is not None:
        from server import crypto
        crypto.attach(factory, crypto.FieldCipher.from_key_file(key_file))
    return factory


#: Tables the application may only ever append to (no UPDATE, DELETE or TRUNCATE).
APPEND_ONLY_TABLES = ("audit_log", "audit_chain")


def _is_superuser(conn) -> bool:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    return bool(conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())


def prepare_app_role(engine: Engine, role: str) -> bool:
    """On PostgreSQL with a superuser URL: create the application's own NOLOGIN,
    non-superuser role (roles are cluster-wide, so only if absent) and grant it what the
    server needs — and no UPDATE/DELETE/TRUNCATE on append-only tables (superusers
    ignore REVOKE, so this only means something because the server runs as `role`).
    Returns True when the role is in use for this database."""
    from sqlalchemy import text
    if engine.dialect.name != "postgresql":
        return False
    ident = engine.dialect.identifier_preparer.quote(role)
    with engine.begin() as conn:
        if not _is_superuser(conn):
            return False
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar() is None:
            conn.execute(text(f"CREATE ROLE {ident} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"))
        db = engine.dialect.identifier_preparer.quote(str(conn.execute(text("SELECT current_database()")).scalar()))
        for stmt in (
            f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {ident}",
            f"GRANT USAGE ON SCHEMA public TO {ident}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ident}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ident}",
            *(f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {ident}" for t in APPEND_ONLY_TABLES),
        ):
            conn.execute(text(stmt))
    return True


_APP_ROLES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def app_role_of(engine: Engine) -> str | None:
    """The (quoted) role `use_app_role` made the engine's connections act as, if any:
    other connections to the same database (server/executor.py) take it too."""
    return _APP_ROLES.get(engine)


def use_app_role(engine: Engine, role: str) -> bool:
    """Make every connection of a superuser engine act as the application role (set up
    by `prepare_app_role`). Returns True when it does."""
    from sqlalchemy import text
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
        if not (_is_superuser(conn) and exists):
            return False
    ident = engine.dialect.identifier_preparer.quote(role)
    _APP_ROLES[engine] = ident

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        with dbapi_connection.cursor() as cur:
            cur.execute(f"SET ROLE {ident}")
        dbapi_connection.commit()

    engine.dispose()  # connections opened before the listener existed
    return True
