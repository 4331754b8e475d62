"""Durable background jobs (server/services/jobs.py) on SQLite and PostgreSQL.

Two kinds of test: through the API inside the usual rolled-back transaction (one worker,
run in the test's thread), and with several workers, crashes and timeouts on a
throwaway database of their own that is really committed (the rolled-back connection
cannot be shared between threads)."""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.models import Customer, CustomerSearchKey, Job
from server.search import index_entry
from server.services import jobs
from server.services.customers import REBUILD_SEARCH_KEYS
from server.services.orgs import ensure_head_office
from server.settings import get_settings
from tests.server.conftest import pg_admin_url

NO_HEARTBEAT = jobs.WorkerOptions(heartbeat_seconds=0)


def _keys_by_customer(db: Session) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for cid, key in db.execute(select(CustomerSearchKey.customer_id, CustomerSearchKey.key)):
        out.setdefault(cid, set()).add(key)
    return out


def assert_search_keys_exact(db: Session) -> int:
    """Every customer's keys (and sort code and key) are exactly what server.search gives
    for the name, carrying the customer's org; returns the number of customers."""
    customers = list(db.scalars(select(Customer).order_by(Customer.id)))
    keys = _keys_by_customer(db)
    for c in customers:
        entry = index_entry(c.name)
        assert keys.get(c.id, set()) == entry.keys, c.name
        assert (c.sort_code, c.sort_key) == (entry.sort_code, entry.sort_key), c.name
    stray = db.scalar(select(func.count()).select_from(CustomerSearchKey).join(Customer).where(
        (CustomerSearchKey.org_id != Customer.org_id) | (CustomerSearchKey.sort_code != Customer.sort_code)))
    assert stray == 0
    return len(customers)


def _spoil_search_keys(db: Session) -> None:
    """What a pinyin upgrade or a bulk load leaves behind: wrong, missing and stale keys."""
    first = db.scalar(select(func.min(Customer.id)))
    db.execute(CustomerSearchKey.__table__.delete().where(CustomerSearchKey.customer_id == first))
    db.execute(CustomerSearchKey.__table__.update().values(sort_code=-1))
    rows = db.execute(select(Customer.id, Customer.org_id)).all()
    db.execute(insert(CustomerSearchKey), [{"customer_id": cid, "key": "bogus", "org_id": org, "sort_code": 0}
                                           for cid, org in rows])
    db.execute(Customer.__table__.update().where(Customer.id == first).values(sort_key="zzz stale", sort_code=7))


# ============================================================================ through the API
def test_enqueue_is_part_of_the_callers_unit_of_work(db_factory, world):
    with db_factory() as db:
        job = jobs.enqueue(db, REBUILD_SEARCH_KEYS, {"batch_size": 2}, created_by=world.users["am_a"])
        assert job.id and job.status == "queued" and job.attempts == 0
        db.rollback()
    with db_factory() as db:
        assert db.get(Job, job.id) is None
    with pytest.raises(ValueError), db_factory() as db:
        jobs.enqueue(db, "no.such.kind", {})


