"""API tests through HTTP against SQLite and real PostgreSQL.

Per backend, one database is migrated once and a "world" (orgs, one user per role in
two branches, customers, session tokens) is committed once. Each test then runs inside
an outer transaction on one connection, with the units of work's commits turned into
SAVEPOINT releases (SQLAlchemy's "join_transaction_mode=create_savepoint" recipe), and
is rolled back at the end: tests are isolated and see each other's nothing.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from server.app import create_app
from server.context import Actor, Principal
from server.db import make_engine, make_sessionmaker
from server.keys import create_key_file
from server.migrate import upgrade
from server.services import customers, orgs, users
from server.settings import BACKGROUND_CONNECTIONS, Settings, get_settings
from shared.enums import OrgKind, Position, Role
from shared.permissions import Action, scope_of
from shared.schemas import CustomerCreate, OrgCreate, UserCreate
from shared.validators import id_check_char

PASSWORD = "Test-Branch-Pass-2026"


def pg_admin_url() -> str | None:
    return os.environ.get("CRM_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    admin = pg_admin_url()
    if admin is None:
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # set but unreachable: fail, never skip
        pytest.fail(f"CRM_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def id_number(area: str, born: str, seq: int, male: bool) -> str:
    """A valid resident ID: area, YYYYMMDD, 2-digit sequence, gender digit (odd = male), check."""
    body = f"{area}{born}{seq % 100:02d}{1 if male else 2}"
    return body + id_check_char(body)


@dataclass
class World:
    """Committed once per backend. Names: org `A` (branch) with sub-branches `A1`, `A2`;
    org `B` with `B1`. Users by key; customers by key."""

    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)
    approval_id: int = 0
    job_id: int = 0

    def h(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


#: Users of the world: key -> (role, org key, position)
USERS = {
    "admin": (Role.HEAD_OFFICE_ADMIN, "HO", Position.STAFF),
    "admin2": (Role.HEAD_OFFICE_ADMIN, "HO", Position.STAFF),
    "auditor": (Role.AUDITOR, "HO", Position.STAFF),
    "teller_a1": (Role.TELLER, "A1", Position.STAFF),
    "am_a": (Role.ACCOUNT_MANAGER, "A", Position.ACCOUNT_MANAGER),
    "am_a2": (Role.ACCOUNT_MANAGER, "A", Position.ACCOUNT_MANAGER),
    "bm_a": (Role.BRANCH_MANAGER, "A", Position.BRANCH_PRESIDENT),
    "teller_b": (Role.TELLER, "B1", Position.STAFF),
    "am_b": (Role.ACCOUNT_MANAGER, "B", Position.ACCOUNT_MANAGER),
    "bm_b": (Role.BRANCH_MANAGER, "B", Position.BRANCH_PRESIDENT),
}
#: One user per role for the permission matrix: all reach customer `main` where they may.
ROLE_USER = {Role.TELLER: "teller_a1", Role.ACCOUNT_MANAGER: "am_a", Role.BRANCH_MANAGER: "bm_a",
             Role.HEAD_OFFICE_ADMIN: "admin", Role.AUDITOR: "auditor"}


def actor_for(db: Session, user_id: int, action: Action) -> Actor:
    from server.models import User
    u = db.get(User, user_id)
    assert u is not None
    p = Principal(u.id, u.username, u.display_name, Role(u.role), u.org_id, 0, None)  # type: ignore[arg-type]
    scope = scope_of(u.role, action)
    assert scope is not None, (u.role, action)
    return Actor(p, action, scope)


def build_world(factory: sessionmaker[Session], settings: Settings) -> World:
    from server.models import User
    from server.security import hash_password
    from server.services import approvals
    w = World()
    db = factory()
    ho = orgs.ensure_head_office(db)
    db.commit()
    w.orgs["HO"] = ho.id
    # users are inserted directly with one shared hash: hashing ten times per backend is slow
    hashed = hash_password(PASSWORD)

    def add_user(key: str) -> None:
        role, org, pos = USERS[key]
        u = User(username=key, username_key=key, password_hash=hashed, display_name=f"用户{key}", role=role,
                 org_id=w.orgs[org], position=pos)
        db.add(u)
        db.flush()
        w.users[key] = u.id

    add_user("admin")
    admin = actor_for(db, w.users["admin"], Action.ORG_MANAGE)
    for key, kind, parent, name in (("A", OrgKind.BRANCH, "HO", "城东支行"), ("A1", OrgKind.SUB_BRANCH, "A", "朝阳路分理处"),  # noqa: E501 - data
                                    ("A2", OrgKind.SUB_BRANCH, "A", "解放路分理处"), ("B", OrgKind.BRANCH, "HO", "城西支行"),  # noqa: E501 - data
                                    ("B1", OrgKind.SUB_BRANCH, "B", "西湖分理处")):
        w.orgs[key] = orgs.create_org(db, admin, OrgCreate(code=f"T{key}", name=name, kind=kind,
                                                           parent_id=w.orgs[parent])).id
    for key in USERS:
        if key != "admin":
            add_user(key)
    db.commit()
    # a pending privileged grant made by admin2, for the approval routes
    maker = actor_for(db, w.users["admin2"], Action.USER_CREATE)
    req = users.create_user(db, maker, UserCreate(username="auditor_pending", password=PASSWORD,
                                                  display_name="待批审计员", role=Role.AUDITOR, org_id=w.orgs["HO"]))
    w.approval_id = req.id
    assert isinstance(req, approvals.ApprovalRequest)
    db.commit()

    def add_customer(key: str, creator: str, org: str, name: str, idn: str, phone: str, **kw) -> None:  # type: ignore[no-untyped-def]
        a = actor_for(db, w.users[creator], Action.CUSTOMER_CREATE)
        male = int(idn[16]) % 2 == 1
        born = f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"
        c = customers.create(db, a, CustomerCreate(name=name, gender="male" if male else "female", birth_date=born,
                                                   id_number=idn, phone=phone, org_id=w.orgs[org], **kw))
        w.customers[key] = c.id
        db.commit()

    # `main`: in sub-branch A1, in am_a's book: every customer role reaches it in some way
    add_customer("main", "am_a", "A1", "张三丰", id_number("110101", "19900307", 45, True), "13912345678",
                 address="城东区朝阳路1号", occupation="工程师")
    add_customer("a_other", "am_a2", "A", "李四", id_number("310104", "19850512", 12, False), "13800000002")
    add_customer("b", "am_b", "B1", "王五", id_number("440106", "19700101", 33, True), "13700000003")
    add_customer("b_same_surname", "am_b", "B", "张伟", id_number("440106", "19750202", 35, True), "13700000004")
    # a finished background job started by am_a, for the job routes (never claimable)
    from server.models import Job
    job = Job(kind="search_keys.rebuild", params="{}", status="succeeded", done=4, total=4, attempts=1,
              created_by=w.users["am_a"], org_id=w.orgs["A"])
    db.add(job)
    db.commit()
    w.job_id = job.id
    for key in USERS:
        from server.services import auth
        token, _s, _u, _d = auth.login(db, settings, key, PASSWORD, "setup")
        db.commit()
        w.tokens[key] = token
    db.close()
    return w


@dataclass
class Backend:
    name: str
    engine: Engine
    settings: Settings
    world: World


def _make_backend(name: str, url: str, tmp: Path) -> Backend:
    settings = get_settings(database_url=url, key_file=str(tmp / "keys.json"), profile="development", mfa_roles="")
    engine = make_engine(url)
    upgrade(engine)
    create_key_file(settings.resolved_key_file)
    world = build_world(make_sessionmaker(engine, settings.resolved_key_file), settings)
    return Backend(name, engine, settings, world)


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    tmp = tmp_path_factory.mktemp("sqlite")
    b = _make_backend("sqlite", f"sqlite:///{tmp / 'crm.sqlite3'}", tmp)
    yield b
    b.engine.dispose()


@pytest.fixture(scope="session")
def postgres_backend(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    b = _make_backend("postgres", pg_url, tmp_path_factory.mktemp("pg"))
    yield b
    b.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture
def db_factory(backend: Backend) -> Iterator[sessionmaker[Session]]:
    """Sessions bound to one connection inside an outer transaction rolled back at the end."""
    conn = backend.engine.connect()
    outer = conn.begin()
    factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False,
                           autoflush=False)
    yield factory
    outer.rollback()
    conn.close()


@pytest.fixture
def settings(backend: Backend) -> Settings:
    return backend.settings


@pytest.fixture
def make_client(backend: Backend, db_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """A TestClient over the app, optionally with other settings (e.g. login thresholds)."""
    def make(**overrides: object) -> TestClient:
        s = backend.settings.model_copy(update=overrides) if overrides else backend.settings
        return TestClient(create_app(s, db_factory), base_url="http://testserver/api/v1")
    return make


@pytest.fixture
def api(make_client) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client()


@pytest.fixture
def world(backend: Backend) -> World:
    return backend.world


@pytest.fixture
def db(db_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session inside the test's transaction, to look at what the API stored."""
    with db_factory() as s:
        yield s


