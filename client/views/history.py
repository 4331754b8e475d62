"""A customer's change history as a table: when, who, what, field, before, after; the
stored values shown as the user knows them (org names, translated codes). The profile
form's History tab and the auditor's trail both use it."""
from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from client.i18n import current_language, field_labels, label, tr
from shared.finance_words import LINE_WORDS, word
from shared.schemas import HistoryEntry

if TYPE_CHECKING:
    from client.app import Controller

CHOICES = ("gender", "marital_status", "education", "income_band", "lifecycle_stage")
#: A statement line's history field: `balance_sheet.cash`, `balance_sheet.other_liquid[金条]`,
#: `income_statement.wages#12` (server/services/finance.py, `_by_line`).
_LINE_FIELD = re.compile(r"(balance_sheet|income_statement)\.(\w+)(?:\[(.*)\])?(?:#(\d+))?")


def field_name(field: str) -> str:
    """A history entry's field in the user's words, a statement line's included."""
    m = _LINE_FIELD.fullmatch(field)
    if m is None:
        return {"household": tr("Household members")}.get(field) or field_labels().get(field, field)
    kind, line_type, line_label, member = m.groups()
    statement = tr("Balance sheet") if kind == "balance_sheet" else tr("Income table")
    name = line_label or (word(LINE_WORDS[line_type], current_language()) if line_type in LINE_WORDS else line_type)
    return f"{statement} · {name}" + (f" ({tr('member')} {member})" if member else "")


def value_text(v: Any) -> str:
    if v is None:
        return ""
    return v.isoformat() if isinstance(v, date) else str(v)


def display_value(field: str, v: Any) -> str:
    """A coded value in the user's language."""
    return label(field, value_text(v)) if field in CHOICES else value_text(v)


class HistoryTable(QTableWidget):
    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(0, 6, parent)
        self.controller = controller
        self.setHorizontalHeaderLabels([tr("When"), tr("Who"), tr("What"), tr("Field"), tr("Before"), tr("After")])
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

    def show_entries(self, entries: list[HistoryEntry]) -> None:
        self.setRowCount(len(entries))
        for row, e in enumerate(entries):
            cells = (e.at.astimezone().strftime("%Y-%m-%d %H:%M"), e.actor.display_name if e.actor else "",
                     label("action", e.action), field_name(e.field or ""),
                     e.old_label or self.display(e.field or "", e.old),
                     e.new_label or self.display(e.field or "", e.new))
            for col, text in enumerate(cells):
                self.setItem(row, col, QTableWidgetItem(text))
        self.resizeColumnsToContents()

    def display(self, field: str, v: Any) -> str:
        """A stored value as the user knows it: org names, own name, translated codes."""
        if v is None:
            return ""
        if field == "org_id" and v is not None:
            return self.controller.org_names.get(int(v), str(v))
        if field == "manager_id" and v is not None:
            return self.controller.me.user.display_name if int(v) == self.controller.me.user.id else f"#{v}"
        if field == "type":
            return {"personal": tr("Personal"), "corporate": tr("Corporate")}.get(str(v), str(v))
        return display_value(field, v)
