"""What stands in for the user's desktop in GUI tests: the OS keyring (outside the
product) and the per-user settings location, both fresh for each test."""
from __future__ import annotations

from pathlib import Path

import keyring
import pytest
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


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):  # type: ignore[no-untyped-def]
    """A failed test may leave a form with unsaved edits; pytest-qt closing it would wait
    forever on the unsaved-changes question. From the end of the test body on, such a
    question is answered with Cancel, so a failure is reported instead of hanging."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    if QApplication.instance() is None:  # a test without widgets (a CLI's, a server's)
        yield
        return

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


def print_to_file_dialog(out: Path) -> type:
    """Stands in for the platform's print dialog (QPrintDialog): the user picks "print to
    a PDF file" at `out` and presses Print."""
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QDialog

    class PrintDialog:
        def __init__(self, printer: QPrinter, _parent: object) -> None:
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(out))

        def setMinMax(self, _lo: int, _hi: int) -> None:
            pass

        def exec(self) -> QDialog.DialogCode:
            return QDialog.DialogCode.Accepted
    return PrintDialog