@dataclass
class LiveServer:
    """A real uvicorn server in a thread over its own committed database: for what only
    concurrency shows (races on one row, requests in flight together)."""

    url: str
    world: World
    settings: Settings
    factory: sessionmaker[Session]

    def h(self, user: str) -> dict[str, str]:
        return self.world.h(user)


@pytest.fixture
def live_server(backend: Backend, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`live_server(**settings)` on the test's backend (param "sqlite" or "postgres" of
    the `backend` fixture): a fresh database with the world, served on a free port."""
    from server.embedded import EmbeddedServer, serve_in_thread

    backend_name = backend.name
    started: list[tuple[EmbeddedServer, Engine]] = []
    drops: list[str] = []

    def start(**overrides: object) -> LiveServer:
        if backend_name == "sqlite":
            url = f"sqlite:///{tmp_path / f'live{len(started)}.sqlite3'}"
        else:
            admin = pg_admin_url()
            assert admin is not None
            name = f"crm_live_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            drops.append(name)
            url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        settings = get_settings(database_url=url, key_file=str(tmp_path / "keys.json"), profile="development",
                                mfa_roles="", **overrides)
        engine = make_engine(url, pool_size=settings.db_pool_size + BACKGROUND_CONNECTIONS)  # as `serve` sizes it
        upgrade(engine)
        create_key_file(settings.resolved_key_file)
        factory = make_sessionmaker(engine, settings.resolved_key_file)
        world = build_world(factory, settings)
        served = serve_in_thread(create_app(settings, factory))
        started.append((served, engine))
        return LiveServer(served.url + "/api/v1", world, settings, factory)

    yield start
    for served, engine in started:
        served.stop()
        engine.dispose()
    admin = pg_admin_url()
    for name in drops:
        with psycopg.connect(admin, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
