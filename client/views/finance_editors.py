"""The household-finance statement editors (household-finance.md, R-501 … R-502): the
balance sheet and the annual income, expense and savings table, each as one grouped
table that staff type into as into a spreadsheet.

Each group of the statement is a header row with its words and its live subtotal, a
row per standard line type (blank: not entered), then the lines the user named
(`other_*`, with a label); total rows close the table. The income table has a column
per household member for income lines and a "Household" column for what belongs to no
member (and for expenses). Every non-empty cell is one line of the API's shape.

Pure Qt widgets, no HTTP: the screen that owns an editor loads it (`set_lines`), saves
`lines()` when `save_requested` fires and hands back the server's field errors
(`show_errors`). The totals are `shared.finance`'s (the server's own code) of what is
on screen, so the live preview cannot disagree with the saved statement.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from client.i18n import current_language, error_message, tr
from client.views.widgets import error_label
from shared.finance import (
    BALANCE_GROUPS,
    INCOME_GROUPS,
    LABELLED_LINES,
    LINE_GROUPS,
    MEMBER_LINES,
    BalanceTotals,
    Group,
    IncomeTotals,
    Line,
    balance_totals,
    income_totals,
    money_text,
)
from shared.finance_words import GROUP_WORDS, LINE_WORDS, word
from shared.parameters import MONEY_MAX
from shared.schemas import MAX_STATEMENT_LINES, FinanceLineRead

Index = QModelIndex | QPersistentModelIndex
StatementKind = Literal["balance", "income"]
LineData = FinanceLineRead | Mapping[str, Any]

# ----------------------------------------------------------------------------- amounts
AMOUNT_INVALID = "finance.amount.invalid"
AMOUNT_NEGATIVE = "finance.amount.negative"
AMOUNT_TOO_MANY_DECIMALS = "finance.amount.too_many_decimals"
AMOUNT_TOO_LARGE = "finance.amount.too_large"
#: The contract's largest line amount (shared/parameters.py, `Money`).
MAX_AMOUNT = Decimal(MONEY_MAX)
CENT = Decimal("0.01")
#: Room for any sum of a statement's lines: quantize never runs out of digits.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)
#: What NFKC leaves as it is that staff type for a point or a minus: the 。 of a Chinese
#: input method in its full-width punctuation mode, a typographic minus.
_EXTRA = str.maketrans({"。": ".", "\u2212": "-"})
#: After normalising: an accountant's (parentheses) negative, a sign and the yen sign in
#: either order, then digits with commas grouping by three (or none) and a fraction.
_AMOUNT = re.compile(r"(\()?([-+]?¥?[-+]?)((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(\))?")
#: The longest text an amount cell takes (longer is not an amount anyway).
AMOUNT_MAX_LENGTH = 40
#: `FinanceLineIn.label`'s longest.
LABEL_MAX_LENGTH = 60


class AmountError(ValueError):
    """A typed amount that is not one: `code` says why (one of the AMOUNT_* codes)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


