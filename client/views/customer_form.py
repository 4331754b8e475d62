"""The customer workspace: a header card that says who the customer is at a glance,
a toolbar, and tabs — the profile with its fields grouped in two columns (identity,
contact, work and income, allocation), the change history, and whatever later work
plugs in (finances, accounts, ratings: `WORKSPACE_TABS`) without touching the others.

The profile creates and edits personal and corporate customers: live validation with
the shared validators, rights shown before typing, every error answer through the one
error path (client/problems.py), a conflict dialog on 409, a guard against losing
edits."""
from __future__ import annotations

import uuid
from collections.abc import Callable
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
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from client.i18n import enum_labels, error_message, field_labels, label, tr
from client.problems import Kind, problem_of
from client.views.history import HistoryTable, display_value, value_text
from client.views.widgets import Countdown, LazyPage, confirm
from shared.enums import CustomerType
from shared.masking import mask_id_number, mask_phone
from shared.permissions import Action, Resource, actions_for_fields
from shared.schemas import (
    CORPORATE_ONLY_FIELDS,
    PERSONAL_ONLY_FIELDS,
    REQUIRED_ON_CREATE,
    ApprovalPending,
    CustomerPage,
    CustomerQuery,
    UserRead,
)
from shared.validators import (
    id_birth_date,
    id_gender,
    id_number_errors,
    length_errors,
    normalise_id_number,
    normalise_uscc,
    phone_errors,
    uscc_errors,
)

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller
    from shared.schemas import CustomerRead

TEXTS = ("name", "id_number", "uscc", "phone", "address", "occupation", "employer")
#: A field that cannot be typed in does not look like one that can (as disabled lists do).
READ_ONLY_STYLE = ('QLineEdit[readOnly="true"], QDateEdit[readOnly="true"] { background: palette(window); }'
                   ' QLabel[role="field-error"] { color: #b00020; }')
#: The profile's groups (key, title, fields), the first two in the left column.
GROUPS: tuple[tuple[str, Callable[[], str], tuple[str, ...]], ...] = (
    ("identity", lambda: tr("Identity"), ("type", "name", "gender", "birth_date", "id_number", "uscc")),
    ("contact", lambda: tr("Contact"), ("phone", "address")),
    ("work", lambda: tr("Work and income"), ("occupation", "employer", "marital_status", "education", "income_band")),
    ("allocation", lambda: tr("Allocation"), ("lifecycle_stage", "org_id", "manager_id")),
)
ORDER = tuple(f for _key, _title, fields in GROUPS for f in fields)
#: What marks a required field that is still empty (it goes once the field is filled).
REQUIRED_MARK = ' <span style="color:#b00020">*</span>'
HEADER_STYLE = """
#customerHeader { background: palette(base); border: 1px solid palette(mid); border-radius: 6px; }
#customerHeader QLabel[role="caption"] { color: palette(placeholder-text); }
#customerHeader QLabel[role="badge"] { background: #e8eef7; color: #1d4f91; border-radius: 8px; padding: 1px 8px; }
"""


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


