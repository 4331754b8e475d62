"""A personal customer's profile: create and edit, live validation with the shared
validators, field errors from the server next to their fields, a conflict dialog on
409, a guard against losing edits, and the change history."""
from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from client.i18n import enum_labels, error_message, field_labels, tr
from client.views.history import HistoryTable, display_value, value_text
from shared.permissions import Action, Resource, actions_for_fields
from shared.schemas import ApprovalPending, UserRead
from shared.validators import (
    id_birth_date,
    id_gender,
    id_number_errors,
    length_errors,
    normalise_id_number,
    phone_errors,
)

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller
    from shared.schemas import CustomerRead

TEXTS = ("name", "id_number", "phone", "address", "occupation", "employer")
#: A field that cannot be typed in does not look like one that can (as disabled lists do).
READ_ONLY_STYLE = 'QLineEdit[readOnly="true"], QDateEdit[readOnly="true"] { background: palette(window); }'
ORDER = ("name", "gender", "birth_date", "id_number", "phone", "address", "occupation", "employer",
         "marital_status", "education", "income_band", "lifecycle_stage", "org_id", "manager_id")


class ConflictDialog(QDialog):
    """Someone else saved first: show what differs and let the user choose."""

    RELOAD, KEEP_MINE = 1, 2

    def __init__(self, mine: dict[str, Any], current: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Changed by someone else"))
        names = field_labels()
        diffs = [f for f in ORDER if f in mine and value_text(mine.get(f)) != value_text(current.get(f))]
        self.table = QTableWidget(len(diffs), 3)
        self.table.setHorizontalHeaderLabels([tr("Field"), tr("Your value"), tr("Value saved on the server")])
        for row, f in enumerate(diffs):
            values = (names.get(f, f), display_value(f, mine.get(f)), display_value(f, current.get(f)))
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        text = QLabel(tr("This customer was changed and saved by someone else while you were editing. "
                         "Nothing has been overwritten."))
        text.setWordWrap(True)
        buttons = QDialogButtonBox()
        reload = buttons.addButton(tr("Discard mine and load theirs"), QDialogButtonBox.ButtonRole.RejectRole)
        keep = buttons.addButton(tr("Keep editing mine"), QDialogButtonBox.ButtonRole.AcceptRole)
        reload.clicked.connect(lambda: self.done(self.RELOAD))
        keep.clicked.connect(lambda: self.done(self.KEEP_MINE))
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 300)
        self.differing_fields = diffs


