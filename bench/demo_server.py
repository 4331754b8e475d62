"""A `crm-server demo` process on a free port, for the benchmarks that measure through
a real server (a throwaway SQLite database with demo data)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_demo(customers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = Path(sys.executable).with_name("crm-server")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
    proc = subprocess.Popen([*cmd, "demo", "--port", str(port), "--customers", str(customers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the demo server did not answer")