def parse_amount(text: str) -> Decimal | None:
    """An amount as staff type or paste it, with two decimals; None when blank.

    Takes grouping commas ("1,234,567.5"), spaces, a leading ¥ or ￥, full-width digits
    and punctuation ("１２，０００．５"). Raises `AmountError` for what is not a number
    (commas that do not group by three, "1,50", are refused rather than guessed), a
    negative, more than two decimals ("0.005", "1.500": as the server counts them) and
    anything above 999,999,999,999.99. Decimal throughout, never float."""
    s = "".join(unicodedata.normalize("NFKC", text).translate(_EXTRA).split())
    if not s:
        return None
    m = _AMOUNT.fullmatch(s)
    if m is None or bool(m[1]) != bool(m[4]) or m[2].count("-") + m[2].count("+") > 1:
        raise AmountError(AMOUNT_INVALID, text)
    try:
        value = Decimal(m[3].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits decimals only
        raise AmountError(AMOUNT_INVALID, text) from None
    if (m[1] or "-" in m[2]) and value != 0:
        raise AmountError(AMOUNT_NEGATIVE, text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise AmountError(AMOUNT_TOO_MANY_DECIMALS, text)
    if value > MAX_AMOUNT:
        raise AmountError(AMOUNT_TOO_LARGE, text)
    return value.quantize(CENT, context=_CONTEXT)


def format_amount(d: Decimal) -> str:
    """Grouped by thousands with two decimals, as the screen shows money: "1,234,567.50"."""
    return f"{d.quantize(CENT, context=_CONTEXT) + 0:,.2f}"  # + 0: no "-0.00"


def amount_error_text(code: str) -> str:
    """The user's words for an AMOUNT_* code (or any other error code)."""
    words = {
        AMOUNT_INVALID: tr("Not an amount (such as 12,000.50)"),
        AMOUNT_NEGATIVE: tr("An amount cannot be negative"),
        AMOUNT_TOO_MANY_DECIMALS: tr("At most two decimal places"),
        AMOUNT_TOO_LARGE: tr("At most 999,999,999,999.99"),
    }
    return words.get(code) or error_message(code)


def change_text(change: Decimal | None) -> str:
    """A change against the previous statement, marked by an arrow as well as its sign."""
    if change is None:
        return ""
    if change > 0:
        return "▲ +" + format_amount(change)
    if change < 0:
        return "▼ " + format_amount(change)
    return format_amount(change)


# ----------------------------------------------------------------------------- the model
#: The statements' groups, in their order.
KIND_GROUPS: dict[str, tuple[Group, ...]] = {"balance": BALANCE_GROUPS, "income": INCOME_GROUPS}
#: The total rows after the groups: attributes of `BalanceTotals` / `IncomeTotals`.
KIND_TOTALS: dict[str, tuple[str, ...]] = {"balance": ("total_assets", "total_liabilities", "net_worth"),
                                           "income": ("income", "expense", "savings")}
#: The `other_*` types a group's "Add line…" adds (expenses: an other living expense or another expense).
GROUP_OTHERS: dict[Group, tuple[str, ...]] = {
    g: tuple(t for t, tg in LINE_GROUPS.items() if tg == g and t in LABELLED_LINES) for g in Group}
#: The parts of the living expense: a line added among them is an other living expense.
LIVING_PARTS = frozenset(("living", "food", "clothing", "transport_telecom", "education", "medical", "leisure",
                          "other_living"))

VALUE_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the Decimal a cell shows (None: blank)
ROW_KIND_ROLE = int(Qt.ItemDataRole.UserRole) + 2  # "group", "line" or "total"
LINE_TYPE_ROLE = int(Qt.ItemDataRole.UserRole) + 3  # a line row's `type`
PROBLEM_ROLE = int(Qt.ItemDataRole.UserRole) + 4  # what is wrong with this cell ("": nothing)

GROUP_BACKGROUND = QColor("#e4ecf7")
TOTAL_BACKGROUND = QColor("#ececec")
ERROR_BACKGROUND = QColor("#f7cfcf")
ERROR_TEXT = QColor("#b00020")
PLACEHOLDER_TEXT = QColor("#767676")
#: Figures keep clear of the grid lines.
TABLE_STYLE = "QTableView::item { padding: 0px 6px; } QHeaderView::section { padding: 2px 6px; }"
#: A line row's name is indented under its group's header.
INDENT = "    "
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_LINE_FIELD = re.compile(r"lines\[(\d+)\](?:\.(\w+))?")

RowKind = Literal["group", "line", "total"]
ColumnRole = Literal["line", "amount", "total", "previous", "change", "problem"]
MemberKey = int | None


@dataclass
class Cell:
    """What was typed into one (line, member) cell: its amount, or the code of what is
    wrong with it (kept as typed), and the server's words on it after a save."""

    text: str
    value: Decimal | None = None
    code: str | None = None
    server: str = ""


def cell_of(text: str) -> Cell | None:
    try:
        value = parse_amount(text)
    except AmountError as e:
        return Cell(text, None, e.code)
    return None if value is None else Cell(text, value)


@dataclass(eq=False)
class Row:
    kind: RowKind
    group: Group | None = None
    #: a line row's `type`
    type: str = ""
    #: a total row's attribute of the totals
    total: str = ""
    #: an `other_*` line's name
    label: str = ""
    #: the row every statement shows for its standard type: cleared, never removed
    standard: bool = False
    cells: dict[MemberKey, Cell] = field(default_factory=dict)
    #: the lines of the statement compared with that this row stands for
    previous: list[Line] = field(default_factory=list)
    #: added to show a line of the compared statement this one does not have
    from_previous: bool = False
    #: the server's words on the label, and on the line as a whole
    label_problem: str = ""
    line_problem: str = ""

    @property
    def labelled(self) -> bool:
        return self.type in LABELLED_LINES

    def name(self) -> str:
        if self.kind == "group":
            assert self.group is not None
            return word(GROUP_WORDS[self.group], current_language())
        if self.kind == "total":
            return total_words(self.total)
        if self.labelled:
            return self.label
        return word(LINE_WORDS[self.type], current_language())


def total_words(total: str) -> str:
    words = {"total_assets": tr("Total assets"), "total_liabilities": tr("Total liabilities"),
             "net_worth": tr("Net worth"), "income": tr("Total income"), "expense": tr("Total expenses"),
             "savings": tr("Savings")}
    return words[total]


@dataclass(frozen=True)
class Column:
    role: ColumnRole
    #: an amount column's household member (None: the household, or the balance sheet's amount)
    member: MemberKey = None


def line_fields(line: LineData) -> tuple[str, str, str | None, int | None]:
    """(type, amount, label, member_id) of a line as the API reads it, or of a dict."""
    if isinstance(line, Mapping):
        member = line.get("member_id")
        return (str(line["type"]), str(line["amount"]), line.get("label"),
                None if member is None else int(member))
    return line.type, line.amount, line.label, line.member_id


class StatementModel(QAbstractTableModel):
    """The rows and cells of one statement (`kind` "balance" or "income")."""

    #: what is on screen changed: each keystroke, a paste, a line added or removed, a load
    edited = Signal()

    def __init__(self, kind: StatementKind, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.groups = KIND_GROUPS[kind]
        self.members: list[tuple[int, str]] = []
        self.read_only = False
        #: the compared statement's caption (None: no comparison) and its lines
        self.compare_caption: str | None = None
        self._previous: list[Line] = []
        self._cache: dict[Any, Any] = {}
        self._batch = 0
        self._pending = False
        self.rows: list[Row] = self._standard_rows()
        self.columns: list[Column] = self._columns()

    # -- structure
    def _standard_rows(self) -> list[Row]:
        rows: list[Row] = []
        for g in self.groups:
            rows.append(Row("group", g))
            rows.extend(Row("line", g, t, standard=True)
                        for t, tg in LINE_GROUPS.items() if tg == g and t not in LABELLED_LINES)
        rows.extend(Row("total", total=t) for t in KIND_TOTALS[self.kind])
        return rows

    def member_ids(self) -> list[int]:
        """The members' columns: those set, then any a loaded line names that is not among them."""
        ids = [m for m, _name in self.members]
        for row in self.rows:
            ids.extend(k for k in row.cells if k is not None and k not in ids)
        return ids

    def _columns(self) -> list[Column]:
        cols = [Column("line")]
        members = self.member_ids() if self.kind == "income" else []
        cols += [Column("amount", m) for m in members]
        cols.append(Column("amount", None))
        if members:
            cols.append(Column("total"))
        if self.compare_caption is not None:
            cols += [Column("previous"), Column("change")]
        cols.append(Column("problem"))
        return cols

    def column_of(self, role: ColumnRole, member: MemberKey = None) -> int:
        try:
            return self.columns.index(Column(role, member))
        except ValueError:
            return -1

    @property
    def sum_column(self) -> int:
        """Where a row's total shows: the Total column, or the one amount column."""
        total = self.column_of("total")
        return total if total >= 0 else self.column_of("amount", None)

    def amount_columns(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.role == "amount"]

    def member_name(self, member: MemberKey) -> str:
        if member is None:
            return tr("Household") if self.kind == "income" else tr("Amount")
        names = dict(self.members)
        return names.get(member) or tr("Member %1").replace("%1", str(member))

    def group_end(self, group: Group) -> int:
        """The position after the group's last row."""
        return max(i for i, r in enumerate(self.rows) if r.group == group) + 1

    # -- editing
    def editable(self, row: Row, col: Column) -> bool:
        if self.read_only or row.kind != "line":
            return False
        if col.role == "line":
            return row.labelled
        return col.role == "amount" and (col.member is None or row.type in MEMBER_LINES)

    def is_amount_cell(self, index: Index) -> bool:
        return (index.isValid() and self.columns[index.column()].role == "amount"
                and self.editable(self.rows[index.row()], self.columns[index.column()]))

    def amount_cells(self) -> list[tuple[int, int]]:
        """The editable amount cells in reading order (what Tab and Enter move through)."""
        cols = self.amount_columns()
        return [(r, c) for r, row in enumerate(self.rows) for c in cols if self.editable(row, self.columns[c])]

    def set_cell(self, row: Row, member: MemberKey, text: str) -> bool:
        """`text` as typed into the (row, member) cell; False when nothing changed."""
        new, old = cell_of(text), row.cells.get(member)
        if (new is None and old is None) or (new is not None and old is not None and new.text == old.text):
            return False
        if new is None:
            del row.cells[member]
        else:
            row.cells[member] = new
        self._touched()
        return True

    def set_label(self, row: Row, text: str) -> bool:
        text = text[:LABEL_MAX_LENGTH]
        if text == row.label:
            return False
        row.label, row.label_problem = text, ""
        self._touched()
        return True

    def snapshot(self, index: Index) -> tuple[str, str] | Cell | None:
        """What a cell holds, to put back when an edit is abandoned (Escape)."""
        row, col = self.rows[index.row()], self.columns[index.column()]
        if col.role == "line":
            return row.label, row.label_problem
        cell = row.cells.get(col.member)
        return None if cell is None else Cell(cell.text, cell.value, cell.code, cell.server)

    def restore(self, index: Index, held: tuple[str, str] | Cell | None) -> None:
        row, col = self.rows[index.row()], self.columns[index.column()]
        if isinstance(held, tuple):
            row.label, row.label_problem = held
        elif held is None:
            row.cells.pop(col.member, None)
        else:
            row.cells[col.member] = held
        self._touched()

    def clear_row(self, row: Row) -> None:
        if row.cells:
            row.cells.clear()
            row.line_problem = ""
            self._touched()

    def insert_line(self, line_type: str, label: str = "", at: int | None = None) -> int:
        """A new row for a line of `line_type` (at the end of its group); its position."""
        group = LINE_GROUPS[line_type]
        pos = self.group_end(group) if at is None else at
        self.beginInsertRows(QModelIndex(), pos, pos)
        self.rows.insert(pos, Row("line", group, line_type, label=label[:LABEL_MAX_LENGTH]))
        self.endInsertRows()
        self._touched()
        return pos

    def remove_row(self, pos: int) -> bool:
        if not (0 <= pos < len(self.rows)) or self.rows[pos].kind != "line" or self.rows[pos].standard:
            return False
        self.beginRemoveRows(QModelIndex(), pos, pos)
        del self.rows[pos]
        self.endRemoveRows()
        self._touched()
        return True

    def begin_batch(self) -> None:
        self._batch += 1

    def end_batch(self) -> None:
        self._batch -= 1
        if self._batch == 0 and self._pending:
            self._pending = False
            self._touched()

    def _touched(self) -> None:
        if self._batch:
            self._pending = True
            return
        self.refresh()
        self.edited.emit()

    # -- loading
    def load(self, lines: Sequence[LineData]) -> None:
        self.beginResetModel()
        self.rows = self._standard_rows()
        for line in lines:
            t, amount, label, member = line_fields(line)
            if LINE_GROUPS.get(t) not in self.groups:
                self.endResetModel()
                raise ValueError(f"{t!r} is not a line of a {self.kind} statement")
            self._place(t, label or "", member, amount)
        self._match_previous()
        self.columns = self._columns()
        self._cache.clear()
        self.endResetModel()
        self.edited.emit()

    def _place(self, line_type: str, label: str, member: MemberKey, amount: str) -> None:
        """A loaded line into the first row of its type (and label) with that cell free,
        or a row of its own: several lines of one type add up, and each stays a line."""
        same = [r for r in self.rows if r.kind == "line" and r.type == line_type
                and (not r.labelled or r.label == label)]
        row = next((r for r in same if member not in r.cells), None)
        if row is None:
            if line_type in LABELLED_LINES or not same:
                pos = self.group_end(LINE_GROUPS[line_type])
            else:
                pos = self.rows.index(same[-1]) + 1
            row = Row("line", LINE_GROUPS[line_type], line_type, label=label)
            self.rows.insert(pos, row)
        cell = cell_of(amount)
        if cell is not None:
            row.cells[member] = cell

    def set_members(self, members: Sequence[tuple[int, str]]) -> None:
        self.beginResetModel()
        self.members = [(int(m), str(name)) for m, name in members]
        self.columns = self._columns()
        self._cache.clear()
        self.endResetModel()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.refresh()

    def set_compare(self, previous: Sequence[LineData] | None, caption: str) -> None:
        self.beginResetModel()
        self.compare_caption = None if previous is None else caption
        self._previous = []
        for line in previous or ():
            t, amount, label, member = line_fields(line)
            try:
                value = parse_amount(amount)
            except AmountError:
                continue
            if LINE_GROUPS.get(t) in self.groups and value is not None:
                self._previous.append(Line(t, value, label, member))
        self._match_previous()
        self.columns = self._columns()
        self._cache.clear()
        self.endResetModel()

    def _match_previous(self) -> None:
        """Each line compared with onto the row it stands for: a standard type's first row,
        an other line's row of the same label, or a row added to show it is gone now."""
        self.rows = [r for r in self.rows if not (r.from_previous and not r.cells)]
        for row in self.rows:
            row.previous = []
        if self.compare_caption is None:
            return
        for line in self._previous:
            key = (line.label or "").strip().casefold()
            found = next((r for r in self.rows if r.kind == "line" and r.type == line.type
                          and (not r.labelled or r.label.strip().casefold() == key)), None)
            if found is None:
                found = Row("line", line.group, line.type, label=line.label or "", from_previous=True)
                self.rows.insert(self.group_end(line.group), found)
            found.previous.append(line)

    # -- figures
    def _totals_of(self, lines: Sequence[Line]) -> BalanceTotals | IncomeTotals:
        return balance_totals(lines) if self.kind == "balance" else income_totals(lines)

    def row_lines(self, row: Row) -> list[Line]:
        """The row's valid cells as lines (an invalid cell counts for nothing)."""
        label = row.label.strip() or None if row.labelled else None
        return [Line(row.type, c.value, label, k) for k, c in row.cells.items() if c.value is not None]

    def all_lines(self) -> list[Line]:
        return [line for row in self.rows if row.kind == "line" for line in self.row_lines(row)]

    def totals(self) -> BalanceTotals | IncomeTotals:
        if "totals" not in self._cache:
            self._cache["totals"] = self._totals_of(self.all_lines())
        result: BalanceTotals | IncomeTotals = self._cache["totals"]
        return result

    def _sum(self, key: Any, lines: Callable[[], list[Line]], attr: str) -> Decimal:
        if key not in self._cache:
            self._cache[key] = getattr(self._totals_of(lines()), attr)
        value: Decimal = self._cache[key]
        return value

    def current(self, row: Row) -> Decimal | None:
        """The row's figure in its total column (None: a line with nothing entered)."""
        if row.kind == "group":
            assert row.group is not None
            return Decimal(getattr(self.totals(), row.group.value))
        if row.kind == "total":
            return Decimal(getattr(self.totals(), row.total))
        if not any(c.value is not None for c in row.cells.values()):
            return None
        assert row.group is not None
        return self._sum(("row", id(row)), lambda: self.row_lines(row), row.group.value)

    def previous(self, row: Row) -> Decimal | None:
        if self.compare_caption is None:
            return None
        if row.kind == "line":
            if not row.previous:
                return None
            assert row.group is not None
            return self._sum(("previous", id(row)), lambda: row.previous, row.group.value)
        attr = row.total if row.kind == "total" else row.group.value if row.group else ""
        return self._sum(("previous", attr), lambda: self._previous, attr)

    def change(self, row: Row) -> Decimal | None:
        now, before = self.current(row), self.previous(row)
        if self.compare_caption is None or (now is None and before is None):
            return None
        return (now or Decimal(0)) - (before or Decimal(0))

    def value(self, row: Row, col: Column) -> Decimal | None:
        """The figure a cell shows."""
        if col.role == "previous":
            return self.previous(row)
        if col.role == "change":
            return self.change(row)
        if col.role not in ("amount", "total"):
            return None
        at_sum = self.columns.index(col) == self.sum_column
        if row.kind == "line":
            if col.role == "total":
                return self.current(row)
            cell = row.cells.get(col.member)
            return None if cell is None else cell.value
        if row.kind == "total":
            return self.current(row) if at_sum else None
        assert row.group is not None
        if col.role == "total" or at_sum:
            return self.current(row)
        group, member = row.group, col.member
        if member is not None and group != Group.INCOME:  # only income lines name a member
            return None
        return self._sum(("column", group, member),
                         lambda: [ln for ln in self.all_lines() if ln.group == group and ln.member_id == member],
                         group.value)

    # -- problems
    def local_problems(self) -> bool:
        """Whether anything on screen cannot be saved as it is."""
        for row in self.rows:
            if any(c.code for c in row.cells.values()):
                return True
            if row.labelled and row.cells and not row.label.strip():
                return True
        return len(self.all_lines()) > MAX_STATEMENT_LINES

    def cell_problem(self, row: Row, col: Column) -> str:
        if row.kind != "line":
            return ""
        if col.role == "line":
            if row.labelled and row.cells and not row.label.strip():
                return tr("Name this line")
            return row.label_problem
        if col.role == "amount":
            cell = row.cells.get(col.member)
            if cell is not None:
                return amount_error_text(cell.code) if cell.code else cell.server
        return ""

    def problems(self, row: Row) -> list[str]:
        out = [row.line_problem] if row.line_problem else []
        several = len(self.amount_columns()) > 1
        for col in self.columns:
            text = self.cell_problem(row, col)
            if text and col.role == "amount" and several:
                text = f"{self.member_name(col.member)}: {text}"
            if text:
                out.append(text)
        return out

    def clear_server_problems(self) -> None:
        for row in self.rows:
            row.label_problem = row.line_problem = ""
            for cell in row.cells.values():
                cell.server = ""
        self.refresh()

    def refresh(self) -> None:
        """Show again what changed without an edit (errors marked, read-only switched)."""
        self._cache.clear()
        if self.rows and self.columns:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.columns) - 1))

    # -- the API's shape
    def api_lines(self) -> tuple[list[dict[str, Any]], list[tuple[Row, MemberKey]]]:
        """The non-empty valid cells as the API's lines, in display order, and which cell
        each is (to put the server's errors on `lines[i]` back where they belong)."""
        order: list[MemberKey] = [*self.member_ids(), None]
        lines: list[dict[str, Any]] = []
        where: list[tuple[Row, MemberKey]] = []
        for row in self.rows:
            if row.kind != "line":
                continue
            for key in order:
                cell = row.cells.get(key)
                if cell is None or cell.value is None:
                    continue
                lines.append({"type": row.type, "amount": money_text(cell.value),
                              "label": (row.label.strip() or None) if row.labelled else None, "member_id": key})
                where.append((row, key))
        return lines, where

    def state(self) -> tuple[Any, ...]:
        """What a save would keep (to tell whether anything changed since the last)."""
        out: list[Any] = []
        for row in self.rows:
            if row.kind != "line":
                continue
            cells = tuple(sorted(((-1 if k is None else k, c.text if c.code else c.value)
                                  for k, c in row.cells.items()), key=lambda kc: kc[0]))
            label = row.label.strip() if row.labelled else ""
            if cells or (label and not row.from_previous):
                out.append((row.type, label, cells))
        return tuple(out)

    # -- Qt
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        col = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return {"line": tr("Item"), "total": tr("Total"), "previous": self.compare_caption or "",
                    "change": tr("Change"), "problem": tr("To correct")}.get(col.role) or self.member_name(col.member)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if col.role in ("line", "problem") else _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            if col.role == "amount" and col.member is None and self.kind == "income":
                return tr("Income that belongs to no one member, and the expenses")
            if col.role == "change" and self.compare_caption:
                return tr("Now minus %1").replace("%1", self.compare_caption)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable(self.rows[index.row()], self.columns[index.column()]):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows) or index.column() >= len(self.columns):
            return None
        row, col = self.rows[index.row()], self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.text(row, col, edit=role == Qt.ItemDataRole.EditRole)
        if role == VALUE_ROLE:
            return self.value(row, col)
        if role == ROW_KIND_ROLE:
            return row.kind
        if role == LINE_TYPE_ROLE:
            return row.type or None
        if role == PROBLEM_ROLE:
            return "; ".join(self.problems(row)) if col.role == "problem" else self.cell_problem(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if col.role in ("line", "problem") else _RIGHT
        if role == Qt.ItemDataRole.FontRole:
            changed = row.kind == "line" and bool(self.change(row))
            if col.role != "problem" and (row.kind != "line" or changed or (col.role == "total" and row.cells)):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if self.cell_problem(row, col):
                return ERROR_BACKGROUND
            return {"group": GROUP_BACKGROUND, "total": TOTAL_BACKGROUND}.get(row.kind)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col.role == "problem":
                return ERROR_TEXT
            if col.role == "line" and row.labelled and not row.label:
                return PLACEHOLDER_TEXT
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col) or None
        if role == Qt.ItemDataRole.AccessibleTextRole and col.role == "change":
            change = self.change(row)
            return None if change is None else tr("Change: %1").replace("%1", format_amount(change))
        return None

    def text(self, row: Row, col: Column, *, edit: bool = False) -> str:
        if col.role == "line":
            if edit:
                return row.label if row.labelled else row.name()
            if row.kind != "line":
                return row.name()
            if row.labelled and not row.label.strip():
                return INDENT + tr("(name this line)")
            return INDENT + row.name()
        if col.role == "problem":
            return "; ".join(self.problems(row))
        if col.role == "change":
            return change_text(self.change(row))
        if col.role == "amount" and row.kind == "line":
            cell = row.cells.get(col.member)
            if cell is None:
                return ""
            return cell.text if cell.value is None else format_amount(cell.value)
        value = self.value(row, col)
        return "" if value is None else format_amount(value)

    def _tooltip(self, row: Row, col: Column) -> str:
        problem = "\n".join(self.problems(row)) if col.role == "problem" else self.cell_problem(row, col)
        if problem:
            return problem
        if col.role == "line" and row.labelled:
            return word(LINE_WORDS[row.type], current_language())
        if col.role in ("previous", "change") and self.compare_caption is not None:
            now, before = self.current(row), self.previous(row)
            return (tr("%1: %2; now: %3").replace("%1", self.compare_caption)
                    .replace("%2", "—" if before is None else format_amount(before))
                    .replace("%3", "—" if now is None else format_amount(now)))
        return ""

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not (self.flags(index) & Qt.ItemFlag.ItemIsEditable):
            return False
        row, col = self.rows[index.row()], self.columns[index.column()]
        text = "" if value is None else str(value)
        if col.role == "line":
            return self.set_label(row, text)
        return self.set_cell(row, col.member, text)


