"""Regression guards for the request path (issue 12), without timing anything: what an
exact look-up costs in statements and pool checkouts, and that many more concurrent
requests than database connections are all served — none waits in a thread for a
connection it cannot get (the old path's `QueuePool limit reached` wedge)."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.to_thread
import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, event

from server.app import create_app
from server.db import make_engine, make_sessionmaker
from shared import errors as codes
from tests.server.conftest import id_number

ID_MAIN = id_number("110101", "19900307", 45, True)  # the world's customer `main`
PHONE_MAIN = "13912345678"


@contextmanager
def counting(engine: Engine) -> Iterator[Counter[str]]:
    """Statements sent and pool checkouts made while the block runs, on `engine` and, for
    the hot reads on PostgreSQL, on psycopg's asyncio pool (counted at the driver: every
    AsyncConnection.execute and AsyncConnectionPool.getconn)."""
    seen: Counter[str] = Counter()

    def count(statement: str) -> None:
        verb = str(statement).split(None, 1)[0].upper()
        seen[verb] += 1
        if verb not in ("BEGIN", "COMMIT", "ROLLBACK", "SET"):  # SQLite's BEGIN IMMEDIATE is a statement there
            seen["statements"] += 1

    def on_execute(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        count(statement)

    def on_checkout(dbapi_conn, record, proxy):  # type: ignore[no-untyped-def]
        seen["checkouts"] += 1

    real_execute, real_getconn = psycopg.AsyncConnection.execute, AsyncConnectionPool.getconn

    async def execute(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        count(query)
        return await real_execute(self, query, *args, **kwargs)

    async def getconn(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["checkouts"] += 1
        seen["async_checkouts"] += 1
        return await real_getconn(self, *args, **kwargs)

    real_run_sync = anyio.to_thread.run_sync

    async def run_sync(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen["thread_hops"] += 1
        return await real_run_sync(*args, **kwargs)

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkout", on_checkout)
    psycopg.AsyncConnection.execute = execute  # type: ignore[method-assign]
    AsyncConnectionPool.getconn = getconn  # type: ignore[method-assign]
    anyio.to_thread.run_sync = run_sync
    try:
        yield seen
    finally:
        psycopg.AsyncConnection.execute = real_execute  # type: ignore[method-assign]
        AsyncConnectionPool.getconn = real_getconn  # type: ignore[method-assign]
        anyio.to_thread.run_sync = real_run_sync
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine.pool, "checkout", on_checkout)


@pytest.fixture
def counted(backend):  # type: ignore[no-untyped-def]
    """A client over its own engine on the backend's committed world, without the job
    worker (its polls are no request's statements, and were counted when they fell inside
    a request's window)."""
    engine = make_engine(backend.settings.resolved_database_url, pool_size=3)
    settings = backend.settings.model_copy(update={"job_worker": False, "audit_seal_seconds": 0})
    app = create_app(settings, make_sessionmaker(engine, backend.settings.resolved_key_file))
    with TestClient(app) as client:
        yield client, engine, backend.world
    engine.dispose()


@pytest.mark.parametrize("q", [ID_MAIN, PHONE_MAIN], ids=["resident_id", "phone"])
def test_an_exact_look_up_is_two_statements_on_one_checkout(counted, q):  # type: ignore[no-untyped-def]
    """The floor needs a session check and a look-up; so do we (the org subtree of the
    caller is cached, the session's last-seen time written at most once a minute)."""
    client, engine, w = counted
    assert client.get("/api/v1/customers", params={"q": q}, headers=w.h("teller_a1")).json()["total"] == 1
    with counting(engine) as seen:
        r = client.get("/api/v1/customers", params={"q": q}, headers=w.h("teller_a1"))
    assert r.status_code == 200 and r.json()["total"] == 1
    assert seen["statements"] <= 2, seen
    assert seen["checkouts"] == 1, seen


def test_a_query_no_stored_identifier_can_equal_is_answered_without_a_look_up(counted):  # type: ignore[no-untyped-def]
    """A resident ID's digits with a wrong check character: no stored ID, phone or
    customer number can equal it, so only the session check is sent."""
    client, engine, w = counted
    wrong = ID_MAIN[:17] + ("0" if ID_MAIN[17] != "0" else "1")
    client.get("/api/v1/customers", params={"q": wrong}, headers=w.h("teller_a1"))
    with counting(engine) as seen:
        r = client.get("/api/v1/customers", params={"q": wrong}, headers=w.h("teller_a1"))
    assert r.status_code == 200 and r.json()["total"] == 0
    assert seen["statements"] <= 1, seen


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["/api/v1/customers?q=" + ID_MAIN, "/api/v1/customers?q=张",
                                  "/api/v1/customers/{main}", "/api/v1/auth/me"])
def test_hot_reads_on_postgresql_never_enter_a_thread(postgres_backend, path):  # type: ignore[no-untyped-def]
    """The session check and the route's statements on psycopg's asyncio pool, in the
    event loop: no worker thread, no checkout from the engine's pool."""
    engine = make_engine(postgres_backend.settings.resolved_database_url, pool_size=3)
    app = create_app(postgres_backend.settings, make_sessionmaker(engine, postgres_backend.settings.resolved_key_file))
    w = postgres_backend.world
    url = path.format(main=w.customers["main"])
    try:
        with TestClient(app) as client:
            assert client.get(url, headers=w.h("am_a")).status_code == 200  # warm: touch, subtree cache
            with counting(engine) as seen:
                r = client.get(url, headers=w.h("am_a"))
    finally:
        engine.dispose()
    assert r.status_code == 200, r.text
    assert seen["async_checkouts"] == 1 and seen["checkouts"] == 1, seen
    assert seen["thread_hops"] == 0, seen


