"""What stands in for the user's desktop in GUI tests: the OS keyring (outside the
product) and the per-user settings location, both fresh for each test."""
from __future__ import annotations

from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from client import i18n


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


def isolate_desktop(tmp_path: Path, qapp: QApplication, lang: str = "en") -> MemoryKeyring:
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings("BranchCRM", "client").clear()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    i18n.install_font(qapp)
    i18n.set_language(qapp, lang)
    return ring
