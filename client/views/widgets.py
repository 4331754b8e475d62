"""Building blocks the screens share: form rows with a field-level error under each
input (the one way a dialog shows what is wrong with which field, whether the shared
validators or the server found it), a new-password pair, record tables, and the
Ok/Cancel buttons and message line of a dialog."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QAbstractItemModel, QObject, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from client.export import ExportSource
from client.i18n import error_message, tr
from client.models.rows import RowsModel, more_after
from client.problems import Kind, problem_of, waiting
from shared.passwords import password_errors
from shared.schemas import Page

if TYPE_CHECKING:
    from client.api.client import ApiClient, ApiError
    from client.app import Controller

R = TypeVar("R")

ERROR_STYLE = "color: #b00020"


class FieldErrors:
    def __init__(self, form: QFormLayout) -> None:
        self.form = form
        self.labels: dict[str, QLabel] = {}
        self.countdown: Countdown | None = None

    def add_row(self, field: str, caption: str, widget: QWidget) -> QWidget:
        err = QLabel()
        err.setStyleSheet(ERROR_STYLE)
        err.setWordWrap(True)
        err.setVisible(False)
        box = QVBoxLayout()
        box.setSpacing(1)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(widget)
        box.addWidget(err)
        self.form.addRow(caption, box)
        self.labels[field] = err
        return widget

    def show(self, field: str, code: str | None) -> bool:
        """Show `code`'s message under `field`; False when the form has no such field."""
        return self.show_text(field, error_message(code) if code else "")

    def show_text(self, field: str, text: str) -> bool:
        lbl = self.labels.get(field)
        if lbl is None:
            return False
        lbl.setText(text)
        lbl.setVisible(bool(text))
        return True

    def show_all(self, errors: dict[str, str]) -> list[str]:
        """Show the server's field errors; returns the codes no field of this form could show."""
        self.clear()
        return [code for f, code in errors.items() if not self.show(f, code)]

    def clear(self) -> None:
        for f in self.labels:
            self.show(f, None)

    def show_problem(self, err: ApiError, message: QLabel, code_fields: dict[str, str] | None = None) -> None:
        """The server's answer in a dialog: field errors under their fields; a problem code
        that names a field (a taken username: `code_fields`) under that field; whatever no
        field can show on the `message` line."""
        self.clear()
        message.clear()
        field = (code_fields or {}).get(err.code)
        if field and self.show(field, err.code):
            return
        p = problem_of(err, shown=self.labels.keys())
        for f, text in p.fields.items():
            self.show_text(f, text)
        if p.kind is Kind.WAIT:
            assert p.retry_after is not None
            self.countdown = Countdown(message, p.code, p.retry_after, lambda: None, message)
        elif p.unmapped or not p.fields:
            message.setText(" ".join(p.unmapped) if p.fields else p.message)


class NewPassword:
    """A new password typed twice, checked live against the shared password policy."""

    def __init__(self, errors: FieldErrors, field: str = "new_password", username: str = "") -> None:
        self.errors, self.field, self.username = errors, field, username
        self.first = QLineEdit()
        self.second = QLineEdit()
        for w in (self.first, self.second):
            w.setEchoMode(QLineEdit.EchoMode.Password)
            w.textEdited.connect(lambda _t: self.check())
        errors.add_row(field, tr("New password"), self.first)
        errors.add_row(field + "_confirm", tr("Repeat it"), self.second)

    def text(self) -> str:
        return self.first.text()

    def check(self) -> bool:
        errs = password_errors(self.first.text(), self.username, field=self.field) if self.first.text() else []
        self.errors.show(self.field, errs[0].code if errs else None)
        mismatch = bool(self.second.text()) and self.second.text() != self.first.text()
        self.errors.show(self.field + "_confirm", "password.mismatch" if mismatch else None)
        return bool(self.first.text()) and not errs and self.second.text() == self.first.text()

    def require(self) -> bool:
        """On submit: empty fields are errors too."""
        ok = self.check()
        if not self.first.text():
            self.errors.show(self.field, "field.required")
        elif self.second.text() != self.first.text():
            self.errors.show(self.field + "_confirm", "password.mismatch")
        return ok