def test_enqueued_job_runs_and_its_progress_shows_through_the_api(api, db_factory, world):
    with db_factory() as db:
        _spoil_search_keys(db)
        n = db.scalar(select(func.count()).select_from(Customer))
        job_id = jobs.enqueue(db, REBUILD_SEARCH_KEYS, {"batch_size": 1}, created_by=world.users["am_a"]).id
        db.commit()
    url, h = f"/jobs/{job_id}", world.h("am_a")
    r = api.get(url, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {"id": job_id, "kind": "search_keys.rebuild", "status": "queued", "done": 0, "total": None,
                    "error": None, "created_at": body["created_at"], "started_at": None, "finished_at": None}
    assert body["created_at"].endswith("Z")

    seen: list[dict[str, Any]] = []
    job = jobs.run_one(db_factory, "test-worker", options=NO_HEARTBEAT,
                       on_progress=lambda _job: seen.append(api.get(url, headers=h).json()))
    assert job is not None and job.id == job_id
    # one batch per customer, then one that finds nothing more
    assert [(s["status"], s["done"], s["total"]) for s in seen] == \
        [("running", i, n) for i in range(1, n + 1)] + [("succeeded", n, n)]
    final = api.get(url, headers=h).json()
    assert final["status"] == "succeeded" and final["done"] == final["total"] == n and final["error"] is None
    assert final["started_at"] and final["finished_at"] >= final["started_at"]
    with db_factory() as db:
        assert assert_search_keys_exact(db) == n
        stored = db.get(Job, job_id)
        assert stored.attempts == 1 and stored.worker is None and stored.checkpoint


def test_nothing_to_claim_returns_none(db_factory):
    assert jobs.run_one(db_factory, "idle-worker", options=NO_HEARTBEAT) is None


def test_stop_between_batches_puts_the_job_back_in_the_queue(db_factory, world):
    with db_factory() as db:
        _spoil_search_keys(db)
        job_id = jobs.enqueue(db, REBUILD_SEARCH_KEYS, {"batch_size": 2}).id
        db.commit()
    stop = threading.Event()
    job = jobs.run_one(db_factory, "stopping-worker", options=NO_HEARTBEAT, stop_event=stop,
                       on_progress=lambda _job: stop.set())
    assert job is not None and job.status == "queued" and job.done == 2 and job.worker is None
    assert job.attempts == 0  # a clean stop is not an attempt
    job = jobs.run_one(db_factory, "next-worker", options=NO_HEARTBEAT)
    assert job is not None and job.id == job_id and job.status == "succeeded" and job.attempts == 1
    with db_factory() as db:
        assert job.done == assert_search_keys_exact(db)


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, jobs.Handler], None]:
    """Register a handler for this test only."""
    def add(kind: str, fn: jobs.Handler) -> None:
        jobs.handler_for(kind)  # load the product's handlers first
        monkeypatch.setitem(jobs._HANDLERS, kind, fn)
    return add


def test_a_handler_failing_midway_fails_the_job_with_a_clean_error(api, db_factory, world, register, caplog):
    with db_factory() as db:
        secret = db.get(Customer, world.customers["main"]).id_number  # a resident ID

    def fails_in_second_batch(db: Session, step: jobs.Step) -> jobs.Batch:
        if step.checkpoint is None:
            db.execute(Customer.__table__.update().where(Customer.id == world.customers["b"])
                       .values(occupation="第一批"))
            return jobs.Batch(processed=1, checkpoint=1, total=2)
        # a unique violation whose driver message and parameters quote personal data
        db.execute(Customer.__table__.update().where(Customer.id == world.customers["a_other"])
                   .values(occupation="第二批"))
        db.execute(Customer.__table__.update().where(Customer.id == world.customers["b"])
                   .values(id_number=secret))
        raise AssertionError("unreachable")

    register("test.fails_midway", fails_in_second_batch)
    with db_factory() as db:
        job_id = jobs.enqueue(db, "test.fails_midway", {}, created_by=world.users["am_a"]).id
        db.commit()
    with caplog.at_level(logging.INFO, logger="crm.jobs"):
        jobs.run_one(db_factory, "test-worker", options=NO_HEARTBEAT)
    body = api.get(f"/jobs/{job_id}", headers=world.h("am_a")).json()
    assert body["status"] == "failed" and body["done"] == 1 and body["total"] == 2 and body["finished_at"]
    assert body["error"] == {"code": "job.internal_error",
                             "message": "The job stopped on an unexpected error; the server log has the details"}
    with db_factory() as db:
        assert db.get(Customer, world.customers["b"]).occupation == "第一批"  # the committed batch stays
        assert db.get(Customer, world.customers["a_other"]).occupation != "第二批"  # the failed one is undone
        assert db.get(Job, job_id).worker is None
    # the log names the error and the statement, never the values
    failure = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failure) == 1 and "IntegrityError" in failure[0].getMessage()
    assert "UPDATE customer SET id_number" in failure[0].getMessage()
    assert secret not in caplog.text
    assert "[parameters" not in caplog.text and "DETAIL" not in caplog.text


