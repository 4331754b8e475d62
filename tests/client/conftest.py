"""GUI tests on real widgets against a real server (in a thread of this process, with
demo data). Only what is outside the product is replaced: the OS keyring and the
per-user settings location."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

from client.api.client import ApiClient
from client.app import Controller
from server.demo import DEMO_PASSWORD
from server.embedded import EmbeddedServer, start_embedded
from tests.desktop import MemoryKeyring, isolate_desktop


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = start_embedded(tmp_path_factory.mktemp("client-server"), customers=80)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def isolated_desktop(tmp_path: Path, qapp) -> Iterator[MemoryKeyring]:  # type: ignore[no-untyped-def]
    yield isolate_desktop(tmp_path, qapp)


def controller_for(url: str, username: str) -> Controller:
    api = ApiClient(url)
    api.login(username, DEMO_PASSWORD)
    return Controller(api, api.me(), api.orgs())


def api_as(url: str, username: str) -> ApiClient:
    api = ApiClient(url)
    api.login(username, DEMO_PASSWORD)
    return api


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):  # type: ignore[no-untyped-def]
    """A failed test may leave a form with unsaved edits; pytest-qt closing it would wait
    forever on the unsaved-changes question. From the end of the test body on, such a
    question is answered with Cancel, so a failure is reported instead of hanging."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def dismiss() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.reject()
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(dismiss)
    timer.start()
    yield
    timer.stop()
