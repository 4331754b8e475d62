"""Search results as a Qt table model. Personal and corporate customers have columns of
their own (a company has a credit code, no gender or age); a list of both shows the
type and the identifier column holds whichever the customer has."""
from __future__ import annotations

from PySide6.QtCore import QObject

from client.i18n import label, tr
from client.models.rows import Column, RowsModel
from shared.enums import CustomerSort, CustomerType
from shared.schemas import CustomerSummary

C = Column[CustomerSummary]


class CustomerTableModel(RowsModel[CustomerSummary]):
    def __init__(self, parent: QObject | None = None) -> None:
        self._org_names: dict[int, str] = {}
        self.kind: CustomerType | None = None
        super().__init__(self._columns(None), parent, key=lambda c: c.id)

    def _columns(self, kind: CustomerType | None) -> list[C]:
        number = C("customer_no", lambda: tr("Customer no."), lambda c: c.customer_no or "",
                   sort=CustomerSort.CUSTOMER_NO)
        org = C("org", lambda: tr("Branch"), lambda c: self._org_names.get(c.org_id, ""))
        manager = C("manager", lambda: tr("Account manager"), lambda c: c.manager_name or "")
        phone = C("phone", lambda: tr("Mobile"), lambda c: c.phone or "")
        gender = C("gender", lambda: tr("Gender"), lambda c: label("gender", c.gender))
        # lists mask the birth date with the resident ID (its digits 7-14): the age instead
        age = C("age", lambda: tr("Age"), lambda c: "" if c.age is None else str(c.age))
        if kind == CustomerType.CORPORATE:
            return [number, C("name", lambda: tr("Company name"), lambda c: c.name, sort=CustomerSort.NAME),
                    C("uscc", lambda: tr("Credit code"), lambda c: c.uscc or ""),
                    C("phone", lambda: tr("Phone"), lambda c: c.phone or ""), org, manager]
        name = C("name", lambda: tr("Name"), lambda c: c.name, sort=CustomerSort.NAME)
        if kind == CustomerType.PERSONAL:
            return [number, name, gender, age, C("id_number", lambda: tr("Resident ID"), lambda c: c.id_number or ""),
                    phone, org, manager]
        return [number, name, C("type", lambda: tr("Type"), lambda c: label("customer_type", c.type)), gender, age,
                C("id_number", lambda: tr("Resident ID / credit code"), lambda c: c.id_number or c.uscc or ""),
                phone, org, manager]

    def set_kind(self, kind: CustomerType | None) -> None:
        """The columns for a list of this type of customer (None: both types)."""
        if kind == self.kind:
            return
        self.kind = kind
        self.beginResetModel()
        self.columns = self._columns(kind)
        self._rows = []
        self.endResetModel()

    def set_org_names(self, names: dict[int, str]) -> None:
        self._org_names = names

    def customer_at(self, row: int) -> CustomerSummary:
        return self.row_at(row)
