"""The organisation tree: head office, branches, sub-branches. Head-office admins add
a branch under the head office or a sub-branch under a branch, and rename or re-code
one; everyone else sees the tree read-only."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.i18n import label, tr
from client.problems import Kind, problem_of
from client.views.widgets import FieldErrors, error_label, ok_cancel
from shared.enums import ORG_PARENT_KIND, OrgKind
from shared.schemas import OrgRead

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller

CHILD_KIND = {parent: kind for kind, parent in ORG_PARENT_KIND.items() if parent is not None}


class OrgDialog(QDialog):
    """New organisation under `parent`, or edit `org`. Signals: submitted(dict)."""

    submitted = Signal(dict)

    def __init__(self, parent_org: OrgRead | None, org: OrgRead | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.org, self.parent_org = org, parent_org
        kind = org.kind if org else CHILD_KIND[OrgKind(parent_org.kind)]  # type: ignore[union-attr]
        self.kind = str(kind)
        self.setWindowTitle(tr("Edit organisation") if org else tr("New organisation"))
        self.setMinimumWidth(380)
        form = QFormLayout()
        self.errors = FieldErrors(form)
        form.addRow(tr("Kind"), QLabel(label("org_kind", self.kind)))
        if parent_org is not None:
            form.addRow(tr("Under"), QLabel(parent_org.name))
        self.code = QLineEdit(org.code if org else "")
        self.code.setMaxLength(20)
        self.name = QLineEdit(org.name if org else "")
        self.name.setMaxLength(100)
        self.errors.add_row("code", tr("Code"), self.code)
        self.errors.add_row("name", tr("Name", "of an organisation"), self.name)
        self.message = error_label()
        self.buttons = ok_cancel(self, tr("Save"), self.submit, QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def changes(self) -> dict[str, Any]:
        values = {"code": self.code.text().strip(), "name": self.name.text().strip()}
        if self.org is None:
            assert self.parent_org is not None
            return {**values, "kind": self.kind, "parent_id": self.parent_org.id}
        return {k: v for k, v in values.items() if v != getattr(self.org, k)}

    def submit(self) -> None:
        ok = True
        for f, w in (("code", self.code), ("name", self.name)):
            empty = not w.text().strip()
            self.errors.show(f, "field.required" if empty else None)
            ok = ok and not empty
        if not ok:
            return
        changes = self.changes()
        if not changes:
            self.reject()
            return
        self.buttons.setEnabled(False)
        self.submitted.emit(changes)

    def failed(self, err: ApiError) -> None:
        self.buttons.setEnabled(True)
        self.errors.show_problem(err, self.message, {"org.code.duplicate": "code"})


class OrgTreeView(QWidget):
    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.can_manage = controller.may("org.manage")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([tr("Organisation"), tr("Code"), tr("Kind")])
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_a: self.edit_selected())
        self.new_button = QPushButton(tr("New organisation under the selected one"))
        self.edit_button = QPushButton(tr("Edit"))
        self.new_button.clicked.connect(self.create_org)
        self.edit_button.clicked.connect(self.edit_selected)
        row = QHBoxLayout()
        for b in (self.new_button, self.edit_button):
            b.setVisible(self.can_manage)
            row.addWidget(b)
        row.addStretch(1)
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)
        self.dialog: OrgDialog | None = None
        controller.orgs_changed.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        keep = self.selected()
        self.tree.clear()
        items: dict[int, QTreeWidgetItem] = {}
        for o in self.controller.orgs:  # parents come before children (ordered by path)
            item = QTreeWidgetItem([o.name, o.code, label("org_kind", o.kind)])
            item.setData(0, Qt.ItemDataRole.UserRole, o.id)
            parent = items.get(o.parent_id) if o.parent_id else None
            (parent.addChild(item) if parent else self.tree.addTopLevelItem(item))
            items[o.id] = item
            if keep is not None and o.id == keep.id:
                self.tree.setCurrentItem(item)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self._update_buttons()

    def selected(self) -> OrgRead | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        org_id = item.data(0, Qt.ItemDataRole.UserRole)
        return next((o for o in self.controller.orgs if o.id == org_id), None)

    def select_org(self, name: str) -> bool:
        found = self.tree.findItems(name, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive, 0)
        if found:
            self.tree.setCurrentItem(found[0])
        return bool(found)

    def _update_buttons(self) -> None:
        o = self.selected()
        self.new_button.setEnabled(o is not None and OrgKind(o.kind) in CHILD_KIND)
        self.edit_button.setEnabled(o is not None)

    def create_org(self) -> OrgDialog | None:
        parent_org = self.selected()
        if parent_org is None or OrgKind(parent_org.kind) not in CHILD_KIND:
            return None
        return self._open(OrgDialog(parent_org, None, self),
                          lambda api, data: api.create_org(data))

    def edit_selected(self) -> OrgDialog | None:
        org = self.selected()
        if org is None or not self.can_manage:
            return None
        parent_org = next((o for o in self.controller.orgs if o.id == org.parent_id), None)
        return self._open(OrgDialog(parent_org, org, self),
                          lambda api, data: api.update_org(org.id, org.version, data))

    def _open(self, d: OrgDialog, send: Any) -> OrgDialog:
        def saved(org: OrgRead) -> None:
            d.accept()
            self.status.setText(tr("Saved %1").replace("%1", org.name))
            self.controller.reload_orgs()

        def failed(err: ApiError) -> None:
            p = problem_of(err)
            if p.kind is Kind.CONFLICT and p.current is not None:
                d.accept()
                self.status.setText(tr("%1 was changed by someone else meanwhile; nothing was saved. "
                                       "Check and try again.").replace("%1", str(p.current.get("name", ""))))
                self.controller.reload_orgs()
            else:
                d.failed(err)
        d.submitted.connect(lambda data: self.controller.call(lambda api: send(api, data), saved, failed, owner=d))
        self.dialog = d
        d.open()
        return d
