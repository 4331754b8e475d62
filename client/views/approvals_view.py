"""Four eyes: the requests waiting for the user's decision ("To decide": made by others,
in the checker's scope) and the user's own requests ("My requests", every status), each
with its count of pending ones; the selected request's payload as a readable diff.
A maker cannot decide their own."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from client.export import ExportSource
from client.i18n import label, tr
from client.models.rows import Column, RowsModel
from client.problems import problem_of
from client.views.widgets import Pager, record_table
from shared.schemas import ApprovalRead, Page

if TYPE_CHECKING:
    from client.api.client import ApiClient, ApiError
    from client.app import Controller

#: how often the pending counts are asked for again (no busy polling: one small request pair a minute)
COUNTS_INTERVAL_MS = 60_000


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


def _user_field_labels() -> dict[str, str]:
    return {"role": tr("Role"), "org_id": tr("Organisation"), "display_name": tr("Display name"),
            "position": tr("Position"), "username": tr("Username"), "disabled": tr("Status")}


def approval_diff(a: ApprovalRead, org_names: dict[int, str], user_names: dict[int, str] | None = None) -> str:
    """The request's payload as lines a checker reads: what it does to whom, and each
    change as `field: old → new`, in the reader's language (`details`, not `summary`)."""
    d = a.details
    users = user_names or {}
    none = tr("(none)")

    def org(v: Any) -> str:
        if v in (None, ""):
            return none
        return org_names.get(int(v), str(v)) if str(v).isdigit() else str(v)

    def manager(v: Any) -> str:
        if v in (None, ""):
            return none
        return users.get(int(v), f"#{v}") if str(v).isdigit() else str(v)

    lines: list[str] = []
    if a.kind == "customer.delete":
        line = tr("Delete customer %1 (%2, %3)").replace("%1", str(d.get("customer_no") or a.object_id or "")) \
            .replace("%2", org(d.get("org_id"))).replace("%3", manager(d.get("manager_id")))
        if d.get("reason"):
            line += tr(" — reason: %1").replace("%1", str(d["reason"]))
        lines.append(line)
    elif a.kind == "customer.reassign":
        lines.append(tr("Reassign customer %1").replace("%1", str(d.get("customer_no") or a.object_id or "")))
        for f, caption, show in (("org_id", tr("Branch"), org), ("manager_id", tr("Account manager"), manager)):
            if f"{f}_from" in d or f"{f}_to" in d:
                lines.append(f"{caption}: {show(d.get(f'{f}_from'))} → {show(d.get(f'{f}_to'))}")
    elif a.kind.startswith("user."):
        names = _user_field_labels()
        who = f"{d.get('display_name') or ''} ({d.get('username') or a.object_id or ''})".strip()
        lines.append(f"{label('approval_kind', a.kind)}: {who}")

        def value(f: str, v: Any) -> str:
            if v in (None, ""):
                return none
            if f == "role":
                return label("role", str(v))
            if f == "position":
                return label("position", str(v))
            return org(v) if f == "org_id" else str(v)
        if d.get("user_id"):  # a change of an existing user: old → new
            for key in sorted(k for k in d if k.startswith("new_")):
                f = key.removeprefix("new_")
                lines.append(f"{names.get(f, f)}: {value(f, d.get(f))} → {value(f, d[key])}")
        else:  # a new user: what they would be
            for f in ("role", "org_id", "position"):
                if d.get(f) not in (None, ""):
                    lines.append(f"{names[f]}: → {value(f, d[f])}")
    else:
        lines.append(f"{label('approval_kind', a.kind)}: {approval_details(a, org_names) or a.summary}")
    if a.status != "pending":
        decided = tr("%1 by %2").replace("%1", label("approval_status", str(a.status))) \
            .replace("%2", a.decided_by.display_name if a.decided_by else "")
        if a.reason:
            decided += tr(" — reason: %1").replace("%1", a.reason)
        lines.append(decided)
    return "\n".join(lines)