def test_a_job_error_is_reported_as_the_handler_worded_it(api, db_factory, world, register):
    def refuses(db: Session, step: jobs.Step) -> jobs.Batch:
        raise jobs.JobError("test.bad_file", "Line 3 has 5 columns, 7 expected")

    register("test.refuses", refuses)
    with db_factory() as db:
        job_id = jobs.enqueue(db, "test.refuses", {}, created_by=world.users["admin"]).id
        db.commit()
    jobs.run_one(db_factory, "test-worker", options=NO_HEARTBEAT)
    body = api.get(f"/jobs/{job_id}", headers=world.h("admin")).json()
    assert body["status"] == "failed" and body["done"] == 0 and body["total"] is None
    assert body["error"] == {"code": "test.bad_file", "message": "Line 3 has 5 columns, 7 expected"}


def test_a_lost_database_connection_leaves_the_job_for_another_worker(db_factory, register):
    def connection_drops(db: Session, step: jobs.Step) -> jobs.Batch:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    register("test.connection_drops", connection_drops)
    with db_factory() as db:
        job_id = jobs.enqueue(db, "test.connection_drops", {}).id
        db.commit()
    with pytest.raises(OperationalError):
        jobs.run_one(db_factory, "cut-off", options=NO_HEARTBEAT)
    with db_factory() as db:
        job = db.get(Job, job_id)
        assert (job.status, job.worker, job.attempts, job.error_code) == ("running", "cut-off", 1, None)


def test_a_job_of_an_unknown_kind_fails(db_factory):
    with db_factory() as db:
        db.add(Job(kind="retired.kind", params="{}", status="queued", done=0, attempts=0))
        db.commit()
    job = jobs.run_one(db_factory, "test-worker", options=NO_HEARTBEAT)
    assert job is not None and job.status == "failed" and job.error_code == "job.unknown_kind"


def test_creator_and_admin_see_a_job_others_get_404(api, world):
    url = f"/jobs/{world.job_id}"
    for user in ("am_a", "admin", "admin2"):
        r = api.get(url, headers=world.h(user))
        assert r.status_code == 200 and r.json()["id"] == world.job_id, user
    missing = api.get("/jobs/2147483647", headers=world.h("am_a"))
    assert missing.status_code == 404
    for user in ("am_a2", "bm_a", "teller_a1", "auditor"):
        r = api.get(url, headers=world.h(user))
        assert r.status_code == 404, user
        assert r.json() == missing.json() and r.headers["content-type"] == missing.headers["content-type"]
    assert api.get(url).status_code == 401
    for bad in ("2147483648", "99999999999999999999999", "0", "-1"):
        assert api.get(f"/jobs/{bad}", headers=world.h("admin")).status_code == 404, bad
    assert api.get(url, headers=world.h("admin")).history == []  # the path as written: no redirect


def test_job_settings_refuse_a_timeout_a_heartbeat_cannot_keep_up_with():
    with pytest.raises(ValueError, match="CRM_JOB_TIMEOUT_SECONDS"):
        get_settings(job_heartbeat_seconds=40, job_timeout_seconds=60)
    assert get_settings(job_heartbeat_seconds=0, job_timeout_seconds=1).job_heartbeat_seconds == 0


def test_job_worker_setting_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRM_JOB_WORKER", "0")
    assert get_settings().job_worker is False
    monkeypatch.setenv("CRM_JOB_WORKER", "1")
    assert get_settings().job_worker is True


# ============================================================================ committed databases
@dataclass
class Committed:
    name: str
    engine: Engine
    factory: sessionmaker[Session]
    org_id: int

    def count_items(self) -> dict[int, int]:
        with self.factory() as db:
            return dict(db.execute(text("SELECT item, count(*) FROM test_tally GROUP BY item")).all())

    def enqueue(self, kind: str, params: dict[str, Any]) -> int:
        with self.factory() as db:
            job_id = jobs.enqueue(db, kind, params).id
            db.commit()
        return job_id

    def job(self, job_id: int) -> Job:
        with self.factory() as db:
            job = db.get(Job, job_id)
            assert job is not None
            return job


