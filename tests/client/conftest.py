"""GUI tests on real widgets against a real server (in a thread of this process, with
demo data). Only what is outside the product is replaced: the OS keyring and the
per-user settings location."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings

from client import i18n
from client.api.client import ApiClient
from client.app import Controller
from server.demo import DEMO_PASSWORD
from server.embedded import EmbeddedServer, start_embedded


class MemoryKeyring(KeyringBackend):
    """Stands in for the operating system's keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = start_embedded(tmp_path_factory.mktemp("client-server"), customers=80)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def isolated_desktop(tmp_path: Path, qapp) -> Iterator[MemoryKeyring]:  # type: ignore[no-untyped-def]
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings("BranchCRM", "client").clear()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    i18n.install_font(qapp)
    i18n.set_language(qapp, "en")
    yield ring


def controller_for(url: str, username: str) -> Controller:
    api = ApiClient(url)
    api.login(username, DEMO_PASSWORD)
    return Controller(api, api.me(), api.orgs())


def api_as(url: str, username: str) -> ApiClient:
    api = ApiClient(url)
    api.login(username, DEMO_PASSWORD)
    return api