def _not_mine(page: Page[ApprovalRead], me: int) -> Page[ApprovalRead]:
    """The server lists a checker's own requests with those to decide: they are under
    "My requests" instead."""
    return page.model_copy(update={"items": [a for a in page.items if a.maker.id != me]})


class ApprovalsView(QWidget):
    """Signals: counts_changed() when the numbers of pending requests were read again
    (`title()` is the navigation's text)."""

    counts_changed = Signal()

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.can_decide = controller.may("approval.decide")
        self.me = controller.me.user.id
        self.user_names: dict[int, str] = {}
        #: pending requests to decide, and the user's own pending ones (None: not known yet)
        self.to_decide_count: int | None = None
        self.mine_count: int | None = None

        def columns(mine: bool) -> list[Column[ApprovalRead]]:
            out: list[Column[ApprovalRead]] = [
                Column("created_at", lambda: tr("Requested"),
                       lambda a: a.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
                Column("maker", lambda: tr("Requested by"), lambda a: a.maker.display_name),
                Column("kind", lambda: tr("Request"), lambda a: label("approval_kind", a.kind)),
                Column("summary", lambda: tr("Details"), lambda a: approval_details(a, controller.org_names)),
            ]
            if mine:
                out.append(Column("status", lambda: tr("Status"), lambda a: label("approval_status", str(a.status))))
            return out
        self.model: RowsModel[ApprovalRead] = RowsModel(columns(False), self, key=lambda a: a.id)
        self.table = record_table(self.model)
        self.mine_model: RowsModel[ApprovalRead] = RowsModel(columns(True), self, key=lambda a: a.id)
        self.mine_table = record_table(self.mine_model)
        for t in (self.table, self.mine_table):
            t.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        self.lists = QTabWidget()
        self.lists.setDocumentMode(True)
        if self.can_decide:
            self.lists.addTab(self.table, tr("To decide"))
        self.lists.addTab(self.mine_table, tr("My requests"))
        self.lists.currentChanged.connect(lambda _i: self._selection_changed())
        self.diff = QLabel()
        self.diff.setObjectName("approvalDiff")
        self.diff.setWordWrap(True)
        self.diff.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.diff.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.diff.setMinimumHeight(60)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("Reason (shown to the requester; required to reject)"))
        self.reason.setMaxLength(500)
        self.approve_button = QPushButton(tr("Approve"))
        self.reject_button = QPushButton(tr("Reject"))
        refresh = QPushButton(tr("Refresh"))
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.reject_button.clicked.connect(lambda: self.decide(False))
        refresh.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.reason, 1)
        for b in (self.approve_button, self.reject_button):
            b.setVisible(self.can_decide)
            row.addWidget(b)
        self.reason.setVisible(self.can_decide)
        row.addWidget(refresh)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.lists, 1)
        layout.addWidget(self.diff)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.pager = Pager(controller, self.model, self, lambda p: self._show(self.table, p), self._failed)
        self.mine_pager = Pager(controller, self.mine_model, self, lambda p: self._show(self.mine_table, p),
                                self._failed)
        self.timer = QTimer(self)
        self.timer.setInterval(COUNTS_INTERVAL_MS)
        self.timer.timeout.connect(self.refresh_counts)
        self.timer.start()
        if self.can_decide and controller.may("user.read"):  # names for the account managers in a diff
            controller.call(lambda api: {u.id: u.display_name for u in api.users()}, self._users_listed,
                            lambda _e: None, owner=self)
        self._update_buttons()
        self.refresh()

    # ------------------------------------------------------------------ lists and counts
    def refresh(self) -> None:
        """Both lists and their counts, again."""
        me = self.me
        if self.can_decide:
            self.pager.refresh(lambda api, page, size: _not_mine(api.approvals_page("pending", page, size), me),
                               {"status": "pending"})
        self.mine_pager.refresh(lambda api, page, size: api.approvals_page(None, page, size, mine=True),
                                {"mine": "true"})
        self.refresh_counts()

    def refresh_counts(self) -> None:
        can_decide = self.can_decide

        def count(api: ApiClient) -> tuple[int | None, int]:
            mine = api.approvals_page("pending", 1, 1, mine=True).total
            if not can_decide:
                return None, mine
            return api.approvals_page("pending", 1, 1).total - mine, mine
        self.controller.call(count, self._counted, lambda _e: None, owner=self)

    def _counted(self, counts: tuple[int | None, int]) -> None:
        self.to_decide_count, self.mine_count = counts
        for page, n, text in ((self.table, self.to_decide_count, tr("To decide")),
                              (self.mine_table, self.mine_count, tr("My requests"))):
            i = self.lists.indexOf(page)
            if i >= 0:
                self.lists.setTabText(i, f"{text} ({n})" if n else text)
        self.counts_changed.emit()

    def pending_count(self) -> int:
        """The number the navigation shows: a checker's requests to decide, a maker's own pending."""
        return (self.to_decide_count if self.can_decide else self.mine_count) or 0

    def title(self) -> str:
        n = self.pending_count()
        return tr("Approvals (%1)").replace("%1", str(n)) if n else tr("Approvals")

    def export_source(self) -> ExportSource[ApprovalRead]:
        if self.lists.currentWidget() is self.mine_table:
            return self.mine_pager.export_source("approvals", tr("My requests"))
        return self.pager.export_source("approvals", tr("Approvals"))

    def _users_listed(self, names: dict[int, str]) -> None:
        self.user_names = names
        self._selection_changed()

    def _show(self, table: QTableView, page: Page[ApprovalRead]) -> None:
        if page.page == 1:
            table.resizeColumnsToContents()
            if page.items:
                table.selectRow(0)
        self._selection_changed()

    def _failed(self, err: ApiError) -> None:
        self.status.setText(problem_of(err).message)

    # ------------------------------------------------------------------ the selected request
    def _current_table(self) -> QTableView:
        w = self.lists.currentWidget()
        return self.mine_table if w is self.mine_table else self.table

    def selected(self) -> ApprovalRead | None:
        """The request selected in the list on screen."""
        table = self._current_table()
        model = self.mine_model if table is self.mine_table else self.model
        rows = table.selectionModel().selectedRows()
        return model.row_at(rows[0].row()) if rows else None

    def select_request(self, approval_id: int) -> bool:
        """Select the request in the list on screen; whether it is listed there."""
        table = self._current_table()
        model = self.mine_model if table is self.mine_table else self.model
        for i, a in enumerate(model.rows()):
            if a.id == approval_id:
                table.selectRow(i)
                return True
        return False

    def diff_text(self, a: ApprovalRead) -> str:
        return approval_diff(a, self.controller.org_names, self.user_names)

    def _selection_changed(self) -> None:
        a = self.selected()
        self.diff.setText(self.diff_text(a) if a is not None else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        a = self.selected()
        deciding = self.lists.currentWidget() is self.table
        mine = a is not None and a.maker.id == self.me
        for b in (self.approve_button, self.reject_button):
            b.setEnabled(a is not None and deciding and not mine and a.status == "pending")
            b.setToolTip(tr("You cannot decide your own request") if mine else "")

    def decide(self, approve: bool) -> None:
        a = self.selected()
        if a is None or not self.approve_button.isEnabled():
            return
        reason = self.reason.text().strip() or None
        if not approve and reason is None:
            self.status.setText(tr("Give a reason for rejecting: the requester reads it"))
            self.reason.setFocus()
            return

        def done(result: ApprovalRead) -> None:
            self.reason.clear()
            self.status.setText((tr("Approved: %1") if approve else tr("Rejected: %1"))
                                .replace("%1", approval_details(result, self.controller.org_names)))
            self.refresh()
        self.controller.call(lambda api: api.decide_approval(a.id, a.version, approve, reason), done, self._failed,
                             owner=self)