class CustomerProfileForm(QWidget):
    """Signals: saved(int) with the customer's id; title_changed(str)."""

    saved = Signal(int)
    title_changed = Signal(str)

    def __init__(self, controller: Controller, customer_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.customer_id = customer_id
        self.version: int | None = None
        self.loaded: dict[str, Any] = {}
        self.masked: list[str] = []
        self._idempotency_key: str | None = None
        self._idempotent_request: tuple[Any, ...] | None = None  # what that key was made for
        self.inputs: dict[str, QWidget] = {}
        self._manager_names: dict[int, str] = {}
        self.errors: dict[str, QLabel] = {}
        names = field_labels()
        labels = enum_labels()
        form = QFormLayout()
        for f in ORDER:
            if f in TEXTS:
                edit = QLineEdit()
                edit.textEdited.connect(lambda _t, f=f: self._field_changed(f))
                w: QWidget = edit
            elif f == "birth_date":
                w = QDateEdit()
                w.setDisplayFormat("yyyy-MM-dd")
                w.setCalendarPopup(True)
                w.setMinimumDate(QDate(1900, 1, 1))
                w.setDate(QDate(1980, 1, 1))
                w.dateChanged.connect(lambda _d, f=f: self._field_changed(f))
            else:
                w = QComboBox()
                if f == "org_id":
                    for org_id, org_name in controller.org_choices():
                        w.addItem(org_name, org_id)
                elif f == "manager_id":
                    w.addItem(tr("(none)"), None)  # the account managers follow (`_managers_listed`)
                else:
                    if f != "gender":
                        w.addItem("", None)
                    for value, text in labels[f].items():
                        w.addItem(text, value)
                w.currentIndexChanged.connect(lambda _i, f=f: self._field_changed(f))
            # the error beside its input, its room kept while hidden: an error appearing
            # moves nothing on the form (under the input it pushed every row below down)
            err = QLabel()
            err.setStyleSheet("color: #b00020")
            err.setWordWrap(True)
            policy = err.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            err.setSizePolicy(policy)
            err.setVisible(False)
            box = QHBoxLayout()
            box.addWidget(w, 3)
            box.addWidget(err, 2)
            self.inputs[f], self.errors[f] = w, err
            form.addRow(names[f] + (" *" if f in ("name", "gender", "birth_date", "id_number", "org_id") else ""),
                        box)
        # the account manager: shown to who may list the staff (who may choose: `_may_change`)
        if controller.may(Action.USER_READ):
            controller.account_managers(self._managers_listed, lambda _e: None, owner=self)
        else:
            form.setRowVisible(form.rowCount() - 1, False)  # manager_id, the last row
        self.status = QLabel()
        self.save_button = QPushButton(tr("Save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self).activated.connect(self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        profile = QWidget()
        pl = QVBoxLayout(profile)
        pl.addLayout(form)
        pl.addStretch(1)
        pl.addLayout(buttons)
        self.history = HistoryTable(controller)
        self.tabs = QTabWidget()
        self.tabs.addTab(profile, tr("Profile"))
        if customer_id is not None and controller.may("customer.history"):
            self.tabs.addTab(self.history, tr("History"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.setStyleSheet(READ_ONLY_STYLE)
        #: the first field that may be typed in takes the focus once the form has its values
        self._focus_pending = True
        if customer_id is None:
            self.loaded = self.values()
            self.title_changed.emit(tr("New customer"))
            QTimer.singleShot(0, self._focus_first_field)
        else:
            self.reload()

    def _managers_listed(self, users: list[UserRead]) -> None:
        """The account managers to choose from, named with their org; the choice on screen
        stays what it was (loaded or picked)."""
        org_names = self.controller.org_names
        self._manager_names = {u.id: f"{u.display_name} ({org_names.get(u.org_id, '')})" for u in users}
        w = self.inputs["manager_id"]
        assert isinstance(w, QComboBox)
        current = w.currentData()
        w.blockSignals(True)
        w.clear()
        w.addItem(tr("(none)"), None)
        for user_id, label in sorted(self._manager_names.items(), key=lambda item: item[1]):
            w.addItem(label, user_id)
        if current is not None and w.findData(current) < 0:
            w.addItem(f"#{current}", current)  # not one the user may see: kept as it is
        w.setCurrentIndex(max(w.findData(current), 0))
        w.blockSignals(False)

    def _focus_first_field(self) -> None:
        """Keyboard first: an opened profile is typed into at once (Tab moves on)."""
        if not self._focus_pending or not self.isVisible():
            return
        self._focus_pending = False
        for w in self.inputs.values():
            if w.isEnabled() and not (isinstance(w, (QLineEdit, QDateEdit)) and w.isReadOnly()):
                w.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # ------------------------------------------------------------------ values
    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f, w in self.inputs.items():
            if isinstance(w, QLineEdit):
                out[f] = w.text().strip() or None
            elif isinstance(w, QDateEdit):
                out[f] = w.date().toPython()
            elif isinstance(w, QComboBox):
                out[f] = w.currentData()
        return out

    def set_values(self, record: dict[str, Any]) -> None:
        for f, w in self.inputs.items():
            v = record.get(f)
            w.blockSignals(True)
            may_change = self._may_change(f)
            if isinstance(w, QLineEdit) and f in self.masked and may_change:
                # the masked value is the placeholder: what the user types replaces it,
                # an empty box leaves it as it is
                w.setText("")
                w.setPlaceholderText(value_text(v))
                w.setToolTip(tr("Masked: type a new value to replace it"))
                w.setReadOnly(False)
            elif isinstance(w, QLineEdit):
                w.setText(value_text(v))
                w.setPlaceholderText("")
                w.setToolTip("")
                w.setReadOnly(f in self.masked)
            elif isinstance(w, QDateEdit) and f in self.masked:
                # masked with the resident ID (its digits 7-14): only the age is shown
                w.setSpecialValueText(tr("Age %1 (masked)").replace("%1", value_text(record.get("age"))))
                w.setDate(w.minimumDate())
                w.setReadOnly(True)
            elif isinstance(w, QDateEdit):
                w.setSpecialValueText("")
                w.setReadOnly(False)
                if v is not None:
                    w.setDate(QDate(v.year, v.month, v.day))
            elif isinstance(w, QComboBox):
                if f == "manager_id" and v is not None and w.findData(v) < 0:
                    w.addItem(self._manager_names.get(v, f"#{v}"), v)  # named once the list is in
                w.setCurrentIndex(max(w.findData(v), 0))
            if isinstance(w, QComboBox):
                w.setEnabled(may_change)
            if not may_change:  # rights shown before typing (the server checks them all the same)
                if isinstance(w, (QLineEdit, QDateEdit)):
                    w.setReadOnly(True)
                w.setToolTip(tr("Your role may not change this field"))
            if isinstance(w, (QLineEdit, QDateEdit)):  # Tab skips what cannot be typed in
                w.setFocusPolicy(Qt.FocusPolicy.ClickFocus if w.isReadOnly() else Qt.FocusPolicy.StrongFocus)
                w.style().unpolish(w)  # READ_ONLY_STYLE follows the property
                w.style().polish(w)
            w.blockSignals(False)
        self.clear_errors()

    def changes(self) -> dict[str, Any]:
        now = self.values()
        return {f: v for f, v in now.items()
                if value_text(v) != value_text(self.loaded.get(f)) and (f not in self.masked or self._replacing(f))}

    def _may_change(self, field: str) -> bool:
        """Whether the user's role may change `field` of this customer (every tier the
        field is in: contact details < the full profile < allocation; /auth/me's
        permissions). A masked value the role may change is replaced by typing a new one
        (a teller changes a walk-in's mobile number without seeing the old one). Any new
        customer's fields are the creator's to fill."""
        if self.customer_id is None:
            return True
        return all(self.controller.may(a) for a, _f in actions_for_fields(Resource.CUSTOMER, {field}))

    def _replacing(self, field: str) -> bool:
        w = self.inputs[field]
        return isinstance(w, QLineEdit) and not w.isReadOnly() and bool(w.text().strip())

    def is_dirty(self) -> bool:
        return bool(self.changes())

    # ------------------------------------------------------------------ live validation
    def _field_changed(self, field: str) -> None:
        v = self.values()
        errs = []
        if field == "id_number" and v["id_number"]:
            errs = id_number_errors(v["id_number"])
            if not errs:  # a valid ID already says gender and birth date
                idn = normalise_id_number(v["id_number"])
                self._set_combo("gender", str(id_gender(idn)))
                born = id_birth_date(idn)
                if born:
                    self.inputs["birth_date"].setDate(QDate(born.year, born.month, born.day))  # type: ignore[attr-defined]
        elif field == "phone" and v["phone"]:
            errs = phone_errors(v["phone"])
        elif field == "name":
            errs = length_errors("name", v["name"] or "", min_len=1, max_len=100)
        self.show_error(field, errs[0].code if errs else None)
        self.status.setText(tr("Unsaved changes") if self.is_dirty() else "")

    def _set_combo(self, field: str, value: str) -> None:
        w = self.inputs[field]
        assert isinstance(w, QComboBox)
        w.setCurrentIndex(max(w.findData(value), 0))

    def show_error(self, field: str, code: str | None, text: str | None = None) -> None:
        lbl = self.errors.get(field)
        if lbl is None:
            return
        lbl.setText((text or error_message(code)) if code else "")
        lbl.setVisible(bool(code))

    def clear_errors(self) -> None:
        for f in self.errors:
            self.show_error(f, None)

    # ------------------------------------------------------------------ server
    def reload(self) -> None:
        assert self.customer_id is not None
        self.status.setText(tr("Loading..."))
        self.controller.load_customer(self.customer_id, self._loaded, self._failed, owner=self)
        self._load_history()

    def _load_history(self) -> None:
        if self.customer_id is not None and self.controller.may("customer.history"):
            self.controller.load_history(self.customer_id, self.history.show_entries, lambda _e: None, owner=self)

    def _loaded(self, c: CustomerRead) -> None:
        self.customer_id, self.version, self.masked = c.id, c.version, list(c.masked_fields)
        record = c.model_dump()
        self.set_values(record)
        self.loaded = self.values()
        self._focus_first_field()
        self.status.setText("")
        self.title_changed.emit(f"{c.name} ({c.customer_no})")

    def save(self) -> None:
        changes = self.changes() if self.customer_id is not None else \
            {k: v for k, v in self.values().items() if v is not None}
        if self.customer_id is not None and not changes:
            self.status.setText(tr("Nothing to save"))
            return
        payload = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()}
        # One key per request body: a retry of the same save after a lost connection
        # cannot save twice, and a changed body is a new request (the server refuses a
        # different body under a key it has seen: idempotency.key_reused).
        request = (self.customer_id, self.version, payload)
        if self._idempotency_key is None or request != self._idempotent_request:
            self._idempotency_key, self._idempotent_request = uuid.uuid4().hex, request
        self.save_button.setEnabled(False)
        self.status.setText(tr("Saving..."))
        if self.customer_id is None:
            self.controller.create_customer(payload, self._idempotency_key, self._saved, self._save_failed,
                                            owner=self)
        else:
            assert self.version is not None
            self.controller.update_customer(self.customer_id, self.version, payload, self._idempotency_key,
                                            self._saved, self._save_failed, owner=self)

    def _saved(self, c: CustomerRead | ApprovalPending) -> None:
        self._idempotency_key = None
        self.save_button.setEnabled(True)
        if isinstance(c, ApprovalPending):  # a reassignment beyond the threshold waits for a checker
            assert self.customer_id is not None
            self.controller.load_customer(self.customer_id, self._loaded, lambda _e: None, owner=self)
            self.status.setText(tr("Sent for approval (request %1): a checker must approve the move.")
                                .replace("%1", str(c.approval_id)))
            return
        new = self.customer_id is None
        self._loaded(c)
        self.status.setText(tr("Saved"))
        if new and self.controller.may("customer.history"):
            self.tabs.addTab(self.history, tr("History"))
        self._load_history()
        self.saved.emit(c.id)

    def _save_failed(self, err: ApiError) -> None:
        self.save_button.setEnabled(True)
        if err.status == 422:
            self._idempotency_key = None  # the request itself must change
            self.clear_errors()
            names = field_labels()
            unmarked = []
            for field, code in err.field_errors.items():
                if field in self.errors:
                    self.show_error(field, code)
                else:
                    unmarked.append(f"{names.get(field, field)}: {error_message(code)}")
            if len(unmarked) < len(err.field_errors):
                self.status.setText(" ".join([error_message("validation.failed"), *unmarked]))
            else:  # nothing to mark: say what is wrong (a reused Idempotency-Key, say)
                self.status.setText(" ".join(unmarked) or error_message(err.code, err.detail))
        elif err.status == 403:
            self._idempotency_key = None  # the same body is refused again: it must change
            self.clear_errors()
            names = field_labels()
            refused = [f for f in err.body.get("fields", []) if isinstance(f, str)]
            for field in refused:
                self.show_error(field, err.code, tr("Your role may not change this field"))
            listed = tr(", ").join(names.get(f, f) for f in refused)
            self.status.setText(tr("Your role may not change: %1").replace("%1", listed) if refused
                                else error_message(err.code, err.detail))
        elif err.status == 409 and "current" in err.body:
            self._idempotency_key = None
            self.resolve_conflict(err.body["current"])
        elif err.status == 409:
            self._idempotency_key = None
            self.status.setText(error_message(err.code, err.detail))
            self.show_error("id_number", err.code if err.code == "customer.id_number.duplicate" else None)
        else:  # network or server trouble: the form keeps everything, the same key retries
            self.status.setText(error_message(err.code, err.detail) + " " + tr("(your input is kept: save again)"))

    def resolve_conflict(self, current: dict[str, Any]) -> ConflictDialog:
        """Show what differs, modal to this window; the choice arrives through `finished`."""
        from shared.schemas import CustomerRead
        theirs = CustomerRead.model_validate(current)
        dialog = ConflictDialog(self.values(), theirs.model_dump(), self)
        dialog.finished.connect(lambda choice: self._conflict_resolved(theirs, choice))
        self.conflict_dialog = dialog
        dialog.open()
        return dialog

    def _conflict_resolved(self, theirs: CustomerRead, choice: int) -> None:
        self._load_history()  # the other change is part of the story now
        if choice == ConflictDialog.RELOAD:
            self._loaded(theirs)
        else:  # keep mine: re-base on their version, so the next save overwrites knowingly
            mine = self.values()
            self._loaded(theirs)
            self.set_values(mine)
            self.status.setText(tr("Unsaved changes"))

    def _failed(self, err: ApiError) -> None:
        self.status.setText(error_message(err.code, err.detail))

    def confirm_close(self) -> bool:
        """Guard against losing unsaved edits."""
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(self, tr("Unsaved changes"),
                                      tr("This customer has unsaved changes. Discard them?"),
                                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard


__all__ = ["ConflictDialog", "CustomerProfileForm", "Qt"]
