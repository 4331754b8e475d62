"""The audit trail for auditors: who did what, when, from where; newest first,
filtered by action (a prefix such as `auth.` or `customer.`) and object. Selecting a
customer's entry shows that customer's change history (old and new values) below."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from client.audit_words import (
    ACTIONS,
    action_text,
    detail_text,
    object_text,
    outcome_text,
    source_text,
    who_text,
)
from client.export import ExportSource
from client.i18n import tr
from client.models.rows import Column, RowsModel
from client.problems import problem_of
from client.views.history import HistoryTable
from client.views.widgets import Pager, record_table
from shared.schemas import AuditEntry, Page

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller


class AuditView(QWidget):
    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.model: RowsModel[AuditEntry] = RowsModel([
            Column("at", lambda: tr("When"), lambda e: e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
            Column("actor", lambda: tr("Who"), who_text),
            Column("action", lambda: tr("Action"), lambda e: action_text(e.action)),
            Column("object", lambda: tr("Object"), lambda e: object_text(e.object_type, e.object_id)),
            Column("outcome", lambda: tr("Outcome"), lambda e: outcome_text(e.outcome)),
            Column("source", lambda: tr("From"), lambda e: source_text(e.source)),
            Column("detail", lambda: tr("Details"), lambda e: detail_text(e.detail)),
        ], self, key=lambda e: e.id)
        self.action = QComboBox()  # by its words; the server is asked by its code
        self.action.addItem(tr("All actions"), "")
        for code, words in sorted(ACTIONS.items(), key=lambda item: item[1]()):
            self.action.addItem(words(), code)
        self.action.currentIndexChanged.connect(lambda _i: self.refresh())
        self.object_id = QLineEdit()
        self.object_id.setPlaceholderText(tr("Object id"))
        search = QPushButton(tr("Search"))
        search.clicked.connect(self.refresh)
        self.object_id.returnPressed.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.action, 2)
        top.addWidget(self.object_id, 1)
        top.addWidget(search)
        self.table = record_table(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.history = HistoryTable(controller)
        self.history_title = QLabel()
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.history_title)
        lower_layout.addWidget(self.history)
        lower.setVisible(controller.may("customer.history"))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.history_customer: int | None = None
        self.pager = Pager(controller, self.model, self, self._show, self._failed)
        self.refresh()

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        entry = self.model.row_at(rows[0].row()) if rows else None
        if entry is None or entry.object_type != "customer" or not (entry.object_id or "").isdigit() \
                or not self.controller.may("customer.history"):
            return
        customer_id = int(entry.object_id or 0)
        if customer_id == self.history_customer:
            return
        self.history_customer = customer_id
        self.history_title.setText(tr("Change history of customer %1").replace("%1", str(customer_id)))
        self.controller.load_history(customer_id, self.history.show_entries, self._failed, owner=self)

    def refresh(self) -> None:
        action, object_id = self.action.currentData() or "", self.object_id.text().strip()
        self.pager.refresh(lambda api, page, size: api.audit_page(action, object_id, page, size),
                           {k: v for k, v in (("action", action), ("object_id", object_id)) if v})

    def export_source(self) -> ExportSource[AuditEntry]:
        return self.pager.export_source("audit", tr("Audit trail"))

    def _show(self, page: Page[AuditEntry]) -> None:
        if page.page == 1:
            self.table.resizeColumnsToContents()
        self.status.setText((tr("%1 entry") if page.total == 1 else tr("%1 entries (newest first)"))
                            .replace("%1", f"{page.total:,}"))

    def _failed(self, err: ApiError) -> None:
        self.status.setText(problem_of(err).message)
