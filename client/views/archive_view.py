"""Deleted customers (issue 15): the archive of customers whose deletion a checker
approved, found by number, ID or name; a branch manager brings one back within the
restore period (after a confirmation)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget

from client.i18n import label, tr
from client.models.rows import Column, RowsModel
from client.problems import problem_of
from client.views.widgets import Pager, confirm, record_table
from shared.schemas import ArchivedCustomerRead, CustomerRead, Page

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller


class ArchiveView(QWidget):
    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        names = controller.org_names
        self.model: RowsModel[ArchivedCustomerRead] = RowsModel([
            Column("customer_no", lambda: tr("Customer no."), lambda c: c.customer_no),
            Column("name", lambda: tr("Name"), lambda c: c.name),
            Column("type", lambda: tr("Type"), lambda c: label("customer_type", c.type)),
            Column("identifier", lambda: tr("ID / credit code"), lambda c: c.id_number or c.uscc or ""),
            Column("org", lambda: tr("Branch"), lambda c: names.get(c.org_id, str(c.org_id))),
            Column("archived_at", lambda: tr("Deleted"),
                   lambda c: c.archived_at.astimezone().strftime("%Y-%m-%d %H:%M")),
            Column("requested_by", lambda: tr("Requested by"),
                   lambda c: c.requested_by.display_name if c.requested_by else ""),
            Column("archived_by", lambda: tr("Approved by"),
                   lambda c: c.archived_by.display_name if c.archived_by else ""),
            Column("reason", lambda: tr("Reason"), lambda c: c.reason),
            Column("restorable_until", lambda: tr("Can be brought back until"),
                   lambda c: c.restorable_until.astimezone().strftime("%Y-%m-%d")),
        ], self, key=lambda c: c.archive_id)
        self.table = record_table(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.query = QLineEdit()
        self.query.setPlaceholderText(tr("Customer no., resident ID, credit code or part of the name"))
        self.query.returnPressed.connect(self.refresh)
        search = QPushButton(tr("Search"))
        search.clicked.connect(self.refresh)
        self.restore_button = QPushButton(tr("Bring back..."))
        self.restore_button.setVisible(controller.may("customer.restore"))
        self.restore_button.clicked.connect(lambda: self.confirm_restore())
        self.restore_confirm: QMessageBox | None = None
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(search)
        top.addWidget(self.restore_button)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.pager = Pager(controller, self.model, self, self._show, self._failed)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        q = self.query.text().strip()
        self.pager.refresh(lambda api, page, size: api.archived_customers(q, page, size), {"q": q} if q else {})

    def _show(self, page: Page[ArchivedCustomerRead]) -> None:
        if page.page == 1:
            self.table.resizeColumnsToContents()
            if page.items:
                self.table.selectRow(0)
            self.status.setText("" if page.items else tr("No deleted customer found"))
        self._update_buttons()

    def _failed(self, err: ApiError) -> None:
        self.status.setText(problem_of(err).message)

    def selected(self) -> ArchivedCustomerRead | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_customer(self, customer_id: int) -> bool:
        for i, c in enumerate(self.model.rows()):
            if c.id == customer_id:
                self.table.selectRow(i)
                return True
        return False

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(self.selected() is not None)

    def confirm_restore(self) -> QMessageBox | None:
        """Bring the selected customer back, after a confirmation (Cancel is the default)."""
        c = self.selected()
        if c is None or not self.controller.may("customer.restore"):
            return None
        box, _yes = confirm(self, QMessageBox.Icon.Question, tr("Bring back this customer?"),
                            tr("Bring back %1 (customer no. %2)? They are found by searches again, with their "
                               "finances and history.").replace("%1", c.name).replace("%2", c.customer_no),
                            tr("Bring back"), QMessageBox.ButtonRole.AcceptRole, lambda: self._restore(c))
        self.restore_confirm = box
        return box

    def _restore(self, c: ArchivedCustomerRead) -> None:
        self.restore_button.setEnabled(False)
        self.status.setText(tr("Bringing back..."))

        def done(back: CustomerRead) -> None:
            self.status.setText(tr("Brought back: %1 (%2)").replace("%1", back.name).replace("%2", back.customer_no))
            self.refresh()
        self.controller.call(lambda api: api.restore_customer(c.id), done, self._restore_failed, owner=self)

    def _restore_failed(self, err: ApiError) -> None:
        self._update_buttons()
        self.status.setText(problem_of(err).message)