class Countdown(QObject):
    """A wait the server asked for (429, or 503 with Retry-After), counted down second
    by second on `label`; `done()` when it is over (the same request may go again)."""

    def __init__(self, label: QLabel, code: str, seconds: int, done: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label, self.code, self.left, self.done = label, code, seconds, done
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.label.setText(waiting(code, seconds))
        self.timer.start()

    def _tick(self) -> None:
        self.left -= 1
        if self.left > 0:
            self.label.setText(waiting(self.code, self.left))
            return
        self.timer.stop()
        self.label.setText(tr("You may try again now"))
        self.done()

    @property
    def running(self) -> bool:
        return self.timer.isActive()


def record_table(model: QAbstractItemModel) -> QTableView:
    """A read-only table of records: whole rows selected, one at a time, keyboard friendly."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def error_label() -> QLabel:
    """Where a dialog says what went wrong that belongs to no single field."""
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    return label


def ok_cancel(dialog: QDialog, ok_text: str, on_ok: Callable[[], None],
              ok: QDialogButtonBox.StandardButton = QDialogButtonBox.StandardButton.Ok) -> QDialogButtonBox:
    """The dialog's buttons: `ok` labelled `ok_text` runs `on_ok` (which decides whether
    to close); Cancel rejects the dialog."""
    buttons = QDialogButtonBox(ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(dialog.reject)
    return buttons


class Pager(Generic[R]):
    """One list's pages into a `RowsModel` as the user scrolls: `refresh(ask)` shows the
    first page of `ask(api, page, page_size)` and hands the model how to ask for the
    next (Qt's canFetchMore/fetchMore); `shown(page)` follows each page, for the view's
    status line, and `failed(error)` each failure. Answers for an earlier `refresh` are
    dropped. The API call runs off the UI thread (`Controller.call`)."""

    def __init__(self, controller: Controller, model: RowsModel[R], owner: QObject,
                 shown: Callable[[Page[R]], None], failed: Callable[[ApiError], None], page_size: int = 50) -> None:
        self.controller, self.model, self.owner = controller, model, owner
        self.shown, self.failed, self.page_size = shown, failed, page_size
        self._generation = 0
        self._page = 0
        self._ask: Callable[[ApiClient, int, int], Page[R]] | None = None
        self._filters: dict[str, str] = {}
        model.set_fetcher(self._next)

    @property
    def generation(self) -> int:
        """Which `refresh` the rows on screen (or on their way) answer."""
        return self._generation

    def refresh(self, ask: Callable[[ApiClient, int, int], Page[R]], filters: dict[str, str] | None = None) -> int:
        """Ask for the first page; returns the refresh's generation. `filters`: what the
        list is filtered and sorted by, as query parameters (an export records them)."""
        self._generation += 1
        self._ask = ask
        self._filters = dict(filters or {})
        self._request(self._generation, 1)
        return self._generation

    def export_source(self, listed: str, title: str) -> ExportSource[R]:
        """The list as shown (its columns' headers in the user's language, their texts)
        with the last `refresh`'s way to ask for pages, for client/views/exporting.py."""
        assert self._ask is not None, "refresh first"
        return ExportSource(listed, title, self._ask, self._filters,
                            [(c.header(), c.text) for c in self.model.columns])

    def _next(self) -> None:
        self._request(self._generation, self._page + 1)

    def _request(self, generation: int, page: int) -> None:
        ask, size = self._ask, self.page_size
        assert ask is not None
        self.controller.call(lambda api: ask(api, page, size), lambda p: self._got(generation, p),
                             lambda e: self._lost(generation, page, e), owner=self.owner)

    def _got(self, generation: int, page: Page[R]) -> None:
        if generation != self._generation:
            return
        more = more_after(page)
        if page.page == 1:
            self.model.set_rows(page.items, more=more)
        else:
            self.model.append_rows(page.items, more=more)
        self._page = page.page
        self.shown(page)

    def _lost(self, generation: int, page: int, err: ApiError) -> None:
        if generation != self._generation:
            return
        if page > 1:
            self.model.fetch_failed()  # the rows so far stay; scrolling asks again
        else:
            self.model.set_rows([])  # the rows of the list before would read as this one's
        self.failed(err)


class LazyPage(QWidget):
    """A tab's page built the first time it is shown: a workspace opens at once, and a
    page that costs (charts, its own requests) is paid for only by who looks at it."""

    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build: Callable[[], QWidget] | None = build
        self.page: QWidget | None = None
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def showEvent(self, event: QShowEvent) -> None:
        if self._build is not None:
            build, self._build = self._build, None
            self.page = build()
            layout = self.layout()
            assert layout is not None
            layout.addWidget(self.page)
        super().showEvent(event)


def confirm(parent: QWidget, icon: QMessageBox.Icon, title: str, text: str, action: str,
            role: QMessageBox.ButtonRole, on_yes: Callable[[], None]) -> tuple[QMessageBox, QPushButton]:
    """A window-modal question whose default and Escape button is Cancel: `on_yes` runs
    only when `action` was clicked (a deletion, a restore). Returns the box and its
    action button (to style it); the box is opened."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes = box.addButton(action, role)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.finished.connect(lambda _r: on_yes() if box.clickedButton() is yes else None)
    box.open()
    return box, yes