def test_opening_a_customer_and_a_name_search_use_one_checkout(counted):  # type: ignore[no-untyped-def]
    client, engine, w = counted
    cid = w.customers["main"]
    for _ in range(2):  # warm: touch, subtree cache
        client.get(f"/api/v1/customers/{cid}", headers=w.h("am_a"))
        client.get("/api/v1/customers", params={"q": "张"}, headers=w.h("am_a"))
    with counting(engine) as seen:
        assert client.get(f"/api/v1/customers/{cid}", headers=w.h("am_a")).status_code == 200
    assert seen["checkouts"] == 1 and seen["statements"] <= 3, seen  # session, customer, audit of the unmasked read
    with counting(engine) as seen:
        r = client.get("/api/v1/customers", params={"q": "张"}, headers=w.h("am_a"))
    assert r.status_code == 200 and r.json()["total"] >= 1
    assert seen["checkouts"] == 1 and seen["statements"] <= 3, seen  # session, capped count, the page's rows


def test_a_refused_request_is_audited_on_the_same_checkout(counted):  # type: ignore[no-untyped-def]
    client, engine, w = counted
    client.get("/api/v1/auth/me", headers=w.h("teller_a1"))
    with counting(engine) as seen:
        assert client.get("/api/v1/audit", headers=w.h("teller_a1")).status_code == 403
    assert seen["checkouts"] == 1 and seen["INSERT"] == 1, seen


def test_200_concurrent_requests_on_a_pool_of_2_are_all_served(live_server):  # type: ignore[no-untyped-def]
    """Far more requests in flight than connections: each waits for a database slot in
    the event loop, so every one is answered, none with a pool timeout or a 5xx. A mix
    of reads, a write per customer, logins (whose hash runs without a slot) and
    refusals."""
    srv = live_server(db_pool_size=2, login_throttle_after=100)
    w = srv.world
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(200)

    def one(i: int) -> None:
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            start.wait()
            try:
                kind = i % 5
                if kind == 0:
                    r = c.get("/customers", params={"q": ID_MAIN}, headers=w.h("teller_a1"))
                elif kind == 1:
                    r = c.get(f"/customers/{w.customers['main']}", headers=w.h("am_a"))
                elif kind == 2:
                    r = c.get("/customers", params={"q": "张"}, headers=w.h("bm_a"))
                elif kind == 3:
                    r = c.post("/auth/login", json={"username": "am_b", "password": "Test-Branch-Pass-2026"})
                else:
                    r = c.get("/audit", headers=w.h("teller_b"))  # 403, audited
            except httpx.HTTPError as exc:
                with lock:
                    errors.append(repr(exc))
                return
            with lock:
                statuses[r.status_code] += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    assert statuses == Counter({200: 160, 403: 40}), statuses


@pytest.mark.postgres
def test_the_database_out_of_reach_answers_503_on_hot_reads_and_the_rest(postgres_backend):  # type: ignore[no-untyped-def]
    """A hot read waits for the asyncio pool, then answers 503 with Retry-After, as a
    request on the engine's pool does (the error boundary, server/middleware.py)."""
    from sqlalchemy.engine import make_url

    from server.executor import AsyncDatabase
    url = make_url(postgres_backend.settings.resolved_database_url).set(port=1)  # nothing listens there
    text = url.render_as_string(hide_password=False)
    settings = postgres_backend.settings.model_copy(update={"database_url": text, "job_worker": False,
                                                                 "audit_seal_seconds": 0})
    engine = make_engine(text, pool_size=2)
    app = create_app(settings, make_sessionmaker(engine, settings.resolved_key_file))
    app.state.aio = AsyncDatabase(engine, 1, timeout=1)
    w = postgres_backend.world
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            answers = [client.get(path, headers=w.h("am_a")) for path in ("/api/v1/auth/me", "/api/v1/orgs")]
    finally:
        engine.dispose()
    for r in answers:
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] == "5" and r.json()["code"] == codes.UNAVAILABLE


@pytest.mark.postgres
def test_the_session_check_reads_no_org_row(postgres_backend):  # type: ignore[no-untyped-def]
    """Its cost must not grow with the bank's orgs: the tree's version is one row of
    `org_tree` (the orgs were counted on every request)."""
    import json

    from server.services.auth import _SESSION_CHECK
    engine = postgres_backend.engine
    sql = str(_SESSION_CHECK.params(token_hash="x" * 64).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql).scalar()

    def relations(node: dict) -> set[str]:  # type: ignore[type-arg]
        found = {node["Relation Name"]} if "Relation Name" in node else set()
        for child in node.get("Plans", []):
            found |= relations(child)
        return found

    plan = plan if isinstance(plan, list) else json.loads(plan)
    assert relations(plan[0]["Plan"]) == {"user_session", "app_user", "org_tree"}