# ----------------------------------------------------------------------------- the view
class CellEdit(QLineEdit):
    """The editor of one cell: what it held when editing began, to put back on Escape."""

    def __init__(self, parent: QWidget, index: QPersistentModelIndex, held: tuple[str, str] | Cell | None) -> None:
        super().__init__(parent)
        self.index, self.held, self.loaded = index, held, False


class CellDelegate(QStyledItemDelegate):
    """Edits amounts and labels in a line edit; what is typed reaches the model with each
    keystroke (the live totals), Enter moves down, Escape puts back what was there, and
    a paste of several cells goes to the table."""

    def __init__(self, table: StatementTable) -> None:
        super().__init__(table)
        self.table = table
        self.editor: CellEdit | None = None

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        model = self.table.statement
        amount = model.columns[index.column()].role == "amount"
        editor = CellEdit(parent, QPersistentModelIndex(index), model.snapshot(index))
        editor.setFrame(False)
        editor.setTextMargins(4, 0, 4, 0)
        editor.setAlignment(_RIGHT if amount else _LEFT)
        editor.setMaxLength(AMOUNT_MAX_LENGTH if amount else LABEL_MAX_LENGTH)
        if not amount:
            editor.setPlaceholderText(tr("Name this line"))
        editor.textEdited.connect(lambda text: self._typed(editor, text))
        self.editor = editor
        return editor

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        editor.setGeometry(option.rect)  # the whole cell, padding and all: nothing shows around it

    def destroyEditor(self, editor: QWidget, index: Index) -> None:
        if editor is self.editor:
            self.editor = None
        super().destroyEditor(editor, index)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        # once, when editing begins: the model changes with every keystroke after that
        if isinstance(editor, CellEdit) and not editor.loaded:
            editor.loaded = True
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def _typed(self, editor: CellEdit, text: str) -> None:
        if editor.index.isValid():
            self.table.statement.setData(editor.index, text, Qt.ItemDataRole.EditRole)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        editor = watched
        if isinstance(editor, CellEdit) and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                index = self.table.statement.index(editor.index.row(), editor.index.column())
                self.commitData.emit(editor)
                self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)
                self.table.move_on(index, down=not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                return True
            if key == Qt.Key.Key_Escape and editor.index.isValid():
                self.table.statement.restore(editor.index, editor.held)
            if event.matches(QKeySequence.StandardKey.Paste):
                text = QGuiApplication.clipboard().text()
                if "\n" in text or "\r" in text or "\t" in text:
                    index = self.table.statement.index(editor.index.row(), editor.index.column())
                    if index.isValid():
                        self.table.statement.restore(index, editor.held)
                    self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)
                    self.table.paste_text(text, index)
                    return True
        return super().eventFilter(watched, event)


