"""GUI tests on real widgets against a real server (in a thread of this process, with
demo data). Only what is outside the product is replaced: the OS keyring and the
per-user settings location."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from client.api.client import ApiClient
from client.app import Controller
from server.demo import DEMO_PASSWORD
from server.embedded import EmbeddedServer, start_embedded
from tests import desktop
from tests.desktop import MemoryKeyring, isolate_desktop


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = start_embedded(tmp_path_factory.mktemp("client-server"), customers=80)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def isolated_desktop(tmp_path: Path, qapp) -> Iterator[MemoryKeyring]:  # type: ignore[no-untyped-def]
    yield isolate_desktop(tmp_path, qapp)


class WatchedTransport(httpx.BaseTransport):
    """The real HTTP transport, watched: every request is recorded, and requests that
    match a `hold` wait (on their worker thread) until the test releases them, so a test
    decides in which order answers arrive."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []
        self._holds: list[tuple[Callable[[httpx.Request], bool], threading.Event]] = []
        self._fails: list[Callable[[httpx.Request], bool]] = []
        self._lock = threading.Lock()

    def hold(self, matches: Callable[[httpx.Request], bool]) -> threading.Event:
        """Requests for which `matches` is true wait until the returned event is set."""
        release = threading.Event()
        with self._lock:
            self._holds.append((matches, release))
        return release

    def fail(self, matches: Callable[[httpx.Request], bool]) -> None:
        """Requests for which `matches` is true fail as if the server could not be reached."""
        with self._lock:
            self._fails.append(matches)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            holds = [release for matches, release in self._holds if matches(request)]
            failing = any(matches(request) for matches in self._fails)
        for release in holds:
            assert release.wait(20), "a held request was never released"
        if failing:
            raise httpx.ConnectError("refused (the test's transport)", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.url.path == path]

    def login_bodies(self) -> list[dict[str, str]]:
        return [json.loads(r.content) for r in self.sent("POST", "/api/v1/auth/login")]


def controller_for(url: str, username: str, transport: httpx.BaseTransport | None = None) -> Controller:
    api = ApiClient(url, transport=transport)
    api.login(username, DEMO_PASSWORD)
    return Controller(api, api.me(), api.orgs())


def api_as(url: str, username: str) -> ApiClient:
    api = ApiClient(url)
    api.login(username, DEMO_PASSWORD)
    return api


# a question left open by a failed test is answered at teardown (tests/desktop.py)
pytest_runtest_teardown = desktop.pytest_runtest_teardown
