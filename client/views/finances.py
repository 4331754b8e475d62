"""The customer's Finances tab (issue 14, R-501 … R-504): the household, the balance
sheet of a date and the income table of a year, edited with live totals and ratios
(shared/finance.py on the screen, the server's reference ranges), charts, "compare with
previous", and the printed statement previewed, printed or saved. Also the batch of
statements for a manager's customers, printed by the server as a job.

Views hold no HTTP: every call goes through the Controller on a worker thread, every
error answer through client/problems.py."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from client.api.client import ApiClient, ApiError, StatementPath
from client.app import Controller
from client.i18n import current_language, label, tr
from client.problems import Kind, problem_of
from client.views.finance_editors import StatementEditor
from client.views.finance_panels import MixChart, RatioPanel, StatementPreview, TrendChart
from shared.enums import RatioCode, Relation
from shared.finance import DEFAULT_RANGES, Line, Range, balance_totals, income_totals, ratios
from shared.permissions import Action
from shared.schemas import (
    BalanceSheetRead,
    FinanceAnalysis,
    HouseholdRead,
    IncomeStatementRead,
    JobRead,
)


@dataclass
class FinanceData:
    """What the tab shows, fetched in one go."""

    household: HouseholdRead
    sheets: list[BalanceSheetRead]  # newest first
    tables: list[IncomeStatementRead]  # newest first
    analysis: FinanceAnalysis


def load_finances(api: ApiClient, customer_id: int) -> FinanceData:
    return FinanceData(api.household(customer_id), api.statements("balance-sheets", customer_id),  # type: ignore[arg-type]
                       api.statements("income-statements", customer_id),  # type: ignore[arg-type]
                       api.finance_analysis(customer_id))


def _lines(rows: Sequence[Any]) -> list[Line]:
    return [Line(r.type, Decimal(r.amount), r.label, r.member_id) for r in rows]


def trend_points(sheets: Sequence[BalanceSheetRead], tables: Sequence[IncomeStatementRead]
                 ) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """Per year, oldest first: the net worth of the year's latest balance sheet and the
    savings ratio of its income table (None where that statement is missing)."""
    worth: dict[int, Decimal] = {}
    for s in sorted(sheets, key=lambda s: s.as_of):
        worth[s.as_of.year] = balance_totals(_lines(s.lines)).net_worth
    saving: dict[int, Decimal | None] = {}
    for t in tables:
        r = ratios(None, income_totals(_lines(t.lines)), DEFAULT_RANGES)
        saving[t.year] = next(x.value for x in r if x.code == RatioCode.SAVINGS_RATIO)
    return [(str(y), worth.get(y), saving.get(y)) for y in sorted(worth.keys() | saving.keys())]


# ----------------------------------------------------------------------------- household
class HouseholdEditor(QWidget):
    """The members: name, relation, birth date, occupation. Signals: changed()."""

    changed = Signal()
    COLUMNS = ("name", "relation", "birth_date", "occupation")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.version = 0
        self._ids: list[int | None] = []
        self._linked: list[int | None] = []
        self._dirty = False
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([tr("Name"), tr("Relation"), tr("Date of birth"), tr("Occupation")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.itemChanged.connect(self._edited)
        self.add_button = QPushButton(tr("Add member"))
        self.remove_button = QPushButton(tr("Remove member"))
        self.add_button.clicked.connect(lambda: self.add_member())
        self.remove_button.clicked.connect(self.remove_selected)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addLayout(buttons)
        lay.addWidget(self.error)

    def _relation_box(self, value: str) -> QComboBox:
        box = QComboBox()
        for r in Relation:
            box.addItem(label("relation", r), str(r))
        box.setCurrentIndex(max(0, box.findData(value)))
        box.currentIndexChanged.connect(self._edited)
        return box

    def _date_box(self, value: date | None) -> QDateEdit:
        box = QDateEdit()
        box.setDisplayFormat("yyyy-MM-dd")
        box.setCalendarPopup(True)
        box.setMinimumDate(QDate(1900, 1, 1))
        box.setSpecialValueText(" ")  # the minimum shows as empty: no date given
        box.setDate(QDate(value.year, value.month, value.day) if value else box.minimumDate())
        box.dateChanged.connect(self._edited)
        return box

    def set_household(self, h: HouseholdRead) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self._ids, self._linked = [], []
        for m in h.members:
            self._append(m.id, m.name, str(m.relation), m.birth_date, m.occupation or "", m.customer_id)
        self.table.blockSignals(False)
        self.version, self._dirty = h.version, False
        self.error.clear()

    def _append(self, member_id: int | None, name: str, relation: str, born: date | None, occupation: str,
                linked: int | None) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._ids.append(member_id)
        self._linked.append(linked)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setCellWidget(row, 1, self._relation_box(relation))
        self.table.setCellWidget(row, 2, self._date_box(born))
        self.table.setItem(row, 3, QTableWidgetItem(occupation))

    def add_member(self, name: str = "", relation: str = "spouse") -> None:
        self._append(None, name, relation, None, "", None)
        self.table.setCurrentCell(self.table.rowCount() - 1, 0)
        self._edited()

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        self.table.removeRow(row)
        del self._ids[row], self._linked[row]
        self._edited()

    def _edited(self, *_args: object) -> None:
        self._dirty = True
        self.changed.emit()

    def is_dirty(self) -> bool:
        return self._dirty

    def members(self) -> list[dict[str, Any]]:
        """The members in the API's shape (CONTRACT.md: PUT .../household)."""
        out = []
        for row in range(self.table.rowCount()):
            name_item, job_item = self.table.item(row, 0), self.table.item(row, 3)
            relation = self.table.cellWidget(row, 1)
            born = self.table.cellWidget(row, 2)
            assert isinstance(relation, QComboBox) and isinstance(born, QDateEdit)
            d = born.date()
            out.append({"id": self._ids[row], "name": (name_item.text() if name_item else "").strip(),
                        "relation": relation.currentData(),
                        "birth_date": None if d == born.minimumDate() else d.toString("yyyy-MM-dd"),
                        "occupation": (job_item.text().strip() if job_item else "") or None,
                        "customer_id": self._linked[row]})
        return out

    def show_errors(self, fields: dict[str, str]) -> None:
        self.error.setText("\n".join(f"{tr('Member')} {_row_of(f) + 1}: {text}" if _row_of(f) >= 0 else text
                                     for f, text in fields.items()))

    def set_read_only(self, read_only: bool) -> None:
        self.add_button.setVisible(not read_only)
        self.remove_button.setVisible(not read_only)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers if read_only
                                   else QAbstractItemView.EditTrigger.AllEditTriggers)


