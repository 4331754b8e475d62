"""Search results as a Qt table model."""
from __future__ import annotations

from PySide6.QtCore import QObject

from client.i18n import label, tr
from client.models.rows import Column, RowsModel
from shared.enums import CustomerSort
from shared.schemas import CustomerSummary


class CustomerTableModel(RowsModel[CustomerSummary]):
    def __init__(self, parent: QObject | None = None) -> None:
        self._org_names: dict[int, str] = {}
        super().__init__([
            Column("customer_no", lambda: tr("Customer no."), lambda c: c.customer_no or "",
                   sort=CustomerSort.CUSTOMER_NO),
            Column("name", lambda: tr("Name"), lambda c: c.name, sort=CustomerSort.NAME),
            Column("gender", lambda: tr("Gender"), lambda c: label("gender", c.gender)),
            # lists mask the birth date with the resident ID (its digits 7-14): the age instead
            Column("age", lambda: tr("Age"), lambda c: "" if c.age is None else str(c.age)),
            Column("id_number", lambda: tr("Resident ID"), lambda c: c.id_number or c.uscc or ""),
            Column("phone", lambda: tr("Mobile"), lambda c: c.phone or ""),
            Column("org", lambda: tr("Branch"), lambda c: self._org_names.get(c.org_id, "")),
        ], parent, key=lambda c: c.id)

    def set_org_names(self, names: dict[int, str]) -> None:
        self._org_names = names

    def customer_at(self, row: int) -> CustomerSummary:
        return self.row_at(row)
