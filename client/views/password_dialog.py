"""The user changes their own password: after an admin's reset (forced, at login) or
from the Session menu. Signals: submitted(old, new)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from client.i18n import tr
from client.views.widgets import FieldErrors, NewPassword, error_label, ok_cancel

if TYPE_CHECKING:
    from client.api.client import ApiError


class ChangePasswordDialog(QDialog):
    submitted = Signal(str, str)

    def __init__(self, username: str, old_password: str | None = None, parent: QWidget | None = None) -> None:
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

    def submit(self) -> None:
        ok = self.new.require()
        if not self.old.text():
            self.errors.show("old_password", "field.required")
            ok = False
        if ok:
            self.buttons.setEnabled(False)
            self.message.clear()
            self.submitted.emit(self.old.text(), self.new.text())

    def failed(self, err: ApiError) -> None:
        self.buttons.setEnabled(True)
        self.errors.show_problem(err, self.message, {"auth.wrong_password": "old_password"})