class StatementTable(QTableView):
    """The grid: Tab and Enter go on to the next amount cell (past header and total rows;
    Enter goes down its column), typing starts editing, Delete clears, Ctrl+V pastes a
    spreadsheet's column downwards, Ctrl+C copies."""

    #: values a paste could not place (more than the cells below)
    paste_overflow = Signal(int)

    def __init__(self, model: StatementModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.statement = model
        self.setModel(model)
        self.cell_delegate = CellDelegate(self)
        self.setItemDelegate(self.cell_delegate)
        self.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                             | QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTabKeyNavigation(True)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionsClickable(False)
        self.horizontalHeader().setHighlightSections(False)
        self.setStyleSheet(TABLE_STYLE)

    # -- moving
    def _step(self, index: QModelIndex, forward: bool) -> QModelIndex:
        cells = self.statement.amount_cells()
        here = (index.row(), index.column()) if index.isValid() else (-1, -1)
        if forward:
            later = [rc for rc in cells if rc > here]
            target = later[0] if later else None
        else:
            earlier = [rc for rc in cells if rc < here] if index.isValid() else []
            target = earlier[-1] if earlier else None
        return QModelIndex() if target is None else self.statement.index(*target)

    def moveCursor(self, cursorAction: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        if cursorAction == QAbstractItemView.CursorAction.MoveNext:
            return self._step(self.currentIndex(), True)
        if cursorAction == QAbstractItemView.CursorAction.MovePrevious:
            return self._step(self.currentIndex(), False)
        return super().moveCursor(cursorAction, modifiers)

    def move_on(self, index: QModelIndex, down: bool = True) -> None:
        """After Enter: the next amount cell below in this column (Shift: above), or the
        next in reading order when the column has none."""
        cells = self.statement.amount_cells()
        r, c = index.row(), index.column()
        if down:
            target = next(((rr, cc) for rr, cc in cells if cc == c and rr > r), None)
        else:
            target = next(((rr, cc) for rr, cc in reversed(cells) if cc == c and rr < r), None)
        if target is not None:
            self.setCurrentIndex(self.statement.index(*target))
            return
        step = self._step(index, down)
        if step.isValid():
            self.setCurrentIndex(step)

    def first_cell(self) -> None:
        cells = self.statement.amount_cells()
        if cells:
            self.setCurrentIndex(self.statement.index(*cells[0]))

    def commit_editor(self) -> None:
        """Finish the edit under way (its text is in the model already)."""
        editor = self.cell_delegate.editor
        if editor is not None:
            self.commitData(editor)
            self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    # -- keys
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_text(QGuiApplication.clipboard().text(), self.currentIndex())
            return
        if event.matches(QKeySequence.StandardKey.Copy):
            QGuiApplication.clipboard().setText(self.selected_text())
            return
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not mods & Qt.KeyboardModifier.ControlModifier:
            self.clear_selected()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != QAbstractItemView.State.EditingState:
            self.move_on(self.currentIndex(), down=not mods & Qt.KeyboardModifier.ShiftModifier)
            return
        super().keyPressEvent(event)

    def _selected(self) -> list[QModelIndex]:
        chosen = self.selectionModel().selectedIndexes() if self.selectionModel() else []
        if not chosen and self.currentIndex().isValid():
            chosen = [self.currentIndex()]
        return sorted(chosen, key=lambda i: (i.row(), i.column()))

    def clear_selected(self) -> None:
        m = self.statement
        m.begin_batch()
        try:
            for index in self._selected():
                if m.flags(index) & Qt.ItemFlag.ItemIsEditable:
                    m.setData(index, "", Qt.ItemDataRole.EditRole)
        finally:
            m.end_batch()

    def selected_text(self) -> str:
        """The selected cells as a spreadsheet takes them: tabs between, lines below;
        amounts as plain decimals."""
        by_row: dict[int, list[str]] = {}
        for index in self._selected():
            value = index.data(VALUE_ROLE)
            text = money_text(value) if isinstance(value, Decimal) else str(index.data() or "").strip()
            by_row.setdefault(index.row(), []).append(text)
        return "\n".join("\t".join(cells) for cells in by_row.values())

    def paste_text(self, text: str, at: QModelIndex) -> int:
        """A spreadsheet's cells into the amount cells from `at` downwards (and rightwards,
        for several columns), past rows that take no amount there. A blank cell clears;
        one that is not an amount is entered as typed and marked. Returns how many values
        found no cell (also signalled: `paste_overflow`)."""
        m = self.statement
        if m.read_only:
            return 0
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not lines:
            return 0
        amount_cols = m.amount_columns()
        start_row = at.row() if at.isValid() else 0
        start_col = at.column() if at.isValid() and at.column() in amount_cols else amount_cols[0]
        cols = amount_cols[amount_cols.index(start_col):]
        targets = [r for r in range(max(start_row, 0), len(m.rows)) if m.editable(m.rows[r], m.columns[start_col])]
        filled: list[QModelIndex] = []
        missed = 0
        m.begin_batch()
        try:
            for n, line in enumerate(lines):
                values = line.split("\t")
                if n >= len(targets):
                    missed += sum(1 for v in values if v.strip())
                    continue
                row = m.rows[targets[n]]
                for j, value in enumerate(values):
                    if j >= len(cols) or not m.editable(row, m.columns[cols[j]]):
                        missed += 1 if value.strip() else 0
                        continue
                    m.set_cell(row, m.columns[cols[j]].member, value.strip())
                    filled.append(m.index(targets[n], cols[j]))
        finally:
            m.end_batch()
        if filled:
            selection = QItemSelection()
            for index in filled:
                selection.select(index, index)
            self.setCurrentIndex(filled[0])
            self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.paste_overflow.emit(missed)
        return missed


# ----------------------------------------------------------------------------- the editor
class StatementEditor(QWidget):
    """A balance sheet (`kind` "balance") or an annual income table ("income") to type
    into: see the module's docstring. `changed` follows every edit (the live ratio
    panel), `save_requested` is Ctrl+S."""

    changed = Signal()
    save_requested = Signal()

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if kind not in KIND_GROUPS:
            raise ValueError(f"a statement is 'balance' or 'income', not {kind!r}")
        self.kind: StatementKind = "balance" if kind == "balance" else "income"
        self.model = StatementModel(self.kind, self)
        self.table = StatementTable(self.model, self)
        self.general_errors = error_label()
        self.general_errors.setVisible(False)
        self._where: list[tuple[Row, MemberKey]] = []
        self._read_only = False
        #: the server's errors that name no line, and what the last paste could not place
        self._server_general: list[str] = []
        self._notice = ""

        self.add_actions: dict[str, QAction] = {}
        add_menu = QMenu(self)
        for g in self.model.groups:
            for t in GROUP_OTHERS[g]:
                action = add_menu.addAction(word(LINE_WORDS[t], current_language()) + "…")
                action.triggered.connect(lambda _c=False, t=t: self.add_line(t))
                self.add_actions[t] = action
        self.add_button = QPushButton(tr("Add line…"))
        self.add_button.setToolTip(tr("Add a line you name to a group (Insert: to the current row's group)"))
        self.add_button.setMenu(add_menu)
        self.remove_action = QAction(tr("Remove line"), self)
        self.remove_action.triggered.connect(self.remove_current_line)
        self.clear_action = QAction(tr("Clear line"), self)
        self.clear_action.triggered.connect(self.clear_current_line)
        self.remove_button = QPushButton(self.remove_action.text())
        self.remove_button.clicked.connect(self.remove_action.trigger)
        self.clear_button = QPushButton(self.clear_action.text())
        self.clear_button.clicked.connect(self.clear_action.trigger)
        for button, action in ((self.remove_button, self.remove_action), (self.clear_button, self.clear_action)):
            action.changed.connect(lambda b=button, a=action: b.setEnabled(a.isEnabled()))
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.remove_button, self.clear_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.general_errors)

        self.save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(self._save)
        self.insert_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Insert), self.table)
        self.insert_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.insert_shortcut.activated.connect(self._insert_here)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.paste_overflow.connect(self._pasted)
        self.model.edited.connect(self._edited)
        self.model.modelReset.connect(self._size_columns)
        self.table.selectionModel().currentChanged.connect(lambda _now, _before: self._update_actions())
        self._baseline = self.model.state()
        self._size_columns()
        self.table.first_cell()
        self._update_actions()

    # -- loading and saving
    def set_members(self, members: Sequence[tuple[int, str]]) -> None:
        """The household's members (id, caption): a column each for income lines."""
        self.table.commit_editor()
        self.model.set_members(members)
        self.table.first_cell()

    def set_lines(self, lines: Sequence[LineData]) -> None:
        """Show a statement's lines (as read from the API, or dicts of its shape); not
        dirty afterwards. A line of another statement's group is a ValueError."""
        self.table.commit_editor()
        self.model.load(lines)
        self._where = []
        self.clear_errors()
        self.mark_saved()
        self.table.first_cell()

    def lines(self) -> list[dict[str, Any]]:
        """The lines on screen in the API's shape ({"type", "amount", "label", "member_id"}),
        one per non-empty cell, in display order. Cells that are not amounts are left
        out: check `has_errors()` before saving. `show_errors` reads the server's
        `lines[i]` against the list returned last."""
        lines, self._where = self.model.api_lines()
        return lines

    def totals(self) -> BalanceTotals | IncomeTotals:
        """The totals of what is on screen now (a cell that is not an amount counts for nothing)."""
        return self.model.totals()

    def has_errors(self) -> bool:
        """Whether something on screen cannot be saved as it is: an entry that is not an
        amount, an other line without a name, more lines than a statement holds."""
        return self.model.local_problems()

    def is_dirty(self) -> bool:
        return self.model.state() != self._baseline

    def mark_saved(self) -> None:
        self._baseline = self.model.state()

    def _save(self) -> None:
        if self._read_only:
            return
        self.table.commit_editor()
        self.save_requested.emit()

    def _edited(self) -> None:
        self._notice = ""
        self._fit_figures()
        self._update_actions()
        self._show_general()
        self.changed.emit()

    # -- errors
    def show_errors(self, errors: Sequence[Mapping[str, Any]]) -> None:
        """The server's field errors ({"field": "lines[3].amount", "code", "message"}):
        each on its line's cell (the index is into the last `lines()`), the rest (`as_of`,
        `year`, `lines`) under the table."""
        self.clear_errors()
        general: list[str] = []
        first: QModelIndex | None = None
        for err in errors:
            where = str(err.get("field") or "")
            code, message = str(err.get("code") or ""), str(err.get("message") or "")
            words = amount_error_text(code) if code else message
            if code and words == code and message:
                words = message  # a code this client has no words for: the server's
            m = _LINE_FIELD.fullmatch(where)
            placed = self._place_error(int(m[1]), m[2] or "", words) if m else None
            if placed is None:
                general.append(self._field_words(where) + words)
            elif first is None:
                first = placed
        self.model.refresh()
        self._server_general = general
        self._show_general()
        if first is not None and first.isValid():
            self.table.setCurrentIndex(first)
            self.table.scrollTo(first)

    def _place_error(self, i: int, attr: str, words: str) -> QModelIndex | None:
        if not 0 <= i < len(self._where):
            return None
        row, key = self._where[i]
        if row not in self.model.rows:
            return None
        r = self.model.rows.index(row)
        cell = row.cells.get(key)
        if attr == "label" and row.labelled:
            row.label_problem = words
            return self.model.index(r, self.model.column_of("line"))
        if attr in ("amount", "member_id") and cell is not None:
            cell.server = words
            return self.model.index(r, self.model.column_of("amount", key))
        row.line_problem = words
        return self.model.index(r, self.model.column_of("problem"))

    @staticmethod
    def _field_words(where: str) -> str:
        names = {"as_of": tr("As of"), "year": tr("Year"), "lines": "", "version": ""}
        name = names.get(where, where)
        return f"{name}: " if name else ""

    def clear_errors(self) -> None:
        """Take away the server's errors (what is wrong with what is typed stays marked)."""
        self.model.clear_server_problems()
        self._server_general = []
        self._show_general()

    def _show_general(self) -> None:
        """Under the table: the server's errors that name no line, what the last paste
        could not place, a statement with too many lines."""
        messages = [*self._server_general, *([self._notice] if self._notice else [])]
        if len(self.model.all_lines()) > MAX_STATEMENT_LINES:
            messages.append(tr("A statement holds at most %1 lines").replace("%1", str(MAX_STATEMENT_LINES)))
        self.general_errors.setText("\n".join(messages))
        self.general_errors.setVisible(bool(messages))
        self._show_problems_column()

    def _pasted(self, missed: int) -> None:
        self._notice = (tr("%1 pasted values found no cell below and were not entered").replace("%1", str(missed))
                        if missed else "")
        self._show_general()

    # -- comparing
    def compare_with(self, previous: Sequence[LineData] | None, caption: str = "") -> None:
        """Show `previous`'s figures (a column headed `caption`, say "2025-12-31") and the
        change to now per row, subtotal and total; None takes the comparison away."""
        self.table.commit_editor()
        current = self.table.currentIndex()
        at = (current.row(), current.column()) if current.isValid() else None
        self.model.set_compare(previous, caption)
        if at is not None and at[0] < self.model.rowCount() and at[1] < self.model.columnCount():
            self.table.setCurrentIndex(self.model.index(*at))
        else:
            self.table.first_cell()

    # -- lines
    def add_line(self, line_type: str, label: str = "") -> int:
        """A new `other_*` line (its name typed next, unless `label` is given); its row."""
        if line_type not in LABELLED_LINES or LINE_GROUPS[line_type] not in self.model.groups:
            raise ValueError(f"{line_type!r} is not an other line of this statement")
        if self._read_only:
            return -1
        self.table.commit_editor()
        pos = self.model.insert_line(line_type, label)
        # a name first; with one given, the first amount cell
        first = next((c for r, c in self.model.amount_cells() if r == pos), self.model.sum_column)
        index = self.model.index(pos, first if label else self.model.column_of("line"))
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        self.table.setFocus()
        if not label:
            self.table.edit(index)
        return pos

    def _current_row(self) -> Row | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() else None

    def remove_current_line(self) -> None:
        """Remove the current row if it is a line added to the standard ones."""
        index = self.table.currentIndex()
        if self._read_only or not index.isValid():
            return
        self.table.commit_editor()
        r = index.row()
        if self.model.remove_row(r):
            self.table.setCurrentIndex(self.model.index(min(r, self.model.rowCount() - 1), index.column()))

    def clear_current_line(self) -> None:
        row = self._current_row()
        if row is not None and not self._read_only:
            self.table.commit_editor()
            self.model.clear_row(row)

    def _insert_here(self) -> None:
        row = self._current_row()
        group = row.group if row is not None and row.group is not None else self.model.groups[0]
        if row is not None and row.kind == "total":
            group = self.model.groups[-1]
        others = GROUP_OTHERS[group]
        if not others:
            return
        line_type = "other_living" if row is not None and row.type in LIVING_PARTS else others[-1]
        self.add_line(line_type if line_type in others else others[-1])

    def _update_actions(self) -> None:
        row = self._current_row()
        editable = not self._read_only
        self.add_button.setEnabled(editable)
        self.remove_action.setEnabled(editable and row is not None and row.kind == "line" and not row.standard)
        self.clear_action.setEnabled(editable and row is not None and bool(row.cells))

    def _context_menu(self, pos: QPoint) -> None:
        if self._read_only:
            return
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.setCurrentIndex(index)
        row = self._current_row()
        menu = QMenu(self)
        if row is not None and row.group is not None:
            for t in GROUP_OTHERS[row.group]:
                menu.addAction(self.add_actions[t])
            menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.addAction(self.clear_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -- permissions
    def set_read_only(self, read_only: bool) -> None:
        """For those who may see the statement and not change it."""
        self.table.commit_editor()
        self._read_only = read_only
        self.model.set_read_only(read_only)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers if read_only else
                                   QAbstractItemView.EditTrigger.AnyKeyPressed
                                   | QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self._update_actions()

    def is_read_only(self) -> bool:
        return self._read_only

    # -- layout
    def cell_index(self, line_type: str, member_id: int | None = None, label: str | None = None) -> QModelIndex:
        """The amount cell of the first row of `line_type` (and `label`) for `member_id`."""
        col = self.model.column_of("amount", member_id)
        for r, row in enumerate(self.model.rows):
            if row.kind == "line" and row.type == line_type and (label is None or row.label == label):
                return self.model.index(r, col) if col >= 0 else QModelIndex()
        return QModelIndex()

    def _size_columns(self) -> None:
        fm = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        names = [r.name() for r in self.model.rows if r.kind != "line" or not r.labelled]
        first = max([fm.horizontalAdvance(INDENT + n) for n in names] + [180]) + 24
        # room for a household's figures (up to 99,999,999.99); wider ones widen the column
        money = fm.horizontalAdvance("▲ +99,999,999.99") + 28
        for i, col in enumerate(self.model.columns):
            if col.role == "problem":  # the last: it takes what room is left, and no less than this
                header.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(i, fm.horizontalAdvance("M") * 22)
                continue
            caption = str(self.model.headerData(i, Qt.Orientation.Horizontal) or "")
            width = first if col.role == "line" else max(money, fm.horizontalAdvance(caption) + 24)
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(i, width)
        self._fit_figures()
        self._show_problems_column()

    def _show_problems_column(self) -> None:
        """The "To correct" column only while something is to correct: the figures get its room."""
        m = self.model
        show = any(m.problems(row) for row in m.rows)
        for i, col in enumerate(m.columns):  # by index: after a reset the hidden one may be another column
            self.table.setColumnHidden(i, col.role == "problem" and not show)

    def _fit_figures(self) -> None:
        """Widen a figures' column whose text no longer fits (never narrow it)."""
        fm = self.table.fontMetrics()
        bold = QFont(self.table.font())
        bold.setBold(True)
        fb = QFontMetrics(bold)
        header = self.table.horizontalHeader()
        for i, col in enumerate(self.model.columns):
            if col.role not in ("amount", "total", "previous", "change"):
                continue
            widest = max((max(fm.horizontalAdvance(t), fb.horizontalAdvance(t))
                          for t in (self.model.text(r, col, edit=False) for r in self.model.rows) if t), default=0)
            if widest + 28 > header.sectionSize(i):
                header.resizeSection(i, widest + 28)
