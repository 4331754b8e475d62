"""Background jobs with real processes: `crm-server rebuild-search-keys`, `crm-server
worker` killed mid-job and resumed by another, SIGTERM, and the worker inside `serve`."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from server.db import make_engine, make_sessionmaker
from server.models import Customer, CustomerSearchKey, Job, Org
from tests.e2e.conftest import ADMIN_PASSWORD, crm_server, run, start_server
from tests.server.test_jobs import assert_search_keys_exact

pytestmark = pytest.mark.e2e

NAMES = ["张三丰", "李四", "单田芳", "王五", "赵六", "欧阳娜娜", "买买提·艾力", "曾可", "𠮷祥", "John Smith"]


@dataclass
class Site:
    """A database set up with `crm-server init`, and the environment to reach it."""

    url: str
    env: dict[str, str]
    tmp: Path

    def session(self):  # type: ignore[no-untyped-def]
        engine = make_engine(self.url)
        return make_sessionmaker(engine)(), engine

    def seed_customers(self, n: int) -> None:
        """Customers as a bulk load leaves them: no search keys, or wrong ones."""
        db, engine = self.session()
        with db:
            org = db.scalar(select(Org.id))
            db.execute(insert(Customer), [{"customer_no": f"C{i:010d}", "name": NAMES[i % len(NAMES)] + str(i // 10),
                                           "sort_key": "?", "sort_code": 0, "org_id": org} for i in range(n)])
            db.execute(insert(CustomerSearchKey), [{"customer_id": cid, "key": "stale", "org_id": org,
                                                    "sort_code": 0} for cid in db.scalars(select(Customer.id))])
            db.commit()
        engine.dispose()

    def job(self, job_id: int) -> Job:
        db, engine = self.session()
        with db:
            job = db.get(Job, job_id)
        engine.dispose()
        assert job is not None
        return job

    def check_search_keys(self) -> int:
        db, engine = self.session()
        with db:
            n = assert_search_keys_exact(db)
        engine.dispose()
        return n

    def worker(self, log: str, **env: str) -> subprocess.Popen[bytes]:
        return start_worker({**self.env, **env}, self.tmp / log)

    def log(self, name: str) -> str:
        return (self.tmp / name).read_text(errors="replace")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, server_env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    admin_conn = None
    if request.param == "sqlite":
        url = server_env["CRM_DATABASE_URL"]
    else:
        admin = os.environ.get("CRM_TEST_DATABASE_URL")
        if not admin:
            pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
        admin_conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
        name = f"crm_e2e_jobs_{uuid.uuid4().hex[:8]}"
        admin_conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    env = dict(server_env, CRM_DATABASE_URL=url)
    try:
        r = run(["init"], env)
        assert r.returncode == 0, r.stderr
        yield Site(url, env, tmp_path)
    finally:
        if admin_conn is not None:
            admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin_conn.close()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen([*crm_server(), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)


def _queued_id(stdout: str) -> int:
    m = re.search(r"^job (\d+) queued \(search_keys\.rebuild\)$", stdout, re.MULTILINE)
    assert m, stdout
    return int(m.group(1))


def _wait_for(what: Callable[[], bool], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_rebuild_search_keys_queues_and_with_wait_runs_it_printing_progress(site):
    site.seed_customers(7)
    r = run(["rebuild-search-keys"], site.env)
    assert r.returncode == 0, r.stderr
    queued = _queued_id(r.stdout)
    assert site.job(queued).status == "queued"  # without --wait: for a worker to run

    r = run(["rebuild-search-keys", "--wait", "--batch-size", "3"], site.env)
    assert r.returncode == 0, r.stderr
    job_id = _queued_id(r.stdout)
    assert job_id == queued + 1
    assert re.findall(rf"^job {job_id}: (\w+ \d+/\d+)$", r.stdout, re.MULTILINE) == \
        ["running 3/7", "running 6/7", "succeeded 7/7"]
    assert r.stdout.rstrip().endswith(f"job {job_id} succeeded: 7 customers")
    assert site.check_search_keys() == 7
    assert site.job(queued).status == "queued"  # --wait ran its own job, not the older one


def test_a_killed_worker_s_job_is_resumed_by_another_worker(site):
    site.seed_customers(40)
    slow = {"CRM_JOB_BATCH_PAUSE_SECONDS": "0.15", "CRM_JOB_HEARTBEAT_SECONDS": "0.5",
            "CRM_JOB_TIMEOUT_SECONDS": "2", "CRM_JOB_POLL_SECONDS": "0.2"}
    job_id = _queued_id(run(["rebuild-search-keys", "--batch-size", "4"], site.env).stdout)
    first = site.worker("first.log", **slow)
    try:
        _wait_for(lambda: site.job(job_id).done >= 8, 60, "the first worker made no progress")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    crashed = site.job(job_id)
    assert crashed.status == "running" and 8 <= crashed.done < 40 and crashed.attempts == 1

    second = site.worker("second.log", **slow)
    try:
        _wait_for(lambda: site.job(job_id).status == "succeeded", 60,
                  "the second worker did not finish: " + site.log("second.log")[-2000:])
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0
    finally:
        _stop(second)
    job = site.job(job_id)
    assert (job.done, job.total, job.attempts, job.error_code) == (40, 40, 2, None)
    assert "stopped responding" in site.log("second.log")
    assert site.check_search_keys() == 40


def test_an_idle_worker_exits_cleanly_on_sigterm(server_env, tmp_path):
    assert run(["init"], server_env).returncode == 0
    log = tmp_path / "idle.log"
    worker = start_worker(server_env, log)
    try:
        _wait_for(lambda: "job worker" in log.read_text(), 30, "the worker did not start")
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0 and time.monotonic() - started < 5
    finally:
        _stop(worker)
    assert re.search(r"job worker \S+ stopped", log.read_text())


def test_a_busy_worker_exits_cleanly_on_sigterm_and_puts_its_job_back(site):
    site.seed_customers(30)
    job_id = _queued_id(run(["rebuild-search-keys", "--batch-size", "2"], site.env).stdout)
    worker = site.worker("busy.log", CRM_JOB_BATCH_PAUSE_SECONDS="0.3")
    try:
        _wait_for(lambda: site.job(job_id).done >= 2, 60, "the worker made no progress")
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0 and time.monotonic() - started < 5
    finally:
        _stop(worker)
    job = site.job(job_id)
    # back in the queue where it stopped, for the next worker; the attempt does not count
    assert job.status == "queued" and 2 <= job.done < 30 and job.worker is None and job.attempts == 0
    assert "queued again" in site.log("busy.log")


def test_serve_runs_queued_jobs_and_stops_its_worker_on_sigterm(server_env, tmp_path):
    env = dict(server_env, CRM_JOB_POLL_SECONDS="0.2")
    for args in (["init"], ["create-admin", "admin"]):
        r = run(args, env)
        assert r.returncode == 0, r.stderr
    server = start_server(env, tmp_path / "serve.log")
    try:
        job_id = _queued_id(run(["rebuild-search-keys"], env).stdout)
        api = httpx.Client(base_url=server.url + "/api/v1", timeout=10)
        token = api.post("/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}

        def finished() -> bool:
            return api.get(f"/jobs/{job_id}", headers=h).json()["status"] == "succeeded"

        _wait_for(finished, 30, "serve's worker did not run the job")
        body = api.get(f"/jobs/{job_id}", headers=h).json()
        assert body["kind"] == "search_keys.rebuild" and body["done"] == body["total"] == 0
        server.proc.terminate()
        server.proc.wait(10)
    finally:
        _stop(server.proc)
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert re.search(r"job worker \S+ started", log) and re.search(r"job worker \S+ stopped", log), log[-2000:]
