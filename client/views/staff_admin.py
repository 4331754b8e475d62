"""Staff accounts for head-office admins (R-1202): find, create, change role,
organisation and position, lock, unlock, reset the password, end every session.
Branch managers see their own staff read-only. The server decides; granting a
privileged role waits for a second admin's approval."""
from __future__ import annotations

import re
import secrets
import string
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.export import ExportSource
from client.i18n import enum_labels, label, tr
from client.models.rows import Column, RowsModel
from client.problems import Kind, problem_of
from client.views.widgets import FieldErrors, NewPassword, Pager, error_label, ok_cancel, record_table
from shared.enums import PRIVILEGED_ROLES
from shared.schemas import ApprovalPending, Page, UserRead
from shared.validators import USERNAME_LENGTH, USERNAME_PATTERN

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller

D = TypeVar("D", bound=QDialog)

USERNAME = re.compile(USERNAME_PATTERN)


def username_ok(text: str) -> bool:
    return USERNAME_LENGTH[0] <= len(text) <= USERNAME_LENGTH[1] and bool(USERNAME.match(text))


def user_status(u: UserRead) -> str:
    if u.disabled:
        return tr("Disabled")
    if u.locked:
        return tr("Locked")
    if u.must_change_password:
        return tr("Must change password")
    return tr("Active")


def _combo(values: dict[str, str], current: Any = None) -> QComboBox:
    box = QComboBox()
    for value, text in values.items():
        box.addItem(text, value)
    if current is not None:
        box.setCurrentIndex(max(box.findData(current), 0))
    return box


class UserDialog(QDialog):
    """Create a user, or change one's name, role, organisation and position.
    Signals: submitted(dict) with the values to send (only the changed ones when editing)."""

    submitted = Signal(dict)

    def __init__(self, orgs: list[tuple[int, str]], user: UserRead | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = user
        self.setWindowTitle(tr("New user") if user is None else tr("Edit user %1").replace("%1", user.username))
        self.setMinimumWidth(440)
        labels = enum_labels()
        form = QFormLayout()
        self.errors = FieldErrors(form)
        self.username = QLineEdit(user.username if user else "")
        self.username.setReadOnly(user is not None)
        self.username.textEdited.connect(lambda _t: self._check_username())
        self.errors.add_row("username", tr("Username"), self.username)
        self.display_name = QLineEdit(user.display_name if user else "")
        self.errors.add_row("display_name", tr("Full name"), self.display_name)
        self.role = _combo(labels["role"], user.role if user else "teller")
        self.role.currentIndexChanged.connect(lambda _i: self._role_note())
        self.errors.add_row("role", tr("Role"), self.role)
        self.org = QComboBox()
        for org_id, name in orgs:
            self.org.addItem(name, org_id)
        if user is not None:
            self.org.setCurrentIndex(max(self.org.findData(user.org_id), 0))
        self.errors.add_row("org_id", tr("Organisation"), self.org)
        self.position = _combo(labels["position"], user.position if user else "staff")
        self.errors.add_row("position", tr("Position"), self.position)
        self.password: NewPassword | None = None
        self.must_change = QCheckBox(tr("Must change it at the first login"))
        if user is None:
            self.password = NewPassword(self.errors, field="password")
            self.must_change.setChecked(True)
            form.addRow("", self.must_change)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.message = error_label()
        self.buttons = ok_cancel(self, tr("Save"), self.submit, QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._role_note()

    def _role_note(self) -> None:
        privileged = self.role.currentData() in PRIVILEGED_ROLES
        changed = self.user is None or self.role.currentData() != self.user.role
        self.note.setText(tr("Granting this role needs the approval of a second head-office admin.")
                          if privileged and changed else "")

    def _check_username(self) -> bool:
        ok = username_ok(self.username.text().strip())
        self.errors.show("username", None if ok or not self.username.text() else "user.username.format")
        return ok

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"display_name": self.display_name.text().strip(), "role": self.role.currentData(),
                               "org_id": self.org.currentData(), "position": self.position.currentData()}
        if self.user is None:
            assert self.password is not None
            out.update(username=self.username.text().strip(), password=self.password.text(),
                       must_change_password=self.must_change.isChecked())
        return out

    def changes(self) -> dict[str, Any]:
        v = self.values()
        if self.user is None:
            return v
        return {k: x for k, x in v.items() if x != getattr(self.user, k)}

    def submit(self) -> None:
        self.message.clear()
        ok = True
        if self.user is None:
            assert self.password is not None
            self.password.username = self.username.text().strip()
            if not self._check_username():
                self.errors.show("username", "user.username.format" if self.username.text() else "field.required")
                ok = False
            ok = self.password.require() and ok
        if not self.display_name.text().strip():
            self.errors.show("display_name", "field.required")
            ok = False
        else:
            self.errors.show("display_name", None)
        if not ok:
            return
        changes = self.changes()
        if not changes:
            self.reject()
            return
        self.set_busy(True)
        self.submitted.emit(changes)

    def set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)

    def failed(self, err: ApiError) -> None:
        self.set_busy(False)
        self.errors.show_problem(err, self.message, {"user.username.duplicate": "username"})


