"""The tamper-evident audit trail against a real `crm-server` process, as an operator
and an auditor use it: the server seals while it runs and once more on SIGTERM,
`crm-server audit verify` passes, and an entry edited in the database file is found."""
from __future__ import annotations

import sqlite3
import time

import httpx

from tests.e2e.conftest import ADMIN_PASSWORD, run, start_server


def test_a_running_server_seals_and_verify_finds_an_edit(live_server):
    base = live_server.url + "/api/v1"
    assert httpx.post(f"{base}/auth/login", json={"username": "admin", "password": "wrong-password-1"}).status_code \
        == 401
    ok = httpx.post(f"{base}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert ok.status_code == 200
    h = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert httpx.get(f"{base}/audit", headers=h).status_code == 403  # a refusal, on record too
    deadline = time.monotonic() + 15
    while True:  # sealed while the server runs (CRM_AUDIT_SEAL_SECONDS, 1 s)
        r = run(["audit", "verify"], live_server.env)
        assert r.returncode == 0, r.stdout + r.stderr
        if " 0 not yet sealed" in r.stdout:
            break
        assert time.monotonic() < deadline, r.stdout
        time.sleep(0.3)
    head = run(["audit", "head"], live_server.env).stdout.strip()
    live_server.proc.terminate()
    live_server.proc.wait(20)
    r = run(["audit", "verify", "--expect-head", head], live_server.env)
    assert r.returncode == 0, r.stdout

    path = live_server.env["CRM_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        failed = db.execute("SELECT id FROM audit_log WHERE action = 'auth.login' AND outcome != 'success'").fetchone()
        assert failed is not None
        db.execute("UPDATE audit_log SET outcome = 'success' WHERE id = ?", failed)
    r = run(["audit", "verify"], live_server.env)
    assert r.returncode == 1
    assert r.stdout.startswith("BROKEN:") and f"entry {failed[0]} " in r.stdout.splitlines()[0]


def test_sigterm_seals_what_is_left(server_env, tmp_path):
    """A server that would not seal for an hour still leaves nothing unsealed when it is
    stopped the ordinary way."""
    for args in (["init"], ["create-admin", "admin"]):
        assert run(args, server_env).returncode == 0
    env = dict(server_env, CRM_AUDIT_SEAL_SECONDS="3600")
    server = start_server(env, tmp_path / "server.log")
    try:
        for _ in range(3):
            httpx.post(f"{server.url}/api/v1/auth/login", json={"username": "admin", "password": "wrong-password-1"})
        r = run(["audit", "verify"], env)
        assert r.returncode == 0 and " 0 not yet sealed" not in r.stdout, r.stdout  # the control: pending
    finally:
        server.proc.terminate()
        server.proc.wait(20)
    r = run(["audit", "verify"], env)
    assert r.returncode == 0 and " 0 not yet sealed" in r.stdout, r.stdout