def _row_of(field_path: str) -> int:
    """`members[2].name` -> 2; -1 for a field of no member."""
    if field_path.startswith("members[") and "]" in field_path:
        try:
            return int(field_path[len("members["):field_path.index("]")])
        except ValueError:
            return -1
    return -1


# ----------------------------------------------------------------------------- the tab
class FinancesTab(QWidget):
    """Signals: saved() after any part was saved."""

    saved = Signal()

    def __init__(self, controller: Controller, customer_id: int, parent: QWidget | None = None, *,
                 own_shortcut: bool = True) -> None:
        """`own_shortcut`: Ctrl+S is this tab's own (off inside a workspace, whose Ctrl+S
        saves the current tab)."""
        super().__init__(parent)
        self.controller, self.customer_id = controller, customer_id
        self.may_edit = controller.may(Action.CUSTOMER_FINANCE_EDIT)
        self.may_print = controller.may(Action.CUSTOMER_STATEMENT_PRINT)
        self.data: FinanceData | None = None
        self.ranges: dict[RatioCode, Range] = dict(DEFAULT_RANGES)
        self.sheet: BalanceSheetRead | None = None  # the snapshot on screen (None: a new one)
        self.table: IncomeStatementRead | None = None
        self.new_as_of: date | None = None
        self.new_year: int | None = None
        self._saving: list[Callable[[], None]] = []

        self.toolbar = QToolBar()
        self.sheet_box = QComboBox()
        self.sheet_box.setToolTip(tr("The balance sheet's date"))
        self.year_box = QComboBox()
        self.year_box.setToolTip(tr("The income table's year"))
        for box in (self.sheet_box, self.year_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.setMinimumContentsLength(10)  # "2025-12-31" whole, and "(new)" beside it
        self.sheet_box.activated.connect(self._sheet_chosen)
        self.year_box.activated.connect(self._year_chosen)
        self.toolbar.addWidget(QLabel(tr("Balance sheet as of") + " "))
        self.toolbar.addWidget(self.sheet_box)
        self.new_sheet_action = self.toolbar.addAction(tr("New balance sheet..."), self.new_sheet)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel(tr("Income table of") + " "))
        self.toolbar.addWidget(self.year_box)
        self.new_year_action = self.toolbar.addAction(tr("New year..."), self.new_year_table)
        self.toolbar.addSeparator()
        self.compare_action = self.toolbar.addAction(tr("Compare with previous"), self._compare)
        self.compare_action.setCheckable(True)
        self.toolbar.addSeparator()
        # the workspace's own Save (above the tabs) is the profile's: these say what they are for
        self.save_action = QAction(tr("Save finances"), self)
        if own_shortcut:
            self.save_action.setShortcut(QKeySequence.StandardKey.Save)
            self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_action.setToolTip(tr("Save the household, the balance sheet and the income table (Ctrl+S)"))
        self.save_action.triggered.connect(self.save)
        self.addAction(self.save_action)
        self.toolbar.addAction(self.save_action)
        self.reload_action = self.toolbar.addAction(tr("Reload finances"), self.reload)
        self.preview_action = self.toolbar.addAction(tr("Statement..."), self.preview)
        self.preview_action.setToolTip(tr("Preview, print or save the customer's financial statement"))
        for a in (self.new_sheet_action, self.new_year_action, self.save_action):
            a.setVisible(self.may_edit)
        self.preview_action.setVisible(self.may_print)

        self.household = HouseholdEditor()
        self.balance = StatementEditor("balance")
        self.income = StatementEditor("income")
        for ed in (self.balance, self.income):
            ed.changed.connect(self._live)
            ed.save_shortcut.setEnabled(False)  # the tab's Save (Ctrl+S) covers the editors: one owner of the key
            ed.set_read_only(not self.may_edit)
        self.household.set_read_only(not self.may_edit)
        self.household.changed.connect(self._status_dirty)
        self.parts = QTabWidget()
        self.parts.addTab(self.balance, tr("Balance sheet"))
        self.parts.addTab(self.income, tr("Income and expenses"))
        self.parts.addTab(self.household, tr("Household"))

        self.ratio_panel = RatioPanel()
        self.mix = MixChart()
        self.trend = TrendChart()
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.addWidget(self.ratio_panel)
        side_lay.addWidget(self.mix)
        side_lay.addWidget(self.trend)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.parts)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([800, 540])  # the figures first; the ratios beside them
        self.ratio_panel.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.toolbar)
        lay.addWidget(split, 1)
        lay.addWidget(self.status)
        self.reload()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        if self.is_dirty() and QMessageBox.question(
                self, tr("Reload"), tr("Discard the changes you have not saved?")) != QMessageBox.StandardButton.Yes:
            return
        self.status.setText(tr("Loading..."))
        cid = self.customer_id
        self.controller.call(lambda api: load_finances(api, cid), self._loaded, self._failed, owner=self)

    def _loaded(self, data: FinanceData, sheet_id: int | None = None, table_id: int | None = None) -> None:
        self.data = data
        self.ranges = RatioPanel.ranges_from(data.analysis)
        self.ratio_panel.set_ranges_version(data.analysis.ranges_version)
        self.household.set_household(data.household)
        self.income.set_members([(m.id, f"{m.name} ({label('relation', m.relation)})")
                                 for m in data.household.members])
        self.sheet = next((s for s in data.sheets if s.id == sheet_id), data.sheets[0] if data.sheets else None)
        self.table = next((t for t in data.tables if t.id == table_id), data.tables[0] if data.tables else None)
        self.new_as_of = self.new_year = None
        self._fill_boxes()
        self._show_statements()
        self.trend.show_trend(trend_points(data.sheets, data.tables))
        self.status.setText("" if data.sheets or data.tables else
                            tr("No balance sheet or income table yet: start one with \"New balance sheet\"."))

    def _fill_boxes(self) -> None:
        assert self.data is not None
        self.sheet_box.clear()
        for s in self.data.sheets:
            self.sheet_box.addItem(s.as_of.isoformat(), s.id)
        if self.new_as_of is not None:
            self.sheet_box.insertItem(0, f"{self.new_as_of.isoformat()} ({tr('new')})", None)
        self.sheet_box.setCurrentIndex(0 if self.new_as_of is not None or self.sheet is None
                                       else self.sheet_box.findData(self.sheet.id))
        self.year_box.clear()
        for t in self.data.tables:
            self.year_box.addItem(str(t.year), t.id)
        if self.new_year is not None:
            self.year_box.insertItem(0, f"{self.new_year} ({tr('new')})", None)
        self.year_box.setCurrentIndex(0 if self.new_year is not None or self.table is None
                                      else self.year_box.findData(self.table.id))

    def _show_statements(self) -> None:
        if self.new_as_of is None:
            self.balance.set_lines(self.sheet.lines if self.sheet else [])
        if self.new_year is None:
            self.income.set_lines(self.table.lines if self.table else [])
        self._compare()
        self._live()

    def _sheet_chosen(self, index: int) -> None:
        assert self.data is not None
        sid = self.sheet_box.itemData(index)
        if sid is None or not self._may_leave(self.balance):
            self._fill_boxes()
            return
        self.new_as_of = None
        self.sheet = next(s for s in self.data.sheets if s.id == sid)
        self.balance.set_lines(self.sheet.lines)
        self._compare()
        self._live()

    def _year_chosen(self, index: int) -> None:
        assert self.data is not None
        tid = self.year_box.itemData(index)
        if tid is None or not self._may_leave(self.income):
            self._fill_boxes()
            return
        self.new_year = None
        self.table = next(t for t in self.data.tables if t.id == tid)
        self.income.set_lines(self.table.lines)
        self._compare()
        self._live()

    def _may_leave(self, editor: StatementEditor) -> bool:
        dirty = self.sheet_dirty() if editor is self.balance else self.table_dirty()
        answer = QMessageBox.question(self, tr("Unsaved changes"), tr("Discard the changes you have not saved?")) \
            if dirty else QMessageBox.StandardButton.Yes
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ new statements
    def new_sheet(self, as_of: date | None = None) -> None:
        """A new snapshot, starting from the figures on screen (most lines carry over)."""
        if as_of is None:
            as_of = ask_date(self, tr("New balance sheet"), tr("As of"), date(date.today().year, 12, 31))
            if as_of is None:
                return
        if self.data is not None and any(s.as_of == as_of for s in self.data.sheets):
            self.status.setText(tr("This customer has a balance sheet of that date already: choose it above."))
            return
        lines = self.balance.lines()
        self.new_as_of = as_of
        self._fill_boxes()
        self.balance.set_lines(lines)
        self.compare_action.setChecked(self.sheet is not None)
        self._compare()
        self._live()
        self.parts.setCurrentWidget(self.balance)
        self.balance.setFocus()

    def new_year_table(self, year: int | None = None) -> None:
        if year is None:
            latest = self.data.tables[0].year if self.data and self.data.tables else date.today().year - 1
            year = ask_year(self, latest + 1)
            if year is None:
                return
        if self.data is not None and any(t.year == year for t in self.data.tables):
            self.status.setText(tr("This customer has an income table of that year already: choose it above."))
            return
        lines = self.income.lines()
        self.new_year = year
        self._fill_boxes()
        self.income.set_lines(lines)
        self.compare_action.setChecked(self.table is not None)
        self._compare()
        self._live()
        self.parts.setCurrentWidget(self.income)
        self.income.setFocus()

    # ------------------------------------------------------------------ live figures
    def _previous(self) -> tuple[BalanceSheetRead | None, IncomeStatementRead | None]:
        """What the statements on screen compare with: the snapshot before the shown one
        (for a new one: the one it started from), the year before."""
        if self.data is None:
            return None, None
        if self.new_as_of is not None:
            sheet = self.sheet
        else:
            older = [s for s in self.data.sheets if self.sheet is not None and s.as_of < self.sheet.as_of]
            sheet = older[0] if older else None
        if self.new_year is not None:
            table = self.table
        else:
            before = [t for t in self.data.tables if self.table is not None and t.year < self.table.year]
            table = before[0] if before else None
        return sheet, table

    def _compare(self) -> None:
        on = self.compare_action.isChecked()
        sheet, table = self._previous() if on else (None, None)
        self.balance.compare_with(sheet.lines if sheet else None, sheet.as_of.isoformat() if sheet else "")
        self.income.compare_with(table.lines if table else None, str(table.year) if table else "")
        if on and sheet is None and table is None:
            self.status.setText(tr("There is no earlier balance sheet or income table to compare with."))

    def _live(self) -> None:
        """Totals, ratios and the mix as typed (shared/finance.py, the ranges in force)."""
        has_sheet = self.sheet is not None or self.new_as_of is not None or bool(self.balance.lines())
        has_table = self.table is not None or self.new_year is not None or bool(self.income.lines())
        b = self.balance.totals() if has_sheet else None
        i = self.income.totals() if has_table else None
        self.ratio_panel.show_ratios(ratios(b, i, self.ranges))  # type: ignore[arg-type]
        self.mix.update_totals(b)  # type: ignore[arg-type]
        self._status_dirty()

    def _status_dirty(self) -> None:
        if self.is_dirty():
            self.status.setText(tr("Changes not saved yet (Ctrl+S saves)"))

    def sheet_dirty(self) -> bool:
        """A new snapshot is unsaved even before anything in it changed."""
        return self.balance.is_dirty() or self.new_as_of is not None

    def table_dirty(self) -> bool:
        return self.income.is_dirty() or self.new_year is not None

    def is_dirty(self) -> bool:
        return self.household.is_dirty() or self.sheet_dirty() or self.table_dirty()

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        """The household first (income lines name its members), then the sheet, then the
        table: each part that changed, one after the other; the first refusal stops."""
        if not self.may_edit or not self.save_action.isEnabled():
            return
        if not self.is_dirty():
            self.status.setText(tr("Nothing to save"))
            return
        for ed in (self.balance, self.income):
            if ed.has_errors():
                self.parts.setCurrentWidget(ed)
                self.status.setText(tr("Some amounts are not valid: correct the marked cells first."))
                return
        steps: list[Callable[[], None]] = []
        if self.household.is_dirty():
            steps.append(self._save_household)
        if self.sheet_dirty():
            steps.append(lambda: self._save_statement(self.balance))
        if self.table_dirty():
            steps.append(lambda: self._save_statement(self.income))
        self._saving = steps
        self.save_action.setEnabled(False)
        self.status.setText(tr("Saving..."))
        self._next_step()

    def _next_step(self) -> None:
        if not self._saving:
            self.save_action.setEnabled(True)
            cid = self.customer_id
            sid, tid = self.sheet.id if self.sheet else None, self.table.id if self.table else None

            def reloaded(d: FinanceData) -> None:
                self._loaded(d, sid, tid)
                self.status.setText(tr("Saved"))
            self.controller.call(lambda api: load_finances(api, cid), reloaded, self._failed, owner=self)
            self.saved.emit()
            return
        self._saving.pop(0)()

    def _save_household(self) -> None:
        cid, version, members = self.customer_id, self.household.version, self.household.members()

        def done(h: HouseholdRead) -> None:
            self.household.set_household(h)
            self.income.set_members([(m.id, f"{m.name} ({label('relation', m.relation)})") for m in h.members])
            self._next_step()
        self.controller.call(lambda api: api.put_household(cid, version, members), done,
                             lambda e: self._save_failed(e, self.household), owner=self)

    def _save_statement(self, editor: StatementEditor) -> None:
        """The balance sheet or the income table on screen: a new one of its period, or
        the one shown changed (with the version it was read at)."""
        balance = editor is self.balance
        current: BalanceSheetRead | IncomeStatementRead | None = self.sheet if balance else self.table
        new: date | int | None = self.new_as_of if balance else self.new_year
        kind: StatementPath = "balance-sheets" if balance else "income-statements"
        cid, lines = self.customer_id, editor.lines()
        if new is not None or current is None:
            when = new if new is not None else (date.today() if balance else date.today().year)
            args: tuple[Any, ...] = (kind, cid, when.isoformat() if isinstance(when, date) else when, lines)
        else:
            period = current.as_of.isoformat() if isinstance(current, BalanceSheetRead) else current.year
            args = (kind, cid, period, lines, current.id, current.version)

        def done(saved: BalanceSheetRead | IncomeStatementRead) -> None:
            if isinstance(saved, BalanceSheetRead):
                self.sheet, self.new_as_of = saved, None
            else:
                self.table, self.new_year = saved, None
            editor.mark_saved()
            self._next_step()
        self.controller.call(lambda api: api.save_statement(*args), done, lambda e: self._save_failed(e, editor),
                             owner=self)

    def _save_failed(self, err: ApiError, part: QWidget) -> None:
        self._saving = []
        self.save_action.setEnabled(True)
        errors = err.body.get("errors") or []
        p = problem_of(err, {e.get("field", "") for e in errors if isinstance(e, dict)})
        self.parts.setCurrentWidget(part)
        if p.kind is Kind.CONFLICT:
            self.status.setText(p.message + tr(": ")
                                + tr("Reload to see their figures; yours stay on screen until then."))
            return
        if isinstance(part, StatementEditor):
            part.show_errors([{"field": f, "code": e.get("code", ""), "message": p.fields.get(f, "")}
                              for e in errors if isinstance(e, dict) for f in [e.get("field", "")]])
        elif isinstance(part, HouseholdEditor):
            part.show_errors(p.fields)
        self.status.setText(p.message)

    def _failed(self, err: ApiError) -> None:
        self.status.setText(problem_of(err).message)

    # ------------------------------------------------------------------ the statement
    def preview(self) -> None:
        if self.is_dirty():
            self.status.setText(tr("Save first: the statement prints what is saved."))
            return
        dialog = StatementDialog(self.controller, self.customer_id,
                                 self.sheet.as_of.isoformat() if self.sheet else None,
                                 self.table.year if self.table else None, self)
        dialog.open()


