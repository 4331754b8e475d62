"""Find a customer as you type: debounced, keyboard first, Enter opens the profile."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.export import ExportSource
from client.i18n import tr
from client.models.customer_table import CustomerTableModel
from client.problems import problem_of
from client.views.widgets import Pager, record_table
from shared.enums import CustomerSort, CustomerType
from shared.schemas import CONTROL_CHARACTERS, CustomerPage, CustomerQuery, CustomerSummary, Page

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller

#: Typing pauses this long before the search goes: short enough that results are on
#: screen within 300 ms of the last key (docs/PERFORMANCE.md), long enough that a
#: word typed at speed is one search, not one per letter.
DEBOUNCE_MS = 150
#: Rows asked for at a time; the next page is asked for as the user scrolls to the end.
PAGE_SIZE = 50
#: The longest text CustomerQuery accepts: the box takes no more, so a query is always valid.
QUERY_MAX_LENGTH = next(m.max_length for m in CustomerQuery.model_fields["q"].metadata if hasattr(m, "max_length"))


class CustomerSearchView(QWidget):
    """Signals: open_customer(int) when a result is chosen; new_customer()."""

    open_customer = Signal(int)
    new_customer = Signal()

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        #: the generation (`Pager.refresh`) and query of the rows on screen; the generation
        #: whose answer opens its customer when it is the only one (Enter was pressed for it)
        self._asked: dict[int, CustomerQuery] = {}
        self._shown: tuple[int, CustomerQuery] | None = None
        self._open_single = 0
        self._sort = CustomerSort.NAME
        self.query = QLineEdit()
        self.query.setPlaceholderText(tr("Name, pinyin (zsf), resident ID, mobile, customer no., or surname and "
                                         "the mobile's last 4 digits (张 5678)"))
        self.query.setClearButtonEnabled(True)
        self.query.setMaxLength(QUERY_MAX_LENGTH)
        self.query.installEventFilter(self)
        self.org_filter = QComboBox()  # an org and everything below it
        self.org_filter.addItem(tr("All my branches"), None)
        for org_id, name in controller.org_choices():
            self.org_filter.addItem(name, org_id)
        self.org_filter.setVisible(self.org_filter.count() > 2)  # more than one org to choose from
        self.kind = QComboBox()  # personal, corporate or both: each has its own columns
        self.kind.addItem(tr("All customers"), None)
        self.kind.addItem(tr("Personal"), CustomerType.PERSONAL.value)
        self.kind.addItem(tr("Corporate"), CustomerType.CORPORATE.value)
        self.mine = QCheckBox(tr("Only my customers"))
        self.mine.setVisible(controller.me.user.role in ("account_manager", "branch_manager"))
        for signal in (self.org_filter.currentIndexChanged, self.kind.currentIndexChanged, self.mine.toggled):
            signal.connect(lambda *_a: self.search_now())
        self.new_button = QPushButton(tr("New customer"))
        self.new_button.clicked.connect(self.new_customer)
        self.new_button.setVisible(controller.may("customer.create"))
        self.status = QLabel()
        self.model = CustomerTableModel(self)
        self.model.set_org_names(controller.org_names)
        self.table = record_table(self.model)
        self.pager: Pager[CustomerSummary] = Pager(controller, self.model, self, self._show, self._failed,
                                                    page_size=PAGE_SIZE)
        self.model.sort_requested.connect(self._sort_by)
        header = self.table.horizontalHeader()
        header.setSortIndicator(self.model.sort_column(self._sort), Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(lambda *_a: self._show_sort())
        self.table.setSortingEnabled(True)  # by the server: the model asks (`_sort_by`)
        self.table.doubleClicked.connect(lambda idx: self._open(idx.row()))
        self.table.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.search_now)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.org_filter)
        top.addWidget(self.kind)
        top.addWidget(self.mine)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def customer_query(self) -> CustomerQuery:
        """What the user is asking for: the text, the org filter and 'only my customers'."""
        text = CONTROL_CHARACTERS.sub("", self.query.text()).strip()  # a query may not hold them
        kind = self.kind.currentData()
        return CustomerQuery(q=text or None, org_id=self.org_filter.currentData(),
                             manager_id=self.controller.me.user.id if self.mine.isChecked() else None,
                             type=CustomerType(kind) if kind else None, sort=self._sort)

    def _sort_by(self, key: str, descending: bool) -> None:
        sort = CustomerSort(f"-{key}" if descending else key)
        if sort != self._sort:
            self._sort = sort
            self.search_now()

    def _show_sort(self) -> None:
        """The header's arrow on the column the rows are sorted by (a click on a column
        the server cannot sort by leaves it there)."""
        header = self.table.horizontalHeader()
        column = self.model.sort_column(self._sort.removeprefix("-"))
        order = Qt.SortOrder.DescendingOrder if self._sort.startswith("-") else Qt.SortOrder.AscendingOrder
        if (header.sortIndicatorSection(), header.sortIndicatorOrder()) != (column, order):
            header.blockSignals(True)
            header.setSortIndicator(column, order)
            header.blockSignals(False)
            header.viewport().update()

    def search_now(self) -> int:
        self.timer.stop()
        query = self.customer_query()
        if query.type != self.model.kind:
            self.model.set_kind(query.type)
            self._show_sort()
        self.status.setText(tr("Searching..."))
        self.pager.page_size = PAGE_SIZE
        generation = self.pager.refresh(lambda api, page, size: api.search_customers(query, page, size),
                                        query.params())
        self._asked = {generation: query}
        return generation

    def export_source(self) -> ExportSource[CustomerSummary]:
        return self.pager.export_source("customers", tr("Customers"))

    def enter(self) -> None:
        """Enter in the search box: the one customer found is opened — at once when the
        rows on screen answer what the box says, else when the answer comes."""
        if self._shown == (self.pager.generation, self.customer_query()) and not self.timer.isActive():
            if self.model.rowCount() == 1:
                self._open(0)
            return
        self._open_single = self.search_now()

    def _show(self, page: Page[CustomerSummary]) -> None:
        assert isinstance(page, CustomerPage)
        total = f"{page.total:,}+" if page.total_capped else f"{page.total:,}"
        # one form per number in Chinese; English says "1 customer"
        self.status.setText((tr("%1 customer") if page.total == 1 and not page.total_capped
                             else tr("%1 customers")).replace("%1", total))
        if page.page > 1:
            return
        generation = self.pager.generation
        self._shown = (generation, self._asked[generation])
        self.table.resizeColumnsToContents()
        if page.items:
            self.table.selectRow(0)
        if generation == self._open_single and len(page.items) == 1 and not page.total_capped:
            self._open(0)

    def _failed(self, err: ApiError) -> None:
        if self.model.rowCount() == 0:  # the first page: no rows of the query before stay
            self._shown = None
        self.status.setText(problem_of(err).message)

    def _open(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.open_customer.emit(self.model.customer_at(row).id)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if obj is self.query and key == Qt.Key.Key_Escape and self.query.text():
                self.query.clear()  # Esc: start again (the list follows)
                return True
            if obj is self.query and key == Qt.Key.Key_Down and self.model.rowCount():
                self.table.setFocus()
                self.table.selectRow(max(self.table.currentIndex().row(), 0))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if obj is self.query:
                    self.enter()
                    return True
                if obj is self.table:
                    self._open(self.table.currentIndex().row())
                    return True
        return super().eventFilter(obj, event)
