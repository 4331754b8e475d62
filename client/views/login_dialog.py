"""Login: server, username, password, remember username, remember me (OS keyring)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from client.i18n import error_message, tr
from client.problems import Kind, problem_of
from client.views.widgets import Countdown, error_label, ok_cancel

if TYPE_CHECKING:
    from client.api.client import ApiError


class LoginDialog(QDialog):
    """Signals: submitted(server, username, password, remember_me)."""

    submitted = Signal(str, str, str, bool)

    def __init__(self, server: str, username: str = "", keyring_available: bool = True, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle(tr("Branch CRM - Log in"))
        self.setMinimumWidth(420)
        self.server = QLineEdit(server)
        self.username = QLineEdit(username)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember_username = QCheckBox(tr("Remember username"))
        self.remember_username.setChecked(bool(username))
        self.remember_me = QCheckBox(tr("Keep me logged in on this computer"))
        self.keyring_note = QLabel(tr("No secure password store (keyring) on this computer: "
                                      "you will be asked to log in each time."))
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(not keyring_available)
        self.remember_me.setEnabled(keyring_available)
        self.message = error_label()
        self.message.setObjectName("error")
        title = QLabel(tr("Branch CRM"))
        title.setStyleSheet("font-size: 18pt; font-weight: bold; margin-bottom: 8px")
        form = QFormLayout()
        form.addRow(tr("Server"), self.server)
        form.addRow(tr("Username"), self.username)
        form.addRow(tr("Password"), self.password)
        form.addRow("", self.remember_username)
        form.addRow("", self.remember_me)
        self.buttons = ok_cancel(self, tr("Log in"), self._submit)
        self.countdown: Countdown | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()

    def _submit(self) -> None:
        if not self.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled():
            return  # Enter during a wait the server asked for
        if not self.username.text().strip() or not self.password.text():
            self.show_error(tr("Enter your username and password"))
            return
        self.set_busy(True)
        self.submitted.emit(self.server.text().strip(), self.username.text().strip(), self.password.text(),
                            self.remember_me.isChecked())

    def set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        if busy:
            self.message.setText(tr("Logging in..."))

    def show_problem(self, err: ApiError) -> None:
        """A refused login through the one error path: a wait the server asks for (too
        many attempts) is counted down, and Log in waits for it."""
        p = problem_of(err)
        if p.kind is Kind.WAIT:
            assert p.retry_after is not None
            self.set_busy(False)
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            self.countdown = Countdown(self.message, p.code, p.retry_after, self._wait_over, self)
            return
        # a login's 401 is a wrong password, not an ended session: the code says which
        self.show_error(error_message(p.code, err.detail))

    def _wait_over(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
