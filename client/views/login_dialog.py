"""Login: server, username, password, remember username, remember me (OS keyring); then,
where the role needs a second factor, its step in the same dialog: the authenticator
app's code (or a recovery code), or at the first login the enrolment with the QR code
(client/views/second_factor.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from client.i18n import error_message, tr
from client.problems import Kind, problem_of
from client.views.second_factor import CodeEntry, CodeStep, EnrolmentStep
from client.views.widgets import Countdown, error_label, ok_cancel

if TYPE_CHECKING:
    from client.api.client import ApiError


class LoginDialog(QDialog):
    """Signals: submitted(server, username, password, remember_me); code_submitted(code)
    (the second step's, for the challenge the password step was answered with)."""

    submitted = Signal(str, str, str, bool)
    code_submitted = Signal(str)

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
        self.credentials = QWidget()
        page = QVBoxLayout(self.credentials)
        page.setContentsMargins(0, 0, 0, 0)
        page.addLayout(form)
        page.addWidget(self.keyring_note)
        page.addWidget(self.message)
        page.addWidget(self.buttons)
        self.code_step = CodeStep()
        self.enrolment = EnrolmentStep(
            tr("Set up two-step verification"),
            tr("Your role logs in with a second factor: besides your password, a code from an authenticator app on "
               "your phone. Set it up once, now."), tr("Back"))
        for step in (self.code_step, self.enrolment):
            step.submitted.connect(self.code_submitted)
            step.back.connect(lambda: self.back_to_password())
        #: one page shown at a time (hidden ones take no room: the dialog fits the one on screen)
        self.steps: tuple[QWidget, ...] = (self.credentials, self.code_step, self.enrolment)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        for w in self.steps:
            layout.addWidget(w)
        self._step: QWidget = self.credentials
        self._show_step(self.credentials)
        (self.password if username else self.username).setFocus()

    # ------------------------------------------------------------------ the steps
    def step(self) -> QWidget:
        """The page on screen: `credentials`, `code_step` or `enrolment`."""
        return self._step

    def _show_step(self, page: QWidget) -> None:
        """The dialog fits the page on screen (the enrolment's is larger), and the page's
        main button is the one Enter presses."""
        self._step = page
        for w in self.steps:
            w.setVisible(w is page)
        buttons = page.buttons if isinstance(page, CodeEntry) else self.buttons
        buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        margins = self.contentsMargins().left() + self.contentsMargins().right() + 24
        self.setMinimumWidth(max(420, page.minimumSizeHint().width() + margins, page.minimumWidth() + margins))
        layout = self.layout()
        assert layout is not None
        layout.activate()
        self.adjustSize()

    def ask_code(self) -> None:
        """The password was right; the code of the user's authenticator app follows."""
        self.set_busy(False)
        self.message.clear()
        self.code_step.start()
        self._show_step(self.code_step)
        self.code_step.code.setFocus()

    def ask_enrolment(self, otpauth_uri: str) -> None:
        """The password was right, and the user has no second factor yet: its QR code."""
        self.set_busy(False)
        self.message.clear()
        self.enrolment.show_uri(otpauth_uri)
        self._show_step(self.enrolment)
        self.enrolment.code.setFocus()

    def back_to_password(self, message: str = "") -> None:
        """The password step again (the challenge is given up: it needs the password anew)."""
        self.password.clear()
        self._show_step(self.credentials)
        self.show_error(message)
        self.password.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc on a second-factor step is Back (not the end of the whole login)."""
        page = self.step()
        if event.key() == Qt.Key.Key_Escape and isinstance(page, CodeEntry):
            if not page.busy:
                self.back_to_password()
            return
        super().keyPressEvent(event)

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
        many attempts) is counted down, and Log in waits for it. On a second-factor step:
        a wrong code keeps the step; a challenge expired or used up goes back to the
        password."""
        page = self.step()
        if isinstance(page, CodeEntry):
            if err.code == "auth.mfa_token_invalid":
                self.back_to_password(error_message(err.code, err.detail))
            else:
                page.show_problem(err)
            return
        p = problem_of(err)
        if p.kind is Kind.WAIT:
            assert p.retry_after is not None
            self.set_busy(False)
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            self.countdown = Countdown(self.message, p.code, p.retry_after, self._wait_over, self)
            return
        if p.kind is Kind.FAILED:  # no connection to trust (TLS), or the client's own failure: its words
            self.show_error(p.message)
            return
        # a login's 401 is a wrong password, not an ended session: the code says which
        self.show_error(error_message(p.code, err.detail))

    def _wait_over(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