def ask_date(parent: QWidget, title: str, caption: str, default: date) -> date | None:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    edit = QDateEdit(QDate(default.year, default.month, default.day))
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    form = QFormLayout(dialog)
    form.addRow(caption, edit)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    d = edit.date()
    return date(d.year(), d.month(), d.day())


def ask_year(parent: QWidget, default: int) -> int | None:
    dialog = QDialog(parent)
    dialog.setWindowTitle(tr("New income table"))
    spin = QSpinBox()
    spin.setRange(1900, 2100)
    spin.setValue(default)
    form = QFormLayout(dialog)
    form.addRow(tr("Year"), spin)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    return spin.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


class StatementDialog(QDialog):
    """The statement as the server prints it, previewed in the client (Qt PDF), in the
    language chosen; printed through the system dialog or saved as PDF."""

    def __init__(self, controller: Controller, customer_id: int, as_of: str | None, year: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller, self.customer_id, self.as_of, self.year = controller, customer_id, as_of, year
        self.setWindowTitle(tr("Financial statement"))
        self.resize(900, 1000)
        self.lang = QComboBox()
        self.lang.addItem("中文", "zh_CN")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(0 if current_language() == "zh_CN" else 1)
        self.lang.activated.connect(lambda _i: self.fetch())
        self.preview = StatementPreview()
        self.status = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Language")))
        top.addWidget(self.lang)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.preview, 1)
        lay.addWidget(self.status)
        self.fetch()

    def fetch(self) -> None:
        self.status.setText(tr("Loading..."))
        cid, lang, as_of, year = self.customer_id, self.lang.currentData(), self.as_of, self.year

        def shown(data: bytes) -> None:
            self.preview.show_pdf(data, f"statement-{cid}-{as_of or year}-{lang}.pdf")
            self.status.setText(tr("Printed statements are on the audit trail."))
        self.controller.call(lambda api: api.statement_pdf(cid, lang, as_of, year), shown,
                             lambda e: self.status.setText(problem_of(e).message), owner=self)


