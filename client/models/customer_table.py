"""Search results as a Qt table model."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from client.i18n import label, tr
from shared.schemas import CustomerSummary

Index = QModelIndex | QPersistentModelIndex


class CustomerTableModel(QAbstractTableModel):
    COLUMNS = ("customer_no", "name", "gender", "birth_date", "id_number", "phone", "org")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[CustomerSummary] = []
        self._org_names: dict[int, str] = {}

    def set_org_names(self, names: dict[int, str]) -> None:
        self._org_names = names

    def set_rows(self, rows: list[CustomerSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def customer_at(self, row: int) -> CustomerSummary:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return {"customer_no": tr("Customer no."), "name": tr("Name"), "gender": tr("Gender"),
                    "birth_date": tr("Date of birth"), "id_number": tr("Resident ID"), "phone": tr("Mobile"),
                    "org": tr("Branch")}[self.COLUMNS[section]]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        c = self._rows[index.row()]
        col = self.COLUMNS[index.column()]
        if col == "gender":
            return label("gender", c.gender)
        if col == "birth_date":
            return c.birth_date.isoformat() if c.birth_date else ""
        if col == "org":
            return self._org_names.get(c.org_id, "")
        if col == "id_number":
            return c.id_number or c.uscc or ""
        return str(getattr(c, col) or "")
