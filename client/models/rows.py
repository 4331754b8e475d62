"""A read-only Qt table model over a list of records: each column is a header and a
function from the record to its text. Search results, staff, approvals and the audit
trail are all shown through it.

A list longer than a page is fetched as the user scrolls (Qt's `canFetchMore` /
`fetchMore`): the view that owns the model says with each page whether there are more
(`set_rows` / `append_rows`, `more=`) and how to ask for the next (`set_fetcher`); the
model holds no HTTP code. A column with a `sort` key is sorted by the server: clicking
its header emits `sort_requested(key, descending)` and the view asks again."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

Index = QModelIndex | QPersistentModelIndex
R = TypeVar("R")


class Column(Generic[R]):
    def __init__(self, key: str, header: Callable[[], str], text: Callable[[R], str], sort: str | None = None) -> None:
        self.key, self.header, self.text = key, header, text  # header is called late: it follows the language
        #: the server's sort key for this column (None: not sortable)
        self.sort = sort


class RowsModel(QAbstractTableModel, Generic[R]):
    #: the server sort key of the clicked column, and whether descending
    sort_requested = Signal(str, bool)

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None, *,
                 key: Callable[[R], Hashable] | None = None) -> None:
        """`key`: what tells two records apart, so a page that overlaps the one before
        (a row added at the top meanwhile shifts the server's pages) adds no row twice."""
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[R] = []
        self._key = key
        self._more = False
        self._fetching = False
        self._fetch: Callable[[], None] | None = None

    def set_rows(self, rows: Sequence[R], *, more: bool = False) -> None:
        """The first page (or the whole list); `more`: the server has further rows."""
        self.beginResetModel()
        self._rows = list(rows)
        self._more, self._fetching = more, False
        self.endResetModel()

    def append_rows(self, rows: Sequence[R], *, more: bool) -> None:
        """The next page, as asked for by `fetchMore`."""
        self._fetching = False
        self._more = more
        if self._key is not None:
            key, seen = self._key, {self._key(r) for r in self._rows}
            rows = [r for r in rows if key(r) not in seen]
        if rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def fetch_failed(self) -> None:
        """The next page did not come: scrolling asks again."""
        self._fetching = False

    def set_fetcher(self, fetch: Callable[[], None]) -> None:
        """How to ask for the next page (its answer comes back through `append_rows`)."""
        self._fetch = fetch

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._fetching and self._fetch is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            assert self._fetch is not None
            self._fetching = True
            self._fetch()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column].sort if 0 <= column < len(self.columns) else None
        if key is not None:
            self.sort_requested.emit(key, order == Qt.SortOrder.DescendingOrder)

    def sort_column(self, key: str) -> int:
        """The column sorted by the server key `key` (-1: none)."""
        return next((i for i, c in enumerate(self.columns) if c.sort == key), -1)

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def rows(self) -> list[R]:
        return list(self._rows)

    def replace_row(self, row: int, record: R) -> None:
        self._rows[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.columns):
            return self.columns[section].header()
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole or index.row() >= len(self._rows):
            return None
        return self.columns[index.column()].text(self._rows[index.row()])


def more_after(page: Any) -> bool:
    """Whether the server has rows after this page (a `Page`). A capped total (a name
    search's "1,000+") says nothing of the end: a full page might go on."""
    return bool(page.page * page.page_size < page.total
                or (getattr(page, "total_capped", False) and len(page.items) == page.page_size))