# ----------------------------------------------------------------------------- batches
@dataclass
class _Download:
    cancelled: threading.Event = field(default_factory=threading.Event)
    saved: list[str] = field(default_factory=list)


def download_outputs(api: ApiClient, job_id: int, folder: str, state: _Download,
                     progress: Callable[[int, int], None]) -> list[str]:
    """Every file of the job into `folder` (each whole or not at all); stops when asked."""
    from client.views.finance_panels import save_pdf
    files = api.job_outputs(job_id)
    for n, f in enumerate(files, start=1):
        if state.cancelled.is_set():
            break
        save_pdf(api.job_output(job_id, f.id), os.path.join(folder, os.path.basename(f.name)))
        state.saved.append(f.name)
        progress(n, len(files))
    return state.saved


class BatchStatements(QDialog):
    """Statements for all of a manager's customers: the server prints them as a job
    (progress polled), then they are saved into a folder; Cancel stops either part."""

    progressed = Signal(int, int)

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle(tr("Print statements for my customers"))
        self.lang = QComboBox()
        self.lang.addItem("中文", "zh_CN")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(0 if current_language() == "zh_CN" else 1)
        self.folder = QLineEdit()
        browse = QPushButton(tr("Choose..."))
        browse.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.error = QLabel()
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(tr("Language"), self.lang)
        form.addRow(tr("Save into folder"), row)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton(tr("Print"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.clicked.connect(self.start)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.job: JobRead | None = None
        self.progress: QProgressDialog | None = None
        self.poll = QTimer(self)
        self.poll.setInterval(500)
        self.poll.timeout.connect(self._poll)
        self.download = _Download()
        self.progressed.connect(self._downloaded)

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Save into folder"), self.folder.text())
        if folder:
            self.folder.setText(folder)

    def start(self) -> None:
        folder = self.folder.text().strip()
        if not folder or not os.path.isdir(folder):
            self.error.setText(tr("Choose an existing folder to save the statements into."))
            return
        lang = self.lang.currentData()
        self.start_button.setEnabled(False)
        self.controller.call(lambda api: api.start_statement_batch(lang), self._started, self._failed, owner=self)

    def _started(self, job: JobRead) -> None:
        self.job = job
        self.progress = QProgressDialog(tr("Printing statements..."), tr("Cancel"), 0, job.total or 0, self)
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)  # it closes when the files are saved, not when printing is done
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self.cancel)
        self.progress.show()
        self.poll.start()

    def _poll(self) -> None:
        assert self.job is not None
        job_id = self.job.id
        self.poll.stop()
        self.controller.call(lambda api: api.job(job_id), self._polled, self._failed, owner=self)

    def _polled(self, job: JobRead) -> None:
        self.job = job
        progress = self.progress
        if progress is None:
            return
        progress.setLabelText(tr("Printing statements: %1 of %2").replace("%1", str(job.done))
                              .replace("%2", str(job.total or "?")))
        progress.setMaximum(job.total or 0)
        progress.setValue(job.done)
        if self.progress is None:  # cancelled while the dialog ran the event loop
            return
        if job.status == "succeeded":
            self._save_files()
        elif job.status in ("failed", "cancelled"):
            self._finish(tr("The batch stopped: %1").replace("%1", label("job_status", job.status)))
        else:
            self.poll.start()

    def _save_files(self) -> None:
        assert self.job is not None and self.progress is not None
        job_id, folder, state = self.job.id, self.folder.text().strip(), self.download
        self.progress.setValue(0)
        self.progress.setLabelText(tr("Saving statements..."))
        self.controller.call(lambda api: download_outputs(api, job_id, folder, state, self.progressed.emit),
                             lambda saved: self._finish(tr("%1 statements saved in %2").replace(
                                 "%1", str(len(saved))).replace("%2", folder)), self._failed, owner=self)

    def _downloaded(self, n: int, total: int) -> None:
        progress = self.progress  # a modal setValue runs the event loop: the batch may end inside it
        if progress is not None:
            progress.setLabelText(tr("Saving statements: %1 of %2").replace("%1", str(n)).replace("%2", str(total)))
            progress.setMaximum(total)
            progress.setValue(n)

    def cancel(self) -> None:
        """Stop the job on the server, or the saving here."""
        self.poll.stop()
        self.download.cancelled.set()
        if self.job is not None and self.job.status in ("queued", "running"):
            job_id = self.job.id
            self.controller.call(lambda api: api.cancel_job(job_id),
                                 lambda j: self._finish(tr("Cancelled")), lambda e: self._finish(tr("Cancelled")),
                                 owner=self)
        else:
            self._finish(tr("Cancelled"))

    def _finish(self, text: str) -> None:
        self.poll.stop()
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.close()
            self.progress = None
        self.error.setText(text)
        self.start_button.setEnabled(True)

    def _failed(self, err: ApiError) -> None:
        self._finish(problem_of(err).message)