class DeleteReasonDialog(QDialog):
    """The first of the two confirmations of a deletion: what happens, and a reason
    (required: the checker reads it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Delete customer"))
        text = QLabel(tr("The deletion goes to a checker first. Once approved, the customer is archived and no "
                         "longer found by searches; a branch manager can bring them back within the restore "
                         "period."))
        text.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(500)
        self.reason_edit.setPlaceholderText(tr("Why this customer should be deleted (required)"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.next_button = self.buttons.addButton(tr("Continue..."), QDialogButtonBox.ButtonRole.AcceptRole)
        self.next_button.setEnabled(False)
        self.reason_edit.textChanged.connect(lambda t: self.next_button.setEnabled(bool(t.strip())))
        self.buttons.accepted.connect(self._accept_if_reason)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        form = QFormLayout()
        form.addRow(tr("Reason"), self.reason_edit)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(480, 180)

    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def _accept_if_reason(self) -> None:
        if self.reason():
            self.accept()


class CustomerHeader(QFrame):
    """Who the customer is at a glance (Dynamics' form header, Salesforce's highlights
    panel): the name with its type and lifecycle stage, then the facts staff ask for
    first. Identifiers are masked here whoever reads them: the card is what a
    colleague or the customer sees over the shoulder. `set_fact` takes more (the grade,
    assets and warnings that later work adds) without a new layout."""

    COLUMNS = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerHeader")
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badges: dict[str, QLabel] = {}
        self._badge_row = QHBoxLayout()
        self._badge_row.setSpacing(6)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addLayout(self._badge_row)
        top.addStretch(1)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(4)
        self.facts: dict[str, QLabel] = {}
        self._captions: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(top)
        layout.addLayout(self._grid)
        self.setStyleSheet(HEADER_STYLE)
        # every fact has its place before the customer arrives: loading moves nothing
        for key, caption in (("customer_no", tr("Customer no.")), ("identifier", tr("Resident ID")),
                             ("age", tr("Age")), ("phone", tr("Mobile")), ("org", tr("Branch")),
                             ("manager", tr("Account manager"))):
            self.set_fact(key, caption, "")
        self.title.setText(" ")

    def set_badge(self, key: str, text: str) -> None:
        badge = self.badges.get(key)
        if badge is None:
            badge = self.badges[key] = QLabel()
            badge.setProperty("role", "badge")
            self._badge_row.addWidget(badge)
        badge.setText(text)
        badge.setVisible(bool(text))

    def set_fact(self, key: str, caption: str, value: str) -> None:
        """A fact in the next free cell (captions beside values, `COLUMNS` to a row)."""
        if key not in self.facts:
            n = len(self.facts)
            row, col = divmod(n, self.COLUMNS)
            cap, val = QLabel(), QLabel()
            cap.setProperty("role", "caption")
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._grid.addWidget(cap, row, col * 2)
            self._grid.addWidget(val, row, col * 2 + 1)
            self._grid.setColumnStretch(col * 2 + 1, 1)
            self._captions[key], self.facts[key] = cap, val
        self._captions[key].setText(caption)
        self.facts[key].setText(value or "—")

    def show_new(self) -> None:
        self.title.setText(tr("New customer"))
        for key in self.facts:
            self.facts[key].setText("—")

    def show_customer(self, c: CustomerRead, org_names: dict[int, str]) -> None:
        self.title.setText(c.name)
        self.set_badge("type", label("customer_type", c.type))
        self.set_badge("stage", label("lifecycle_stage", c.lifecycle_stage))
        corporate = c.type == CustomerType.CORPORATE
        self.set_fact("customer_no", tr("Customer no."), c.customer_no)
        if corporate:
            self.set_fact("identifier", tr("Credit code"), c.uscc or "")
            self.set_fact("age", tr("Age"), "")
        else:
            self.set_fact("identifier", tr("Resident ID"), mask_id_number(c.id_number) or "")
            self.set_fact("age", tr("Age"), "" if c.age is None else str(c.age))
        self.set_fact("phone", tr("Mobile"), mask_phone(c.phone) or "")
        self.set_fact("org", tr("Branch"), org_names.get(c.org_id, ""))
        self.set_fact("manager", tr("Account manager"), c.manager_name or "")


#: What makes one more tab of the workspace for an existing customer: (title, page), or
#: None where it is not for this user. Tabs follow the profile in this order. Later work
#: (finances, accounts, ratings) appends its factory here; no other tab changes.
TabFactory = Callable[["CustomerProfileForm"], "tuple[str, QWidget] | None"]


def _history_tab(form: CustomerProfileForm) -> tuple[str, QWidget] | None:
    return (tr("History"), form.history) if form.controller.may(Action.CUSTOMER_HISTORY) else None


def _finances_tab(form: CustomerProfileForm) -> tuple[str, QWidget] | None:
    """Household finances (issue 14): the account manager's and the branch managers'."""
    if form.customer_id is None or not form.controller.may(Action.CUSTOMER_FINANCE_READ):
        return None
    controller, customer_id = form.controller, form.customer_id

    def build() -> QWidget:
        from client.views.finances import FinancesTab  # Qt Charts and Qt PDF load with it
        return FinancesTab(controller, customer_id, own_shortcut=False)  # the workspace's Ctrl+S reaches it
    return tr("Finances"), LazyPage(build)


WORKSPACE_TABS: list[TabFactory] = [_finances_tab, _history_tab]


class CustomerProfileForm(QWidget):
    """Signals: saved(int) with the customer's id; title_changed(str);
    open_existing(int): the user asked to open the customer a duplicate identifier
    belongs to (one in their scope)."""

    saved = Signal(int)
    title_changed = Signal(str)
    open_existing = Signal(int)

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
        self.captions: dict[str, QLabel] = {}
        self._rows: dict[str, QFormLayout] = {}
        self._manager_names: dict[int, str] = {}
        self._existing_id: int | None = None
        self._countdown: Countdown | None = None
        self._tabs_added = False
        self.errors: dict[str, QLabel] = {}
        self.header = CustomerHeader()
        columns = QHBoxLayout()
        columns.setSpacing(12)
        left, right = QVBoxLayout(), QVBoxLayout()
        self.groups: dict[str, QGroupBox] = {}
        for i, (key, title, fields) in enumerate(GROUPS):
            box = self.groups[key] = QGroupBox(title())
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for f in fields:
                self._add_field(form, f)
            (left if i < 2 else right).addWidget(box)
        for column in (left, right):
            column.addStretch(1)
            columns.addLayout(column, 1)
        # the inputs of a column start at one edge: its captions as wide as its widest (and its mark)
        mark = self.fontMetrics().horizontalAdvance(" *") + 2
        for in_column in (GROUPS[:2], GROUPS[2:]):
            captions = [self.captions[f] for _k, _t, fields in in_column for f in fields]
            widest = max(c.sizeHint().width() for c in captions) + mark
            for c in captions:
                c.setMinimumWidth(widest)
        # the account manager: shown to who may list the staff (who may choose: `_may_change`)
        if controller.may(Action.USER_READ):
            controller.account_managers(self._managers_listed, lambda _e: None, owner=self)
        else:
            self._rows["manager_id"].setRowVisible(self.captions["manager_id"], False)
        page = QWidget()
        page.setLayout(columns)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        self.history = HistoryTable(controller)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(scroll, tr("Profile"))
        style = self.style()
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        save_keys = QKeySequence(QKeySequence.StandardKey.Save).toString(QKeySequence.SequenceFormat.NativeText)
        self.save_action = self.toolbar.addAction(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton),
                                                  tr("Save"))
        self.save_action.setToolTip(f"{tr('Save')} ({save_keys})")
        self.save_action.triggered.connect(lambda _c=False: self.save())
        self.reload_action = self.toolbar.addAction(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload),
                                                    tr("Reload"))
        self.reload_action.setToolTip(tr("Load the customer again (F5)"))
        self.reload_action.triggered.connect(lambda _c=False: self.reload_if_unchanged())
        self.reload_action.setEnabled(customer_id is not None)
        #: four eyes (issue 15): a request for a checker, confirmed twice (`request_delete`)
        self.delete_action = self.toolbar.addAction(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon),
                                                    tr("Delete customer..."))
        self.delete_action.setToolTip(tr("Ask a checker to delete this customer"))
        self.delete_action.triggered.connect(lambda _c=False: self.request_delete())
        self.delete_action.setVisible(customer_id is not None and controller.may(Action.CUSTOMER_DELETE))
        self.delete_action.setEnabled(False)  # once the customer (and its version) is loaded
        self.delete_dialog: DeleteReasonDialog | None = None
        self.delete_confirm: QMessageBox | None = None
        self.save_button = self.toolbar.widgetForAction(self.save_action)
        assert isinstance(self.save_button, QToolButton)
        # one Ctrl+S for the workspace: it saves what the current tab shows (two shortcuts
        # for one key in one window are ambiguous, and Qt then runs neither)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self).activated.connect(self._save_current)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.open_existing_button = QPushButton()
        self.open_existing_button.setVisible(False)
        self.open_existing_button.clicked.connect(self._open_existing)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.open_existing_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.header)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.setStyleSheet(READ_ONLY_STYLE)
        #: the first field that may be typed in takes the focus once the form has its values
        self._focus_pending = True
        self._apply_type()  # personal until the customer says otherwise: its rows only
        if customer_id is None:
            self.header.show_new()
            self.loaded = self.values()
            self.title_changed.emit(tr("New customer"))
            QTimer.singleShot(0, self._focus_first_field)
        else:
            self._add_tabs()
            self.reload()

    def _add_field(self, form: QFormLayout, f: str) -> None:
        names = field_labels()
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
                for org_id, org_name in self.controller.org_choices():
                    w.addItem(org_name, org_id)
            elif f == "manager_id":
                w.addItem(tr("(none)"), None)  # the account managers follow (`_managers_listed`)
            elif f == "type":
                w.addItem(tr("Personal"), CustomerType.PERSONAL.value)
                w.addItem(tr("Corporate"), CustomerType.CORPORATE.value)
            else:
                if f != "gender":
                    w.addItem("", None)
                for value, text in enum_labels()[f].items():
                    w.addItem(text, value)
            w.currentIndexChanged.connect(lambda _i, f=f: self._field_changed(f))
        # the error beside its input, its room kept while hidden: an error appearing
        # moves nothing on the form (under the input it pushed every row below down)
        err = QLabel()
        err.setProperty("role", "field-error")  # coloured by the form's one style sheet (one per label cost ~1 ms each)
        err.setWordWrap(True)
        policy = err.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        err.setSizePolicy(policy)
        err.setVisible(False)
        box = QHBoxLayout()
        box.addWidget(w, 3)
        box.addWidget(err, 2)
        caption = QLabel(names[f])
        caption.setTextFormat(Qt.TextFormat.RichText)
        caption.setBuddy(w)
        self.inputs[f], self.errors[f], self.captions[f], self._rows[f] = w, err, caption, form
        form.addRow(caption, box)

    def _add_tabs(self) -> None:
        """The tabs after the profile, once there is a customer to show in them."""
        if self._tabs_added:
            return
        self._tabs_added = True
        for make in WORKSPACE_TABS:
            made = make(self)
            if made is not None:
                self.tabs.addTab(made[1], made[0])

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
        for user_id, label_text in sorted(self._manager_names.items(), key=lambda item: item[1]):
            w.addItem(label_text, user_id)
        if current is not None and w.findData(current) < 0:
            w.addItem(f"#{current}", current)  # not one the user may see: kept as it is
        w.setCurrentIndex(max(w.findData(current), 0))
        w.blockSignals(False)

    def _focus_first_field(self) -> None:
        """Keyboard first: an opened profile is typed into at once (Tab moves on; the
        type of a new customer is a Shift+Tab away)."""
        if not self._focus_pending or not self.isVisible():
            return
        self._focus_pending = False
        for f, w in self.inputs.items():
            if f != "type" and self._applies(f) and w.isEnabled() \
                    and not (isinstance(w, (QLineEdit, QDateEdit)) and w.isReadOnly()):
                w.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # ------------------------------------------------------------------ the customer's type
    def customer_type(self) -> CustomerType:
        w = self.inputs["type"]
        assert isinstance(w, QComboBox)
        return CustomerType(w.currentData() or CustomerType.PERSONAL)

    def _applies(self, field: str) -> bool:
        """Whether `field` belongs to a customer of the type on screen."""
        corporate = self.customer_type() == CustomerType.CORPORATE
        return not ((field in PERSONAL_ONLY_FIELDS and corporate) or (field in CORPORATE_ONLY_FIELDS and not corporate))

    def _apply_type(self) -> None:
        """Show the fields of the chosen type only (a corporate customer has a credit code,
        no resident ID, gender or birth date); the type is chosen once, on creation."""
        for f in self.inputs:
            if f != "manager_id" or self.controller.may(Action.USER_READ):
                self._rows[f].setRowVisible(self.captions[f], self._applies(f))
        for key, _title, fields in GROUPS:  # a group with none of its fields for this type goes
            self.groups[key].setVisible(any(self._applies(f) for f in fields))
        self._update_required()

    def _caption(self, field: str, text: str | None = None) -> str:
        return (text or field_labels()[field]).replace("&", "&amp;").replace("<", "&lt;")

    def _update_required(self) -> None:
        """A required field still empty is marked; filled, it is not (defect 7)."""
        required = REQUIRED_ON_CREATE[self.customer_type()]
        values = self.values()
        # a company's name and phone are called so
        renamed = {"name": tr("Company name"), "phone": tr("Phone")} \
            if self.customer_type() == CustomerType.CORPORATE else {}
        for f in ORDER:
            base = self._caption(f, renamed.get(f))
            empty = f in required and values.get(f) in (None, "")
            self.captions[f].setText(base + (REQUIRED_MARK if empty else ""))

    # ------------------------------------------------------------------ values
    def values(self) -> dict[str, Any]:
        """The fields of the type on screen, as typed."""
        out: dict[str, Any] = {}
        for f, w in self.inputs.items():
            if f != "type" and not self._applies(f):
                continue
            if isinstance(w, QLineEdit):
                out[f] = w.text().strip() or None
            elif isinstance(w, QDateEdit):
                out[f] = w.date().toPython()
            elif isinstance(w, QComboBox):
                out[f] = w.currentData()
        return out

    def set_values(self, record: dict[str, Any]) -> None:
        type_box = self.inputs["type"]
        assert isinstance(type_box, QComboBox)
        type_box.blockSignals(True)
        type_box.setCurrentIndex(max(type_box.findData(record.get("type") or CustomerType.PERSONAL.value), 0))
        type_box.setEnabled(self.customer_id is None)  # a customer's type is chosen once
        type_box.blockSignals(False)
        for f, w in self.inputs.items():
            if f == "type":
                continue
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
                    w.addItem(self._manager_names.get(v, record.get("manager_name") or f"#{v}"), v)
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
        self._apply_type()
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
        if field == "type":
            self._apply_type()
            self.clear_errors()
        v = self.values()
        errs = []
        if field == "id_number" and v.get("id_number"):
            errs = id_number_errors(v["id_number"])
            if not errs:  # a valid ID already says gender and birth date
                idn = normalise_id_number(v["id_number"])
                self._set_combo("gender", str(id_gender(idn)))
                born = id_birth_date(idn)
                if born:
                    self.inputs["birth_date"].setDate(QDate(born.year, born.month, born.day))  # type: ignore[attr-defined]
        elif field == "uscc" and v.get("uscc"):
            # checked as the server will (python-stdnum's GB 32100 check character)
            errs = uscc_errors(v["uscc"])
            if not errs and normalise_uscc(v["uscc"]) != v["uscc"]:
                w = self.inputs["uscc"]
                assert isinstance(w, QLineEdit)
                w.setText(normalise_uscc(v["uscc"]))  # stored upper-case: shown so
        elif field == "phone" and v.get("phone"):
            errs = phone_errors(v["phone"])
        elif field == "name":
            errs = length_errors("name", v["name"] or "", min_len=1, max_len=100)
        self.show_error(field, errs[0].code if errs else None)
        self._update_required()
        self.open_existing_button.setVisible(False)
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

    def reload_if_unchanged(self) -> None:
        """The toolbar's Reload (and F5): unsaved edits are not thrown away for it."""
        if self.customer_id is None:
            return
        if self.is_dirty():
            self.status.setText(tr("Save or undo your changes before reloading"))
            return
        self.reload()

    def _load_history(self) -> None:
        if self.customer_id is not None and self.controller.may("customer.history"):
            self.controller.load_history(self.customer_id, self.history.show_entries, lambda _e: None, owner=self)

    def _loaded(self, c: CustomerRead) -> None:
        self.customer_id, self.version, self.masked = c.id, c.version, list(c.masked_fields)
        record = c.model_dump()
        self.set_values(record)
        self.loaded = self.values()
        self.header.show_customer(c, self.controller.org_names)
        self.reload_action.setEnabled(True)
        self.delete_action.setEnabled(True)
        self.delete_action.setVisible(self.controller.may(Action.CUSTOMER_DELETE))
        self._focus_first_field()
        self.status.setText("")
        self.title_changed.emit(f"{c.name} ({c.customer_no})")

    def save(self) -> None:
        if not self.save_action.isEnabled():
            return  # a save on its way, or a wait the server asked for
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
        self.save_action.setEnabled(False)
        self.open_existing_button.setVisible(False)
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
        self.save_action.setEnabled(True)
        if isinstance(c, ApprovalPending):  # a reassignment beyond the threshold waits for a checker
            assert self.customer_id is not None
            self.controller.load_customer(self.customer_id, self._loaded, lambda _e: None, owner=self)
            self.status.setText(tr("Sent for approval (request %1): a checker must approve the move.")
                                .replace("%1", str(c.approval_id)))
            return
        self._loaded(c)
        self.status.setText(tr("Saved"))
        self._add_tabs()
        self._load_history()
        self.saved.emit(c.id)

    def _shown_fields(self) -> set[str]:
        return {f for f in self.inputs if f != "type" and self._applies(f)
                and (f != "manager_id" or self.controller.may(Action.USER_READ))}

    def _save_failed(self, err: ApiError) -> None:
        """Every error answer through the one error path (client/problems.py)."""
        p = problem_of(err, self._shown_fields())
        if not p.same_key:
            self._idempotency_key = None  # the request itself must change
        self.clear_errors()
        if p.kind is Kind.CONFLICT:
            self.save_action.setEnabled(True)
            assert p.current is not None
            self.resolve_conflict(p.current)
            return
        if p.kind is Kind.WAIT:  # the same save may go again when the wait is over
            assert p.retry_after is not None
            self._countdown = Countdown(self.status, p.code, p.retry_after, lambda: self.save_action.setEnabled(True),
                                        self)
            return
        self.save_action.setEnabled(True)
        for field, text in p.fields.items():
            self.show_error(field, p.code, text)
        self.status.setText(p.message)
        if p.code in ("customer.id_number.duplicate", "customer.uscc.duplicate"):
            self._offer_existing("id_number" if "id_number" in p.code else "uscc")

    def _offer_existing(self, field: str) -> None:
        """A duplicate identifier: where that customer is in the user's scope, offer to
        open it (the search finds it only there); otherwise say nothing more."""
        value = self.values().get(field)
        if not value:
            return

        def found(page: CustomerPage) -> None:
            hits = [c for c in page.items if c.id != self.customer_id]
            if len(hits) == 1 and not page.total_capped:
                self._existing_id = hits[0].id
                self.open_existing_button.setText(tr("Open the existing customer: %1 (%2)")
                                                  .replace("%1", hits[0].name).replace("%2", hits[0].customer_no))
                self.open_existing_button.setVisible(True)
        self.controller.search(CustomerQuery(q=str(value)), found, lambda _e: None, owner=self)

    def _open_existing(self) -> None:
        if self._existing_id is not None:
            self.open_existing.emit(self._existing_id)

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
        self.status.setText(problem_of(err).message)

    # ------------------------------------------------------------------ deletion (four eyes)
    def request_delete(self) -> DeleteReasonDialog | None:
        """"Delete customer...": the first confirmation (what will happen, and why: the
        reason is required); `_confirm_delete` follows. Nothing is sent before both."""
        if self.customer_id is None or self.version is None or not self.controller.may(Action.CUSTOMER_DELETE):
            return None
        d = DeleteReasonDialog(self)
        d.accepted.connect(lambda: self._confirm_delete(d.reason()))
        self.delete_dialog = d
        d.open()
        return d

    def _confirm_delete(self, reason: str) -> QMessageBox:
        """The second confirmation, naming the customer; Cancel is the default button."""
        name, number = self.header.title.text(), self.header.facts["customer_no"].text()
        box, delete = confirm(self, QMessageBox.Icon.Warning, tr("Delete this customer?"),
                              tr("Request the deletion of %1 (customer no. %2)?").replace("%1", name)
                              .replace("%2", number), tr("Request deletion"),
                              QMessageBox.ButtonRole.DestructiveRole, lambda: self._send_delete(reason))
        box.setInformativeText(tr("Reason: %1").replace("%1", reason))
        delete.setObjectName("destructive")
        delete.setStyleSheet("QPushButton#destructive { background: #b00020; color: white; padding: 4px 12px; }")
        self.delete_confirm = box
        return box

    def _send_delete(self, reason: str) -> None:
        assert self.customer_id is not None and self.version is not None
        customer_id, version = self.customer_id, self.version
        self.delete_action.setEnabled(False)
        self.status.setText(tr("Sending the deletion request..."))
        self.controller.call(lambda api: api.delete_customer(customer_id, version, reason), self._delete_requested,
                             self._delete_failed, owner=self)

    def _delete_requested(self, _pending: ApprovalPending) -> None:
        self.delete_action.setEnabled(True)
        self.status.setText(tr("Deletion requested: waiting for a checker"))

    def _delete_failed(self, err: ApiError) -> None:
        """The one error path: a deletion already waiting, a stale version (the customer
        changed: reload and ask again), a refusal."""
        self.delete_action.setEnabled(True)
        p = problem_of(err)
        if p.kind is Kind.CONFLICT:
            self.status.setText(p.message + " " + tr("Reload the customer and ask again."))
        else:
            self.status.setText(p.message)

    def _save_current(self) -> None:
        current = self.tabs.currentWidget()
        page = current.page if isinstance(current, LazyPage) else current
        save = getattr(page, "save", None)
        if page is not None and page is not self and callable(save) and not isinstance(page, QScrollArea):
            save()
        else:
            self.save()

    def tabs_dirty(self) -> bool:
        """A workspace tab (the finances) holds edits not saved yet."""
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            page = page.page if isinstance(page, LazyPage) else page
            dirty = getattr(page, "is_dirty", None)
            if page is not self and callable(dirty) and dirty():
                return True
        return False

    def confirm_close(self) -> bool:
        """Guard against losing unsaved edits, the profile's or a tab's."""
        if not self.is_dirty() and not self.tabs_dirty():
            return True
        answer = QMessageBox.question(self, tr("Unsaved changes"),
                                      tr("This customer has unsaved changes. Discard them?"),
                                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard


__all__ = ["ConflictDialog", "CustomerProfileForm", "DeleteReasonDialog", "Qt"]
