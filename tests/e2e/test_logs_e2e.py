"""What lands in a real server's log (issue 15): one line per event whatever the
request holds, and no resident ID, phone or password in it."""
from __future__ import annotations

import re
import time

import httpx

from tests.e2e.conftest import run, start_server

ID = "110101199003074514"
PHONE = "13912345678"
PASSWORD = "Plain-Secret-Pass-2026"


def test_the_log_stays_one_line_per_event_and_holds_nothing_personal(server_env, tmp_path):
    for args in (["init"], ["create-admin", "admin"]):
        assert run(args, server_env).returncode == 0
    env = dict(server_env, CRM_ACCESS_LOG="1")
    log = tmp_path / "server.log"
    server = start_server(env, log)
    try:
        base = server.url + "/api/v1"
        for username in (f"x\nFAKE 2026-12-03 12:00:00,000 INFO crm.auth: {ID}", f"{PHONE}\r\n", "\x1b[2Jadmin"):
            httpx.post(f"{base}/auth/login", json={"username": username, "password": PASSWORD})
        httpx.get(f"{base}/customers%0AFAKE?q={ID}&{PHONE}=1")
        httpx.get(f"{base}/customers?q%0d%0aFAKE%20line={ID}", headers={"Authorization": "Bearer x\ty"})
        time.sleep(0.5)
    finally:
        server.proc.terminate()
        server.proc.wait(20)
    text = log.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "the server wrote no log at all"
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ")
    assert all(stamp.match(line) for line in lines), [line for line in lines if not stamp.match(line)]
    assert not any("FAKE" in line and stamp.match(line.split("FAKE", 1)[1].lstrip()) for line in lines)
    for secret in (ID, PHONE, PASSWORD):
        assert secret not in text
    assert "\x1b" not in text