@contextmanager
def _committed_database(kind: str, tmp_path: Path) -> Iterator[Committed]:
    """A throwaway, really committed database with the schema, a head office and a tally
    table for test handlers (each item a batch processes is one row)."""
    admin_conn = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    else:
        admin = pg_admin_url()
        if admin is None:
            pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
        admin_conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
        dbname = f"crm_jobs_{uuid.uuid4().hex[:10]}"
        admin_conn.execute(f'CREATE DATABASE "{dbname}"')
        url = make_url(admin).set(database=dbname).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE test_tally (item INTEGER NOT NULL, attempt INTEGER NOT NULL)"))
        factory = make_sessionmaker(engine)
        with factory() as db:
            org_id = ensure_head_office(db).id
            db.commit()
        yield Committed(kind, engine, factory, org_id)
    finally:
        engine.dispose()
        if admin_conn is not None:
            admin_conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            admin_conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Committed]:
    with _committed_database(request.param, tmp_path) as c:
        yield c


@pytest.fixture
def committed_pg(tmp_path: Path) -> Iterator[Committed]:
    with _committed_database("postgres", tmp_path) as c:
        yield c


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so no handler or worker code
    catches it; the batch's transaction is rolled back and the job stays `running`."""


#: Per test: called as hook(step, phase) with phase "before" / "after" the batch's work.
Hook = Callable[[jobs.Step, str], None]


@pytest.fixture
def tally(register) -> Callable[[Hook | None], None]:  # type: ignore[no-untyped-def]
    """Registers `test.tally`: items 1..n in batches, each item written once per run of
    its batch, so a repeated batch shows up as a count of 2."""
    hooks: list[Hook] = []

    def handler(db: Session, step: jobs.Step) -> jobs.Batch:
        n, size = step.params["n"], step.params["batch_size"]
        start = step.checkpoint or 0
        items = list(range(start + 1, min(start + size, n) + 1))
        for hook in hooks:
            hook(step, "before")
        if items:
            db.execute(text("INSERT INTO test_tally (item, attempt) VALUES (:i, :a)"),
                       [{"i": i, "a": step.attempt} for i in items])
        for hook in hooks:
            hook(step, "after")
        last = start + len(items)
        return jobs.Batch(processed=len(items), checkpoint=last, finished=last >= n, total=n)

    register("test.tally", handler)
    return lambda hook: hooks.append(hook) if hook else None


