"""SIGTERM under load, on PostgreSQL, with two worker processes (N-2: no stuck server):
a real `crm-server serve` busy with many concurrent clients exits cleanly within 10 s
and leaves no connection behind, let alone one idle in transaction."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import ADMIN_PASSWORD, crm_server, free_port, run


@pytest.fixture
def pg_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    admin = os.environ.get("CRM_TEST_DATABASE_URL")
    if not admin:
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    name = f"crm_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=make_url(admin).set(database=name).render_as_string(hide_password=False),
               CRM_KEY_FILE=str(tmp_path / "keys.json"), CRM_MFA_ROLES="", CRM_ADMIN_PASSWORD=ADMIN_PASSWORD,
               CRM_DB_POOL_SIZE="4", CRM_LOGIN_THROTTLE_AFTER="1000")
    env["_DB_NAME"] = name
    yield env
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _backends(admin_url: str, db: str) -> dict[str, int]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity WHERE datname = %s "
                            "GROUP BY 1", (db,)).fetchall()
    return {state: n for state, n in rows}


def test_sigterm_under_load_exits_within_10_s_and_leaves_no_connection(pg_env, tmp_path):  # type: ignore[no-untyped-def]
    for args in (["init"], ["create-admin", "admin"]):
        r = run(args, pg_env)
        assert r.returncode == 0, r.stderr
    port = free_port()
    log = tmp_path / "server.log"
    proc = subprocess.Popen([*crm_server(), "serve", "--port", str(port), "--workers", "2"], env=pg_env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _sigterm_under_load(proc, port, log, pg_env)
    finally:  # whatever happened, no server (nor its workers) outlives the test
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _sigterm_under_load(proc: subprocess.Popen[bytes], port: int, log: Path, pg_env: dict[str, str]) -> None:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.2)
    token = httpx.post(base + "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD},
                       timeout=10).json()["access_token"]
    stop = threading.Event()
    answered: list[int] = []

    def client(i: int) -> None:
        with httpx.Client(base_url=base, timeout=15, headers={"Authorization": f"Bearer {token}"}) as c:
            while not stop.is_set():
                try:
                    path = "/api/v1/orgs" if i % 3 else "/api/v1/auth/me"
                    answered.append(c.get(path).status_code)
                    if i % 7 == 0:  # logins too: their hash runs between two transactions
                        c.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
                except httpx.HTTPError:
                    return  # the server went away: expected once it stops

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(60)]
    for t in threads:
        t.start()
    until = time.monotonic() + 60
    while len(answered) < 100 and time.monotonic() < until:  # busy, whatever this machine's speed
        time.sleep(0.2)
    assert len(answered) >= 100 and set(answered) == {200}, (len(answered), set(answered))
    # the supervisor serves nothing and holds none of the application (server/supervise.py)
    mapped = Path(f"/proc/{proc.pid}/maps").read_text()
    assert "psycopg" not in mapped and "sqlalchemy" not in mapped and "pydantic_core" not in mapped
    assert b"server.supervise" in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    assert _backends(os.environ["CRM_TEST_DATABASE_URL"], pg_env["_DB_NAME"]), "the load reached the database"
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"crm-server still running 10 s after SIGTERM under load: {log.read_text()[-2000:]}")
    took = time.monotonic() - began
    stop.set()
    assert code == 0, (code, log.read_text()[-2000:])
    time.sleep(1)
    left = _backends(os.environ["CRM_TEST_DATABASE_URL"], pg_env["_DB_NAME"])
    assert "idle in transaction" not in left, left
    assert left == {}, f"connections left after exit: {left}"
    assert took < 10