class PasswordResetDialog(QDialog):
    """An admin sets a new password; the user must change it at the next login.
    Signals: submitted(str)."""

    submitted = Signal(str)

    def __init__(self, user: UserRead, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = user
        self.setWindowTitle(tr("Reset the password of %1").replace("%1", user.username))
        form = QFormLayout()
        self.errors = FieldErrors(form)
        self.password = NewPassword(self.errors, username=user.username)
        generate = QPushButton(tr("Suggest a strong password"))
        generate.clicked.connect(self.suggest)
        self.suggestion = QLineEdit()
        self.suggestion.setReadOnly(True)
        self.suggestion.setVisible(False)
        form.addRow("", generate)
        form.addRow("", self.suggestion)
        note = QLabel(tr("%1 will have to choose a new password at the next login; "
                         "their open sessions end now.").replace("%1", user.display_name))
        note.setWordWrap(True)
        self.message = error_label()
        self.buttons = ok_cancel(self, tr("Reset password"), self.submit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def suggest(self) -> None:
        """Four groups of four from an alphabet without look-alikes (0/O, 1/l/I)."""
        alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
        pw = "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
        for w in (self.password.first, self.password.second):
            w.setText(pw)
        self.suggestion.setText(pw)
        self.suggestion.setVisible(True)
        self.password.check()

    def submit(self) -> None:
        if self.password.require():
            self.buttons.setEnabled(False)
            self.submitted.emit(self.password.text())

    def failed(self, err: ApiError) -> None:
        self.buttons.setEnabled(True)
        self.errors.show_problem(err, self.message)


class StaffView(QWidget):
    """The staff list with the admin's actions on the selected user."""

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.can_manage = controller.may("user.update")
        names = controller.org_names
        self.model: RowsModel[UserRead] = RowsModel([
            Column("username", lambda: tr("Username"), lambda u: u.username),
            Column("display_name", lambda: tr("Full name"), lambda u: u.display_name),
            Column("role", lambda: tr("Role"), lambda u: label("role", u.role)),
            Column("org", lambda: tr("Organisation"), lambda u: names.get(u.org_id, str(u.org_id))),
            Column("position", lambda: tr("Position"), lambda u: label("position", u.position)),
            Column("status", lambda: tr("Status"), user_status),
        ], self, key=lambda u: u.id)
        self.query = QLineEdit()
        self.query.setPlaceholderText(tr("Username or name"))
        self.query.setClearButtonEnabled(True)
        self.role_filter = QComboBox()
        self.role_filter.addItem(tr("All roles"), None)
        for value, text in enum_labels()["role"].items():
            self.role_filter.addItem(text, value)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.refresh)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        self.role_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table = record_table(self.model)
        self.table.activated.connect(lambda _i: self.edit_selected())  # Enter, or a double click
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.new_button = QPushButton(tr("New user"))
        self.edit_button = QPushButton(tr("Edit"))
        self.lock_button = QPushButton(tr("Lock"))
        self.unlock_button = QPushButton(tr("Unlock"))
        self.reset_button = QPushButton(tr("Reset password"))
        self.revoke_button = QPushButton(tr("End all sessions"))
        self.new_button.clicked.connect(self.create_user)
        self.edit_button.clicked.connect(self.edit_selected)
        self.lock_button.clicked.connect(lambda: self.set_locked(True))
        self.unlock_button.clicked.connect(lambda: self.set_locked(False))
        self.reset_button.clicked.connect(self.reset_password)
        self.revoke_button.clicked.connect(self.revoke_sessions)
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.role_filter)
        actions = QHBoxLayout()
        for b in (self.new_button, self.edit_button, self.lock_button, self.unlock_button, self.reset_button,
                  self.revoke_button):
            b.setVisible(self.can_manage)
            actions.addWidget(b)
        actions.addStretch(1)
        self.status = QLabel()  # what the last action did
        self.status.setWordWrap(True)
        self.count = QLabel()
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.dialog: QDialog | None = None
        self._keep: int | None = None  # the user to select once the list is back
        self.pager = Pager(controller, self.model, self, self._show, self._failed)
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self._update_buttons()
        self.refresh()

    # ------------------------------------------------------------------ list
    def refresh(self, select_id: int | None = None) -> None:
        q, role = self.query.text().strip(), self.role_filter.currentData()
        self._keep = select_id
        self.pager.refresh(lambda api, page, size: api.users_page(q, role=role, page=page, page_size=size),
                           {k: v for k, v in (("q", q), ("role", role or "")) if v})

    def export_source(self) -> ExportSource[UserRead]:
        return self.pager.export_source("users", tr("Staff"))

    def _remember_selection(self) -> None:
        """The rows are replaced: the user selected meanwhile stays selected if listed."""
        current = self.selected()
        if self._keep is None and current is not None:
            self._keep = current.id

    def _show(self, page: Page[UserRead]) -> None:
        if page.page == 1:
            self.table.resizeColumnsToContents()
        if self._keep is not None:
            for i, u in enumerate(self.model.rows()):
                if u.id == self._keep:
                    self.table.selectRow(i)
                    self._keep = None
        self.count.setText((tr("%1 user") if page.total == 1 else tr("%1 users")).replace("%1", f"{page.total:,}"))
        self._update_buttons()

    def _failed(self, err: ApiError) -> None:
        self.status.setText(problem_of(err).message)

    def selected(self) -> UserRead | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_user(self, username: str) -> bool:
        for i, u in enumerate(self.model.rows()):
            if u.username == username:
                self.table.selectRow(i)
                return True
        return False

    def _update_buttons(self) -> None:
        u = self.selected()
        me = self.controller.me.user.id
        self.edit_button.setEnabled(u is not None)
        self.lock_button.setEnabled(u is not None and not u.locked and u.id != me)
        self.unlock_button.setEnabled(u is not None and u.locked)
        self.reset_button.setEnabled(u is not None and u.id != me)
        self.revoke_button.setEnabled(u is not None and u.id != me)

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _replace(self, user: UserRead) -> None:
        for i, u in enumerate(self.model.rows()):
            if u.id == user.id:
                self.model.replace_row(i, user)
        self._update_buttons()

    # ------------------------------------------------------------------ actions
    def create_user(self) -> UserDialog:
        d = UserDialog(self.controller.org_choices(), None, self)
        d.submitted.connect(lambda values: self.controller.call(
            lambda api: api.create_user(values), lambda r: self._saved(d, r), d.failed, owner=d))
        return self._open(d)

    def edit_selected(self) -> UserDialog | None:
        u = self.selected()
        if u is None or not self.can_manage:
            return None
        d = UserDialog(self.controller.org_choices(), u, self)
        d.submitted.connect(lambda changes: self.controller.call(
            lambda api: api.update_user(u.id, u.version, changes), lambda r: self._saved(d, r),
            lambda e: self._edit_failed(d, e), owner=d))
        return self._open(d)

    def _open(self, d: D) -> D:
        self.dialog = d
        d.open()
        return d

    def _pending(self, result: ApprovalPending) -> None:
        self._say(tr("Sent for approval (request %1): a second head-office admin must approve it.")
                  .replace("%1", str(result.approval_id)))

    def _saved(self, d: UserDialog, result: UserRead | ApprovalPending) -> None:
        d.accept()
        if isinstance(result, ApprovalPending):
            self._pending(result)
            return
        self._say(tr("Saved %1").replace("%1", result.username))
        self.refresh(select_id=result.id)

    def _edit_failed(self, d: UserDialog, err: ApiError) -> None:
        p = problem_of(err)
        if p.kind is Kind.CONFLICT and p.current is not None:  # someone else saved first: start from theirs
            current = UserRead.model_validate(p.current)
            self._replace(current)
            d.accept()
            self._say(tr("%1 was changed by someone else meanwhile; nothing was saved. Check and try again.")
                      .replace("%1", current.username))
            return
        d.failed(err)

    def set_locked(self, locked: bool) -> None:
        u = self.selected()
        if u is None:
            return
        self.controller.call(lambda api: api.set_user_locked(u.id, locked), self._lock_done, self._failed,
                             owner=self)

    def _lock_done(self, user: UserRead | ApprovalPending) -> None:
        if isinstance(user, ApprovalPending):  # unlocking a privileged user waits for a second admin
            self._pending(user)
            return
        self._replace(user)
        self._say((tr("%1 is locked and logged out.") if user.locked else tr("%1 is unlocked."))
                  .replace("%1", user.username))

    def reset_password(self) -> PasswordResetDialog | None:
        u = self.selected()
        if u is None:
            return None
        d = PasswordResetDialog(u, self)

        def done(user: UserRead | ApprovalPending) -> None:
            d.accept()
            if isinstance(user, ApprovalPending):  # a privileged user's password: four eyes
                self._pending(user)
                return
            self._replace(user)
            self._say(tr("The password of %1 was reset; they must change it at the next login.")
                      .replace("%1", user.username))
        d.submitted.connect(lambda pw: self.controller.call(lambda api: api.reset_password(u.id, pw), done,
                                                            d.failed, owner=d))
        return self._open(d)

    def revoke_sessions(self) -> None:
        u = self.selected()
        if u is None:
            return
        self.controller.call(lambda api: api.revoke_sessions(u.id),
                             lambda _r: self._say(tr("Every session of %1 has ended.").replace("%1", u.username)),
                             self._failed, owner=self)
