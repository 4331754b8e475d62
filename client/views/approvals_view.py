"""Four eyes: requests another admin made (granting a privileged role) wait here for a
second head-office admin to approve or reject them. A maker cannot decide their own."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from client.export import ExportSource
from client.i18n import label, tr
from client.models.rows import Column, RowsModel
from client.problems import problem_of
from client.views.widgets import Pager, record_table
from shared.schemas import ApprovalRead, Page

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller


def approval_details(a: ApprovalRead, org_names: dict[int, str]) -> str:
    """What a request is about, in the reader's language, from its structured `details`
    (the server's `summary` is English, for API users): whom or which customer, and the
    role or organisation it would give."""
    d = a.details
    if d.get("customer_no"):
        subject = str(d["customer_no"])
    elif d.get("username"):
        subject = f"{d.get('display_name') or ''} ({d['username']})".strip()
    else:
        subject = str(a.object_id or "")
    parts = [subject]
    role = d.get("new_role") or (d.get("role") if a.kind in ("user.create", "user.grant_privileged")
                                 and not d.get("user_id") else None)
    if role:
        parts.append(tr("role: %1").replace("%1", label("role", str(role))))
    org = d.get("new_org_id") or d.get("org_id_to")
    if org and str(org).isdigit():
        parts.append(tr("to %1").replace("%1", org_names.get(int(org), str(org))))
    if d.get("manager_id_to") is not None:
        parts.append(tr("a new account manager"))
    return tr("; ").join(p for p in parts if p)


class ApprovalsView(QWidget):
    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.model: RowsModel[ApprovalRead] = RowsModel([
            Column("created_at", lambda: tr("Requested"),
                   lambda a: a.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
            Column("maker", lambda: tr("Requested by"), lambda a: a.maker.display_name),
            Column("kind", lambda: tr("Request"), lambda a: label("approval_kind", a.kind)),
            Column("summary", lambda: tr("Details"), lambda a: approval_details(a, controller.org_names)),
        ], self, key=lambda a: a.id)
        self.table = record_table(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("Reason (shown to the requester)"))
        self.reason.setMaxLength(500)
        self.approve_button = QPushButton(tr("Approve"))
        self.reject_button = QPushButton(tr("Reject"))
        refresh = QPushButton(tr("Refresh"))
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.reject_button.clicked.connect(lambda: self.decide(False))
        refresh.clicked.connect(self.refresh)
        can_decide = controller.may("approval.decide")
        row = QHBoxLayout()
        row.addWidget(self.reason, 1)
        for b in (self.approve_button, self.reject_button):
            b.setVisible(can_decide)
            row.addWidget(b)
        row.addWidget(refresh)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Waiting for a decision")))
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.pager = Pager(controller, self.model, self, self._show, self._failed)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        self.pager.refresh(lambda api, page, size: api.approvals_page("pending", page, size), {"status": "pending"})

    def export_source(self) -> ExportSource[ApprovalRead]:
        return self.pager.export_source("approvals", tr("Approvals"))

    def _show(self, page: Page[ApprovalRead]) -> None:
        if page.page == 1:
            self.table.resizeColumnsToContents()
            if page.items:
                self.table.selectRow(0)
        self._update_buttons()

    def _failed(self, err: ApiError) -> None:
        self.status.setText(problem_of(err).message)

    def selected(self) -> ApprovalRead | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        a = self.selected()
        mine = a is not None and a.maker.id == self.controller.me.user.id
        for b in (self.approve_button, self.reject_button):
            b.setEnabled(a is not None and not mine)
            b.setToolTip(tr("You cannot decide your own request") if mine else "")

    def decide(self, approve: bool) -> None:
        a = self.selected()
        if a is None:
            return
        reason = self.reason.text().strip() or None

        def done(result: ApprovalRead) -> None:
            self.reason.clear()
            self.status.setText((tr("Approved: %1") if approve else tr("Rejected: %1")).replace("%1", result.summary))
            self.refresh()
        self.controller.call(lambda api: api.decide_approval(a.id, a.version, approve, reason), done, self._failed,
                             owner=self)
