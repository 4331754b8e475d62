"""The user changes their own password: after an admin's reset (forced, at login) or
from the Session menu. Once the user has a second factor, the server also wants its
code (or a recovery code): the field is shown when the client knows (`ask_code`), else
as soon as the server's answer asks for it. Signals: submitted(old, new, code) (`code`
"" when none is asked)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from client.i18n import tr
from client.views.second_factor import CodeInput, show_reauthentication_refusal
from client.views.widgets import FieldErrors, NewPassword, error_label, ok_cancel

if TYPE_CHECKING:
    from client.api.client import ApiError


class ChangePasswordDialog(QDialog):
    submitted = Signal(str, str, str)

    def __init__(self, username: str, old_password: str | None = None, parent: QWidget | None = None,
                 ask_code: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Change password"))
        self.setMinimumWidth(420)
        form = QFormLayout()
        self.errors = FieldErrors(form)
        self.old = QLineEdit(old_password or "")
        self.old.setEchoMode(QLineEdit.EchoMode.Password)
        if old_password is None:
            self.errors.add_row("old_password", tr("Current password"), self.old)
        self.new = NewPassword(self.errors, username=username)
        self.code = CodeInput("any")
        self.errors.add_row("code", tr("Authenticator code"), self.code)
        self.code_row = form.rowCount() - 1
        self.asks_code = False
        self.ask_code(ask_code and old_password is None)  # a forced change needs the old password only
        intro = QLabel(tr("Your password was reset: choose your own before you carry on.") if old_password
                       else tr("At least 12 characters; a phrase of several words is easy to remember."))
        intro.setWordWrap(True)
        self.message = error_label()
        self.buttons = ok_cancel(self, tr("Change password"), self.submit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def ask_code(self, on: bool) -> None:
        """The second factor's row: the code of the authenticator app, or a recovery code."""
        self.asks_code = on
        self.errors.form.setRowVisible(self.code_row, on)

    def submit(self) -> None:
        ok = self.new.require()
        if not self.old.text():
            self.errors.show("old_password", "field.required")
            ok = False
        if self.asks_code and not self.code.is_complete():
            self.errors.show_text("code", tr("The 6-digit code of your app, or a recovery code"))
            ok = False
        elif self.asks_code:
            self.errors.show("code", None)
        if ok:
            self.buttons.setEnabled(False)
            self.message.clear()
            self.submitted.emit(self.old.text(), self.new.text(), self.code.code() if self.asks_code else "")

    def failed(self, err: ApiError) -> None:
        self.buttons.setEnabled(True)
        show_reauthentication_refusal(self, err, "old_password")
