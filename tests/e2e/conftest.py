"""A real `crm-server` process on a free port with a fresh database."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import desktop

ADMIN_PASSWORD = "E2e-Admin-Pass-2026"


def crm_server() -> list[str]:
    exe = Path(sys.executable).with_name("crm-server")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(crm_server() + args, env=env, capture_output=True, text=True, timeout=120, **kw)


@dataclass
class ServerProcess:
    url: str
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=f"sqlite:///{tmp_path / 'crm.sqlite3'}", CRM_KEY_FILE=str(tmp_path / "keys.json"),
               CRM_MFA_ROLES="", CRM_ADMIN_PASSWORD=ADMIN_PASSWORD)
    return env


def start_server(env: dict[str, str], log: Path) -> ServerProcess:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([*crm_server(), "serve", "--port", str(port)], env=env, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"crm-server exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return ServerProcess(url, env, proc, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"crm-server did not answer within 30 s: {log.read_text()[-2000:]}")


@pytest.fixture
def live_server(server_env: dict[str, str], tmp_path: Path) -> Iterator[ServerProcess]:
    """init + create-admin + serve, as an operator would."""
    for args in (["init"], ["create-admin", "admin"]):
        r = run(args, server_env)
        assert r.returncode == 0, r.stderr
    server = start_server(server_env, tmp_path / "server.log")
    yield server
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="module")
def demo_server() -> Iterator[str]:
    """`crm-server demo` as a process: the demo bank (360 customers, 148 in the
    president's branch), its throwaway database removed when it stops."""
    port = free_port()
    proc = subprocess.Popen([*crm_server(), "demo", "--port", str(port), "--customers", "360"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the demo server did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


# the client's end-to-end tests: a question left open by a failure is answered at teardown
pytest_runtest_teardown = desktop.pytest_runtest_teardown
