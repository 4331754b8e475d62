"""What only a real `crm-server` process shows: its memory under a chunked flood and
what its log holds after staff search by resident ID and phone."""
from __future__ import annotations

import re
import select
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import ADMIN_PASSWORD, ServerProcess

ID_NUMBER = "110101199003074514"
PHONE = "13912345678"


@pytest.fixture
def server_env(server_env: dict[str, str]) -> dict[str, str]:
    """This module's server writes the access log (off by default): it must hold no values."""
    return {**server_env, "CRM_ACCESS_LOG": "1"}


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_chunked_flood_to_the_open_login_route_is_refused_early_with_flat_memory(live_server: ServerProcess):
    url = urlsplit(live_server.url)
    before = _rss_kib(live_server.proc.pid)
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))  # 1 MiB chunks, no Content-Length
    sent = 0
    answer = b""
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        deadline = time.monotonic() + 60
        while sent < 256 << 20 and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                answer = sock.recv(65536)
                break
            if writable:
                try:
                    sock.sendall(chunk)
                except OSError:  # the server answered and closed: what we want
                    break
                sent += 1 << 20
        try:  # the rest of the answer: its headers, then Content-Length bytes of body
            while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < int(
                    re.search(rb"content-length: (\d+)", answer, re.IGNORECASE).group(1)):  # type: ignore[union-attr]
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except (OSError, AttributeError):
            pass
    grown = _rss_kib(live_server.proc.pid) - before
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"request.too_large" in answer
    assert sent < 64 << 20, f"the server kept reading: {sent >> 20} MiB sent before the answer"
    assert grown < 40 * 1024, f"server grew by {grown // 1024} MiB"
    assert httpx.get(live_server.url + "/healthz", timeout=5).status_code == 200


def test_searching_by_resident_id_or_phone_leaves_neither_in_the_log(live_server: ServerProcess):
    api = httpx.Client(base_url=live_server.url + "/api/v1", timeout=10)
    admin = {"Authorization": "Bearer " + api.post("/auth/login", json={
        "username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]}
    ho = api.get("/orgs", headers=admin).json()["items"][0]["id"]
    branch = api.post("/orgs", headers=admin, json={"code": "L1", "name": "日志支行", "kind": "branch",
                                                    "parent_id": ho}).json()["id"]
    r = api.post("/users", headers=admin, json={"username": "logam", "password": "Log-Manager-Pass-26",
                                                "display_name": "日志经理", "role": "account_manager",
                                                "org_id": branch})
    assert r.status_code == 201, r.text
    am = {"Authorization": "Bearer " + api.post("/auth/login", json={
        "username": "logam", "password": "Log-Manager-Pass-26"}).json()["access_token"]}
    customer = {"name": "张三丰", "gender": "male", "birth_date": "1990-03-07", "id_number": ID_NUMBER,
                "phone": PHONE, "org_id": branch}
    created = api.post("/customers", headers=am, json=customer)
    assert created.status_code == 201, created.text
    assert api.post("/customers", headers=am, json=customer).status_code == 409  # the duplicate, too
    for q in (ID_NUMBER, PHONE, "+86 139 1234 5678", ID_NUMBER.lower()):
        r = api.get("/customers", headers=am, params={"q": q})
        assert r.status_code == 200 and r.json()["total"] == 1
    assert api.get(f"/customers/{created.json()['id']}", headers=am).status_code == 200
    api.post("/auth/login", json={"username": PHONE, "password": ID_NUMBER})  # a confused login, too
    time.sleep(0.5)
    log = live_server.log.read_text(encoding="utf-8", errors="replace")
    assert "GET /api/v1/customers?q" in log  # the access log is there, with the parameter's name only
    for secret in (ID_NUMBER, PHONE, "1234 5678", ADMIN_PASSWORD, "Log-Manager-Pass-26"):
        assert secret not in log, f"{secret} in the server log"