def test_two_workers_never_claim_the_same_job(committed, tally):
    tally(None)
    ids = {committed.enqueue("test.tally", {"n": 1, "batch_size": 1}) for _ in range(40)}
    start = threading.Barrier(4)
    claimed: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def claimer(k: int) -> None:
        try:
            start.wait(10)
            while True:
                with committed.factory() as db:
                    job = jobs.claim(db, f"w{k}")
                if job is None:
                    return
                claimed[k].append(job.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    every = [i for c in claimed for i in c]
    assert sorted(every) == sorted(ids) and len(every) == len(set(every))
    with committed.factory() as db:
        rows = db.execute(select(Job.id, Job.worker, Job.attempts, Job.status)).all()
    owner = {i: f"w{k}" for k, c in enumerate(claimed) for i in c}
    assert all(r.status == "running" and r.attempts == 1 and r.worker == owner[r.id] for r in rows)


def test_worker_loops_share_the_queue_and_run_every_batch_once(committed, tally):
    tally(None)
    ids = [committed.enqueue("test.tally", {"n": 5, "batch_size": 2}) for _ in range(12)]
    stop = threading.Event()
    workers = [threading.Thread(target=jobs.run_worker, args=(committed.factory, stop, 0.05),
                                kwargs={"options": jobs.WorkerOptions(heartbeat_seconds=0.2, timeout_seconds=30),
                                        "worker_id": f"loop{k}"}) for k in range(3)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(committed.job(i).status != "succeeded" for i in ids):
        time.sleep(0.05)
    stop.set()
    for w in workers:
        w.join(10)
        assert not w.is_alive()
    assert all(committed.job(i).status == "succeeded" and committed.job(i).done == 5 for i in ids)
    with committed.factory() as db:
        assert db.scalar(text("SELECT count(*) FROM test_tally")) == 12 * 5


def test_crashed_job_is_reclaimed_after_the_timeout_and_each_batch_applied_once(committed, tally):
    def crash_in_third_batch(step: jobs.Step, phase: str) -> None:
        if step.attempt == 1 and step.checkpoint == 4 and phase == "after":  # its work is done, not committed
            raise SimulatedCrash

    tally(crash_in_third_batch)
    job_id = committed.enqueue("test.tally", {"n": 11, "batch_size": 2})
    opts = jobs.WorkerOptions(heartbeat_seconds=0, timeout_seconds=1.0)
    with pytest.raises(SimulatedCrash):
        jobs.run_one(committed.factory, "doomed", options=opts)
    job = committed.job(job_id)
    assert (job.status, job.done, job.worker, job.attempts) == ("running", 4, "doomed", 1)
    assert committed.count_items() == {1: 1, 2: 1, 3: 1, 4: 1}
    # its heartbeat is still fresh: nobody takes it over yet
    assert jobs.run_one(committed.factory, "rescuer", options=opts) is None
    time.sleep(1.1)
    job = jobs.run_one(committed.factory, "rescuer", options=opts)
    assert job is not None and job.id == job_id
    assert (job.status, job.done, job.total, job.attempts, job.worker) == ("succeeded", 11, 11, 2, None)
    assert committed.count_items() == {i: 1 for i in range(1, 12)}
    with committed.factory() as db:
        attempts = dict(db.execute(text("SELECT item, attempt FROM test_tally")).all())
    assert {i for i, a in attempts.items() if a == 2} == set(range(5, 12))


def test_a_job_whose_worker_keeps_dying_is_abandoned(committed, tally):
    def always_crash(step: jobs.Step, phase: str) -> None:
        raise SimulatedCrash

    tally(always_crash)
    job_id = committed.enqueue("test.tally", {"n": 3, "batch_size": 1})
    opts = jobs.WorkerOptions(heartbeat_seconds=0, timeout_seconds=0.05, max_attempts=2)
    for _ in range(2):
        with pytest.raises(SimulatedCrash):
            jobs.run_one(committed.factory, "dying", options=opts)
        time.sleep(0.1)
    assert jobs.run_one(committed.factory, "next", options=opts) is None
    job = committed.job(job_id)
    assert (job.status, job.error_code, job.attempts, job.worker) == ("failed", "job.abandoned", 2, None)


def test_rebuild_resumes_after_a_crash_and_leaves_exact_search_keys(committed, register):
    with committed.factory() as db:
        names = ["张三丰", "李四", "单田芳", "王五", "赵六", "欧阳娜娜", "买买提·艾力", "John Smith", "𠮷祥", "曾可"]
        db.execute(insert(Customer), [{"customer_no": f"C{i:09d}", "name": n, "sort_key": "?", "sort_code": 0,
                                       "org_id": committed.org_id} for i, n in enumerate(names)])
        db.execute(insert(CustomerSearchKey), [{"customer_id": cid, "key": "stale", "org_id": committed.org_id,
                                                "sort_code": 0} for cid in db.scalars(select(Customer.id))])
        db.commit()
    real = jobs.handler_for(REBUILD_SEARCH_KEYS)
    assert real is not None
    calls: list[tuple[int, Any]] = []

    def crashing(db: Session, step: jobs.Step) -> jobs.Batch:
        batch = real(db, step)
        calls.append((step.attempt, step.checkpoint))
        if step.attempt == 1 and len(calls) == 3:
            raise SimulatedCrash
        return batch

    register(REBUILD_SEARCH_KEYS, crashing)
    job_id = committed.enqueue(REBUILD_SEARCH_KEYS, {"batch_size": 3})
    opts = jobs.WorkerOptions(heartbeat_seconds=0, timeout_seconds=0.3)
    with pytest.raises(SimulatedCrash):
        jobs.run_one(committed.factory, "doomed", options=opts)
    assert committed.job(job_id).done == 6
    time.sleep(0.4)
    job = jobs.run_one(committed.factory, "rescuer", options=opts)
    assert job is not None and (job.status, job.done, job.total) == ("succeeded", 10, 10)
    # the resumed attempt started where the last committed batch ended, not before
    assert calls == [(1, None), (1, {"after_id": 3}), (1, {"after_id": 6}), (2, {"after_id": 6}),
                     (2, {"after_id": 9})]
    with committed.factory() as db:
        assert assert_search_keys_exact(db) == 10


@pytest.mark.postgres
def test_a_worker_that_lost_its_claim_cannot_commit_its_batch(committed_pg, tally):
    """PostgreSQL only: on SQLite a stalled batch holds the one write lock, so nobody can
    take its job over while it stalls (the fence is the same code)."""
    committed = committed_pg
    reached, proceed = threading.Event(), threading.Event()

    def stall_second_batch(step: jobs.Step, phase: str) -> None:
        if step.attempt == 1 and step.checkpoint == 2 and phase == "before":
            reached.set()
            proceed.wait(30)

    tally(stall_second_batch)
    job_id = committed.enqueue("test.tally", {"n": 6, "batch_size": 2})
    opts = jobs.WorkerOptions(heartbeat_seconds=0, timeout_seconds=0.3)
    result: list[Job | None] = []
    stalled = threading.Thread(target=lambda: result.append(jobs.run_one(committed.factory, "stalled",
                                                                         options=opts)))
    stalled.start()
    assert reached.wait(30)
    time.sleep(0.4)
    job = jobs.run_one(committed.factory, "rescuer", options=opts)
    assert job is not None and job.status == "succeeded" and job.attempts == 2
    proceed.set()  # the stalled worker wakes up, writes its batch and tries to commit it
    stalled.join(30)
    assert result == [None]
    assert committed.count_items() == {i: 1 for i in range(1, 7)}
    job = committed.job(job_id)
    assert (job.status, job.done, job.worker, job.attempts) == ("succeeded", 6, None, 2)


def test_heartbeat_keeps_a_long_batch_from_being_taken_over(committed, tally):
    reached = threading.Event()

    def slow_first_batch(step: jobs.Step, phase: str) -> None:
        if step.checkpoint is None and phase == "after":
            reached.set()
            time.sleep(1.2)

    tally(slow_first_batch)
    job_id = committed.enqueue("test.tally", {"n": 2, "batch_size": 1})
    opts = jobs.WorkerOptions(heartbeat_seconds=0.1, timeout_seconds=0.4)
    runner = threading.Thread(target=jobs.run_one, args=(committed.factory, "slow"), kwargs={"options": opts})
    runner.start()
    assert reached.wait(30)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert jobs.run_one(committed.factory, "eager", options=opts) is None
        time.sleep(0.1)
    runner.join(30)
    job = committed.job(job_id)
    assert (job.status, job.attempts) == ("succeeded", 1)
    assert committed.count_items() == {1: 1, 2: 1}


def test_the_server_runs_a_job_worker_and_stops_it_on_shutdown(committed, tally, tmp_path):
    tally(None)
    settings = get_settings(database_url=str(committed.engine.url), key_file=str(tmp_path / "keys.json"),
                            job_poll_seconds=0.05)
    job_id = committed.enqueue("test.tally", {"n": 3, "batch_size": 1})

    def job_workers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "job-worker"}

    before = job_workers()
    with TestClient(create_app(settings, committed.factory)):
        deadline = time.monotonic() + 30
        while committed.job(job_id).status != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job_workers() - before
    assert committed.job(job_id).status == "succeeded"
    assert job_workers() == before
    off = settings.model_copy(update={"job_worker": False})
    other = committed.enqueue("test.tally", {"n": 1, "batch_size": 1})
    with TestClient(create_app(off, committed.factory)):
        assert job_workers() == before
        time.sleep(0.2)
    assert committed.job(other).status == "queued"
