"""The server with demo data in a background thread of this process, on a free
loopback port: for the GUI tests and the screenshot script (a real server, not a mock)."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.keys import create_key_file
from server.migrate import upgrade
from server.settings import get_settings


@dataclass
class EmbeddedServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_embedded(directory: Path, customers: int = 80, mfa_roles: str = "") -> EmbeddedServer:
    """`mfa_roles`: the roles whose logins need a second factor (`CRM_MFA_ROLES`); none by
    default, so that the demo's users log in with the password alone."""
    from server.demo import demo_settings, seed_demo
    url = f"sqlite:///{directory / 'embedded.sqlite3'}"
    settings = get_settings(database_url=url, key_file=str(directory / "keys.json"), profile="development",
                            mfa_roles=mfa_roles, **demo_settings())
    engine = make_engine(url)
    upgrade(engine)
    create_key_file(settings.resolved_key_file)
    factory = make_sessionmaker(engine, settings.resolved_key_file)
    with factory() as db:
        seed_demo(db, customers=customers)
    return serve_in_thread(create_app(settings, factory))


def serve_in_thread(app: Any) -> EmbeddedServer:
    """`app` served by uvicorn in a daemon thread on a free loopback port, once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return EmbeddedServer(base, server, thread)
        except httpx.HTTPError:
            time.sleep(0.05)
    server.should_exit = True
    raise RuntimeError("embedded server did not start")
