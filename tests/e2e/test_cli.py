"""`crm-server` as an operator uses it (CONTRACT.md, command line)."""
from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import ADMIN_PASSWORD, run, start_server


def test_init_is_idempotent_and_makes_a_private_key_file(server_env, tmp_path):
    assert run(["init"], server_env).returncode == 0
    assert run(["init"], server_env).returncode == 0
    key_file = tmp_path / "keys.json"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_create_admin_refuses_a_weak_password_and_reads_stdin(server_env):
    run(["init"], server_env)
    weak = dict(server_env, CRM_ADMIN_PASSWORD="password")
    r = run(["create-admin", "weak"], weak)
    assert r.returncode != 0 and "12 characters" in r.stderr
    env = {k: v for k, v in server_env.items() if k != "CRM_ADMIN_PASSWORD"}
    r = run(["create-admin", "fromstdin"], env, input="Stdin-Admin-Pass-2026\n")
    assert r.returncode == 0, r.stderr


def test_explicit_flag_beats_the_environment(server_env, tmp_path):
    other = tmp_path / "other.sqlite3"
    assert run(["init", "--database-url", f"sqlite:///{other}"], server_env).returncode == 0
    assert other.exists() and not (tmp_path / "crm.sqlite3").exists()


def test_serve_refuses_without_its_key_file(server_env, tmp_path):
    run(["init"], server_env)
    env = dict(server_env, CRM_KEY_FILE=str(tmp_path / "missing.json"))
    r = run(["serve", "--port", "1"], env)
    assert r.returncode != 0 and "key file" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_serve_and_worker_refuse_a_database_not_at_their_schema(server_env, tmp_path):
    """A server on a schema it was not written for would answer 500 request by request
    (a new release started before `crm-server init` had migrated): it refuses at once,
    saying what to run."""
    import sqlite3

    from alembic.script import ScriptDirectory

    from server.migrate import alembic_config
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    for args in (["serve", "--port", "1"], ["worker"]):
        r = run(args, server_env)  # never initialised
        assert r.returncode == 2 and "crm-server init" in r.stderr, (args, r.stderr)
    run(["init"], server_env)
    db = sqlite3.connect(tmp_path / "crm.sqlite3")
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    for revision, words in ((previous, "crm-server init"), ("9999_from_the_future", "newer")):
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        db.commit()
        for args in (["serve", "--port", "1"], ["worker"]):
            r = run(args, server_env)
            assert r.returncode == 2 and words in r.stderr and head in r.stderr, (args, r.stderr)
    db.close()


def test_serve_refuses_plain_http_off_loopback(server_env):
    run(["init"], server_env)
    r = run(["serve", "--host", "0.0.0.0", "--port", "1"], server_env)
    assert r.returncode != 0 and "TLS" in r.stderr


def test_a_running_server_logs_in_and_serves_the_api(live_server):
    api = httpx.Client(base_url=live_server.url + "/api/v1", timeout=10)
    r = api.post("/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200
    orgs = api.get("/orgs", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
    assert orgs["items"][0]["kind"] == "head_office"
    assert api.get("/openapi.json").status_code == 200
    assert httpx.get(live_server.url + "/api/v1/docs").status_code == 404  # production profile: no docs pages


def test_restart_keeps_the_data(live_server, tmp_path):
    api = httpx.Client(base_url=live_server.url + "/api/v1", timeout=10)
    h = {"Authorization": "Bearer " + api.post("/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
                                               ).json()["access_token"]}
    ho = api.get("/orgs", headers=h).json()["items"][0]["id"]
    assert api.post("/orgs", headers=h, json={"code": "R1", "name": "重启支行", "kind": "branch",
                                              "parent_id": ho}).status_code == 201
    live_server.proc.terminate()
    live_server.proc.wait(10)
    again = start_server(live_server.env, tmp_path / "again.log")
    try:
        assert any(o["code"] == "R1" for o in httpx.get(again.url + "/api/v1/orgs", headers=h).json()["items"])
    finally:
        again.proc.terminate()
        again.proc.wait(10)


def test_serve_with_two_workers(server_env, tmp_path):
    assert run(["init"], server_env).returncode == 0
    assert run(["create-admin", "admin"], server_env).returncode == 0
    import subprocess
    import time

    from tests.e2e.conftest import crm_server, free_port
    port = free_port()
    log = tmp_path / "workers.log"
    proc = subprocess.Popen([*crm_server(), "serve", "--port", str(port), "--workers", "2"], env=server_env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(base + "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
                           ).json()["access_token"]
        # sessions live in the database, so every worker accepts a token another issued
        for _ in range(10):
            with httpx.Client() as c:  # a new connection each time, spread over the workers
                assert c.get(base + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
                             ).status_code == 200
        # both processes start; the second may still be importing when the first answers
        deadline = time.monotonic() + 60
        while log.read_text().count("Started server process") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.read_text().count("Started server process") >= 2
    finally:
        proc.terminate()
        proc.wait(15)


def test_the_demo_says_there_is_no_display_and_removes_its_database_on_sigterm(server_env, tmp_path):
    """`crm-server demo --client` without a screen says so (on a pipe, not lost in a
    buffer), serves, and on SIGTERM exits 0 leaving no throwaway database behind."""
    import re
    import signal
    import subprocess
    import time

    from tests.e2e.conftest import crm_server, free_port
    env = {k: v for k, v in server_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    port = free_port()
    proc = subprocess.Popen([*crm_server(), "demo", "--client", "--port", str(port), "--customers", "20"], env=env,
                            stdout=subprocess.PIPE, stderr=open(tmp_path / "demo.log", "wb"), text=True)
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("No display found"):
                break
        out = "".join(lines)
        assert "No display found" in out, out
        found = re.search(r"a throwaway database in (\S+)", out)
        assert found, out
        database_dir = Path(found.group(1))
        assert (database_dir / "demo.sqlite3").exists()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "demo.log").read_text()[-2000:])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert not database_dir.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
