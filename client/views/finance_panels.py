"""Household finance on screen (household-finance.md): the seven ratios with their
reference ranges and verdicts, the asset and liability mix, net worth and savings ratio
across snapshots, and the printed statement's preview with Print and Save as PDF.

Pure widgets: each shows what it is handed and asks no server. The words of the codes
(ratios, verdicts, reasons, groups) come from shared/finance_words.py, the very words
the printed statement (server/statement_pdf.py) prints; everything else goes through
`tr()`. A verdict is never told by colour alone: a symbol and its words go with it.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QChart,
    QChartView,
    QLegend,
    QLineSeries,
    QPieSeries,
    QPieSlice,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEvent,
    QIODevice,
    QLocale,
    QMargins,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QCursor, QFont, QKeySequence, QPageSize, QPainter, QPen, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from client.i18n import current_language, error_message, tr
from shared import finance_words
from shared.enums import RatioCode
from shared.finance import (
    ASSET_GROUPS,
    LIABILITY_GROUPS,
    BalanceTotals,
    Group,
    Range,
    Ratio,
    Reason,
    Verdict,
)
from shared.finance_words import GROUP_WORDS, RATIO_WORDS, Words, word
from shared.schemas import FinanceAnalysis, RatioRead

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)
DASH = "—"
#: a verdict's symbol and colour (the statement's colours); the words go with both
VERDICT_MARKS: dict[Verdict, tuple[str, str]] = {
    Verdict.HEALTHY: ("✔", "#1b7f3b"),
    Verdict.ATTENTION: ("⚠", "#b35c00"),
    Verdict.NOT_APPLICABLE: ("–", "#666666"),
}
ASSET_COLOURS = ("#1d4f91", "#3f8fd2", "#9cc3e6")  # the statement's asset mix
LIABILITY_COLOURS = ("#8c3b2e", "#e0a07a")
NET_WORTH_COLOUR = "#1d4f91"
SAVINGS_COLOUR = "#b35c00"
EMPTY_STYLE = "color: #666666; font-size: 11pt"
MIN_ZOOM, MAX_ZOOM, ZOOM_STEP = 0.25, 4.0, 1.25
#: the preview's keys (portable text: Ctrl is Command on macOS) and the buttons they press
SHORTCUTS = {"Ctrl+-": "zoom_out_button", "Ctrl++": "zoom_in_button", "Ctrl+=": "zoom_in_button",
             "Ctrl+P": "print_button", "Ctrl+Shift+S": "save_button"}
#: print resolution bounds: sharp on paper, and an A4 page stays ~35 MB as an image
MIN_PRINT_DPI, MAX_PRINT_DPI = 150, 300


def w(pair: Words) -> str:
    """A finance code's words in the interface's language."""
    return word(pair, current_language())


# ----------------------------------------------------------------------------- texts
def _fixed(v: Decimal, places: Decimal = CENT) -> str:
    return format(v.quantize(places, rounding=ROUND_HALF_UP) + 0, "f")  # + 0: no "-0.00"


def ratio_value_text(code: RatioCode, value: Decimal | None) -> str:
    """As the printed statement shows it (shared/finance_words.py), in the interface's language."""
    return finance_words.ratio_value_text(code, value, current_language())


def range_text(code: RatioCode, r: Range) -> str:
    return finance_words.range_text(code, r, current_language())


def verdict_text(verdict: Verdict, reason: Reason | None = None) -> str:
    return finance_words.verdict_text(verdict, reason, current_language())


def _share(part: Decimal, total: Decimal) -> str:
    """A part's share, one decimal, as the statement's asset mix shows it; the "%" never
    wraps away from its number."""
    return f"{_fixed(part / total * HUNDRED, TENTH)}\u00a0%"


def money_text(v: Decimal) -> str:
    return f"{v.quantize(CENT, rounding=ROUND_HALF_UP) + 0:,.2f}"


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def ratio_of(r: RatioRead) -> Ratio:
    """A ratio as the server sent it (decimal strings, code strings) as `shared.finance`
    has it. A verdict this client does not know is judged again by the shared rule (the
    rounded value against the range); a reason it does not know is dropped."""
    value = _decimal(r.value)
    rng = Range(_decimal(r.range.min), _decimal(r.range.max))
    try:
        verdict = Verdict(r.verdict)
    except ValueError:
        verdict = Verdict.NOT_APPLICABLE if value is None else \
            Verdict.HEALTHY if rng.holds(value) else Verdict.ATTENTION
    reason = Reason(r.reason) if r.reason in {str(x) for x in Reason} else None
    return Ratio(r.code, value, rng, verdict, reason)


def _empty_label() -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet(EMPTY_STYLE)
    label.setWordWrap(True)
    return label


def _bold(label: QLabel) -> QLabel:
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


# ----------------------------------------------------------------------------- ratios
@dataclass(frozen=True)
class _Cell:
    text: str
    accessible: str
    summary: str
    colour: str | None = None
    bold: bool = False


class RatioPanel(QWidget):
    """The seven ratios in their order: name, value, reference range and verdict (a
    symbol, its words and its colour), with the version of the ranges they were judged
    by. Cells change in place, and only those whose text changed: a live preview may
    call `show_ratios` on every keystroke."""

    NAME, VALUE, RANGE, VERDICT = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ratios: dict[RatioCode, Ratio] = {}
        self._version: int | None = None
        self._shown: dict[tuple[int, int], _Cell] = {}
        self.table = QTableWidget(len(RatioCode), 4, self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._items = [[QTableWidgetItem() for _col in range(4)] for _row in RatioCode]
        for row, items in enumerate(self._items):
            for col, item in enumerate(items):
                if col in (self.VALUE, self.RANGE):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.caption = QLabel(self)
        self.caption.setStyleSheet("color: #555555")
        self.caption.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.caption)
        layout.addStretch(1)
        self._retranslate()

    # -- API
    def show_ratios(self, ratios: Sequence[Ratio]) -> None:
        """Show these ratios (shown in RatioCode's order whatever theirs); a ratio not given shows —."""
        self._ratios = {r.code: r for r in ratios}
        self._fill()

    def show_analysis(self, a: FinanceAnalysis) -> None:
        """The server's analysis: its ratios and the version of the ranges that judged them."""
        self.show_ratios([ratio_of(r) for r in a.ratios])
        self.set_ranges_version(a.ranges_version)

    def set_ranges_version(self, n: int | None) -> None:
        """The caption "Reference ranges version n" (None: no caption)."""
        self._version = n
        self._caption()

    @staticmethod
    def ranges_from(a: FinanceAnalysis) -> dict[RatioCode, Range]:
        """The reference ranges the server said were in force, for `shared.finance.ratios`
        (a live preview judged as the server would judge it)."""
        return {RatioCode(r.code): Range(_decimal(r.range.min), _decimal(r.range.max)) for r in a.ratios}

    def ratio_shown(self, code: RatioCode) -> Ratio | None:
        return self._ratios.get(code)

    def cell_text(self, code: RatioCode, column: int) -> str:
        """What the row of `code` shows in `column` (NAME, VALUE, RANGE or VERDICT)."""
        return self._items[list(RatioCode).index(code)][column].text()

    # -- Qt
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    # -- inside
    def _retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([tr("Ratio"), tr("Value"), tr("Reference range"), tr("Verdict")])
        self.table.setAccessibleName(tr("Financial ratios"))
        self._caption()
        self._fill()

    def _caption(self) -> None:
        if self._version is None:
            self.caption.setVisible(False)
            return
        self.caption.setText(tr("Reference ranges version %1").replace("%1", str(self._version)))
        self.caption.setVisible(True)

    def _cells(self, code: RatioCode) -> list[_Cell]:
        name = w(RATIO_WORDS[code])
        r = self._ratios.get(code)
        if r is None:
            return [_Cell(name, name, name), _Cell(DASH, tr("Not shown"), name), _Cell(DASH, tr("Not shown"), name),
                    _Cell("", "", name)]
        value, rng, verdict = ratio_value_text(code, r.value), range_text(code, r.range), verdict_text(r.verdict,
                                                                                                        r.reason)
        summary = f"{name}: {value}; {tr('Reference range')}: {rng}; {verdict}"
        symbol, colour = VERDICT_MARKS[r.verdict]
        return [_Cell(name, name, summary), _Cell(value, value, summary), _Cell(rng, rng, summary),
                # the symbol is seen; a screen reader says the words alone
                _Cell(f"{symbol} {verdict}", verdict, summary, colour, r.verdict != Verdict.NOT_APPLICABLE)]

    def _fill(self) -> None:
        changed = False
        for row, code in enumerate(RatioCode):
            for col, cell in enumerate(self._cells(code)):
                if self._shown.get((row, col)) == cell:
                    continue
                self._shown[(row, col)] = cell
                item = self._items[row][col]
                item.setText(cell.text)
                item.setToolTip(cell.summary)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, cell.accessible)
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, cell.summary)
                if col == self.VERDICT:
                    item.setForeground(QBrush(QColor(cell.colour or "#000000")))
                    font = QFont(item.font())
                    font.setBold(cell.bold)
                    item.setFont(font)
                changed = True
        if changed:
            self.table.resizeColumnsToContents()
            self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height()
                                      + sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
                                      + 2 * self.table.frameWidth())


# ----------------------------------------------------------------------------- mix
class _Donut:
    """One side of the mix: a donut whose slices stay (their values change in place) with
    a legend of words and shares beside it, or the words of its empty state."""

    def __init__(self, groups: Sequence[Group], colours: Sequence[str], parent: QWidget) -> None:
        self.groups = tuple(groups)
        self.title = _bold(QLabel(parent))
        self.series = QPieSeries()
        self.series.setHoleSize(0.5)
        self.series.setPieSize(0.9)
        self.series.hovered.connect(self._hovered)
        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setBackgroundVisible(False)
        self.chart.setMargins(QMargins(0, 0, 0, 0))
        self.chart.legend().hide()  # the legend beside it wraps; Qt's would cut the words short
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumSize(QSize(150, 150))
        self.view.setStyleSheet("background: transparent")
        self.slices: list[QPieSlice] = []
        self.legend: list[QLabel] = []
        legend = QVBoxLayout()
        legend.addStretch(1)
        for colour in colours:
            s = QPieSlice("", 0.0)
            s.setColor(QColor(colour))
            s.setBorderColor(QColor("white"))
            self.series.append(s)
            self.slices.append(s)
            swatch = QLabel("■")
            swatch.setStyleSheet(f"color: {colour}")
            text = QLabel()
            text.setWordWrap(True)
            row = QHBoxLayout()
            row.addWidget(swatch, 0, Qt.AlignmentFlag.AlignTop)
            row.addWidget(text, 1)
            legend.addLayout(row)
            self.legend.append(text)
        legend.addStretch(1)
        self.chart.addSeries(self.series)
        page = QWidget()
        box = QHBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view, 1)
        box.addLayout(legend, 1)
        self.empty = _empty_label()
        self.stack = QStackedWidget(parent)
        self.stack.addWidget(page)
        self.stack.addWidget(self.empty)
        self.page = page
        self.labels: list[str] = []
        self._values: list[float] = [0.0] * len(self.slices)

    def set_values(self, values: Sequence[Decimal] | None, empty_text: str) -> None:
        """Values of the groups (drawn as their shares), or the empty state when they add
        up to nothing. Only what changed is handed to Qt."""
        parts = [max(v, Decimal(0)) for v in values] if values is not None else []
        total = sum(parts, Decimal(0))
        if total <= 0:
            self.labels = []
            if self.empty.text() != empty_text:
                self.empty.setText(empty_text)
            self._current(self.empty, empty_text)
            return
        labels = [f"{w(GROUP_WORDS[g])} {_share(v, total)}" for g, v in zip(self.groups, parts, strict=True)]
        for n, (s, v, text) in enumerate(zip(self.slices, parts, labels, strict=True)):
            value = float(v)  # drawing only: the shares shown are computed from the Decimals
            if value != self._values[n]:
                s.setValue(value)
                self._values[n] = value
            if n >= len(self.labels) or text != self.labels[n]:
                s.setLabel(text)
                self.legend[n].setText(text)
        self.labels = labels
        self._current(self.page, "; ".join(labels))

    def _current(self, widget: QWidget, description: str) -> None:
        if self.stack.currentWidget() is not widget:
            self.stack.setCurrentWidget(widget)
        if self.stack.accessibleDescription() != description:
            self.stack.setAccessibleDescription(description)

    def _hovered(self, s: QPieSlice, state: bool) -> None:
        if state:
            QToolTip.showText(QCursor.pos(), s.label(), self.view)
        else:
            QToolTip.hideText()


class MixChart(QWidget):
    """The asset mix (liquid, investment, personal-use) and the liability mix (short-,
    long-term) of a balance sheet, side by side; a side adding up to nothing says so
    ("No liabilities"). `update_totals` is cheap: the slices change in place, and only
    those that changed, for a preview that follows every keystroke."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._totals: BalanceTotals | None = None
        self.assets = _Donut(ASSET_GROUPS, ASSET_COLOURS, self)
        self.liabilities = _Donut(LIABILITY_GROUPS, LIABILITY_COLOURS, self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(18)
        for side in (self.assets, self.liabilities):
            box = QVBoxLayout()
            box.addWidget(side.title)
            box.addWidget(side.stack, 1)
            layout.addLayout(box, 1)
        self._retranslate()

    def update_totals(self, b: BalanceTotals | None) -> None:
        if b == self._totals:
            return
        self._totals = b
        self._show()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.assets.title.setText(tr("Asset mix"))
        self.liabilities.title.setText(tr("Liability mix"))
        self.assets.stack.setAccessibleName(tr("Asset mix"))
        self.liabilities.stack.setAccessibleName(tr("Liability mix"))
        for side in (self.assets, self.liabilities):
            side.labels = []  # the group words are the language's now: write them again
        self._show()

    def _show(self) -> None:
        b = self._totals
        if b is None:
            self.assets.set_values(None, tr("No balance sheet yet"))
            self.liabilities.set_values(None, tr("No balance sheet yet"))
            return
        self.assets.set_values((b.liquid, b.investment, b.personal_use), tr("No assets"))
        self.liabilities.set_values((b.short_term, b.long_term), tr("No liabilities"))


# ----------------------------------------------------------------------------- trend
TrendPoint = tuple[str, Decimal | None, Decimal | None]


def _axis_range(values: Sequence[float], empty: tuple[float, float]) -> tuple[float, float]:
    """From zero (or below) to the largest value, a little room either side."""
    if not values:
        return empty
    lo, hi = min(0.0, *values), max(0.0, *values)
    if hi == lo:
        return (lo, lo + empty[1])
    pad = (hi - lo) * 0.08
    return (lo - pad if lo < 0 else lo, hi + pad if hi > 0 else hi)


class TrendChart(QWidget):
    """Net worth (CNY, left axis, a solid line with round points) and the savings ratio
    (%, right axis, a dashed line with square points) across snapshots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[TrendPoint] = []
        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setLocalizeNumbers(True)
        self.chart.setLocale(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))  # 2,400,000
        self.chart.setBackgroundRoundness(0)
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.legend().setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        self.net_worth = QLineSeries()
        self.net_worth.setPen(QPen(QColor(NET_WORTH_COLOUR), 2.5))
        self.net_worth.setPointsVisible(True)
        self.net_worth.setMarkerSize(9)
        self.savings = QLineSeries()
        dashed = QPen(QColor(SAVINGS_COLOUR), 2.5)
        dashed.setStyle(Qt.PenStyle.DashLine)  # told apart by line and point shape, not by colour alone
        self.savings.setPen(dashed)
        self.savings_points = QScatterSeries()
        self.savings_points.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeRectangle)
        self.savings_points.setMarkerSize(9)
        self.savings_points.setColor(QColor(SAVINGS_COLOUR))
        self.savings_points.setBorderColor(QColor(SAVINGS_COLOUR))
        for series in (self.net_worth, self.savings, self.savings_points):
            series.hovered.connect(self._hovered)
            self.chart.addSeries(series)
        for marker in self.chart.legend().markers(self.savings_points):
            marker.setVisible(False)  # the dashed line's entry stands for both
        self.periods = QBarCategoryAxis()
        self.money_axis = QValueAxis()
        self.money_axis.setLabelFormat("%.0f")
        self.ratio_axis = QValueAxis()
        self.ratio_axis.setLabelFormat("%.0f %")
        self.ratio_axis.setLinePenColor(QColor(SAVINGS_COLOUR))
        self.ratio_axis.setGridLineVisible(False)
        self.chart.addAxis(self.periods, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.money_axis, Qt.AlignmentFlag.AlignLeft)
        self.chart.addAxis(self.ratio_axis, Qt.AlignmentFlag.AlignRight)
        for series, axis in ((self.net_worth, self.money_axis), (self.savings, self.ratio_axis),
                             (self.savings_points, self.ratio_axis)):
            series.attachAxis(self.periods)
            series.attachAxis(axis)
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumSize(QSize(420, 260))
        self.empty = _empty_label()
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._retranslate()

    def show_trend(self, points: Sequence[TrendPoint]) -> None:
        """(period, net worth, savings ratio as a fraction) per snapshot, oldest first;
        a None is left out of its line (the period stays on the axis)."""
        self._points = list(points)
        labels: list[str] = []
        for period, _nw, _sr in self._points:
            label, n = period, 2
            while label in labels:  # a category axis needs distinct names
                label, n = f"{period} ({n})", n + 1
            labels.append(label)
        worth = [QPointF(i, float(nw)) for i, (_p, nw, _sr) in enumerate(self._points) if nw is not None]
        ratio = [QPointF(i, float(sr * HUNDRED)) for i, (_p, _nw, sr) in enumerate(self._points) if sr is not None]
        self.net_worth.replace(worth)
        self.savings.replace(ratio)
        self.savings_points.replace(ratio)
        self.periods.clear()
        if labels:
            self.periods.append(labels)
        self.money_axis.setRange(*_axis_range([p.y() for p in worth], (0.0, 100_000.0)))
        self.money_axis.applyNiceNumbers()
        self.ratio_axis.setRange(*_axis_range([p.y() for p in ratio], (0.0, 100.0)))
        self.ratio_axis.applyNiceNumbers()
        shown = bool(worth or ratio)
        self.stack.setCurrentWidget(self.view if shown else self.empty)
        self.stack.setAccessibleDescription(self._summary() if shown else self.empty.text())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        savings = w(RATIO_WORDS[RatioCode.SAVINGS_RATIO])
        self.net_worth.setName(tr("Net worth (CNY)"))
        self.savings.setName(f"{savings} (%)")
        self.savings_points.setName(f"{savings} (%)")
        self.money_axis.setTitleText(tr("Net worth (CNY)"))
        self.ratio_axis.setTitleText(f"{savings} (%)")
        self.empty.setText(tr("No figures to show yet"))
        self.stack.setAccessibleName(tr("Net worth and savings ratio over time"))
        self.show_trend(self._points)

    def _summary(self) -> str:
        savings = w(RATIO_WORDS[RatioCode.SAVINGS_RATIO])
        return "; ".join(
            f"{period}: {tr('Net worth')} {DASH if nw is None else money_text(nw)}, "
            f"{savings} {ratio_value_text(RatioCode.SAVINGS_RATIO, sr)}" for period, nw, sr in self._points)

    def _hovered(self, point: QPointF, state: bool) -> None:
        index = round(point.x())
        if not state or not 0 <= index < len(self._points):
            QToolTip.hideText()
            return
        period, nw, sr = self._points[index]
        savings = w(RATIO_WORDS[RatioCode.SAVINGS_RATIO])
        QToolTip.showText(QCursor.pos(), f"{period}\n{tr('Net worth')}: {DASH if nw is None else money_text(nw)}\n"
                                         f"{savings}: {ratio_value_text(RatioCode.SAVINGS_RATIO, sr)}", self.view)

# ----------------------------------------------------------------------------- statement
def print_document(doc: QPdfDocument, printer: QPrinter) -> bool:
    """Every page of `doc` (or the printer's from–to pages) onto `printer`, each page
    fitted to the paper's printable area, aspect kept. False when there is nothing to
    print or the printer cannot be opened."""
    count = doc.pageCount()
    if count <= 0:
        return False
    first = max(printer.fromPage(), 1)
    last = min(printer.toPage(), count) if printer.toPage() > 0 else count
    if first > last:
        return False
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        dpi = min(max(printer.resolution(), MIN_PRINT_DPI), MAX_PRINT_DPI)
        area = QRectF(painter.viewport())
        for n, index in enumerate(range(first - 1, last)):
            if n and not printer.newPage():
                return False
            points = doc.pagePointSize(index)
            if points.width() <= 0 or points.height() <= 0:
                continue
            image = doc.render(index, QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72)))
            scale = min(area.width() / points.width(), area.height() / points.height())
            width, height = points.width() * scale, points.height() * scale
            target = QRectF(area.x() + (area.width() - width) / 2, area.y(), width, height)
            painter.fillRect(target, QColor("white"))  # the page's own background may be transparent
            painter.drawImage(target, image)
    finally:
        painter.end()
    return True


def save_pdf(data: bytes, path: str | os.PathLike[str]) -> None:
    """The whole file or none: written to a temporary file beside `path`, then renamed over it."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".statement-", suffix=".pdf", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StatementPreview(QWidget):
    """A statement PDF held in memory: pages in one scrolling column, zoom, "n / m",
    Print… and Save as PDF…"""

    printed = Signal()
    saved = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = b""
        self._name = ""
        self._buffer: QBuffer | None = None  # the document reads from it as long as it is open
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setPageSpacing(12)
        self.name_label = QLabel(self)
        self.page_label = QLabel(self)
        self.page_label.setMinimumWidth(self.page_label.fontMetrics().horizontalAdvance("000 / 000"))
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_out_button = QToolButton(self)
        self.zoom_in_button = QToolButton(self)
        self.fit_button = QToolButton(self)
        self.print_button = QPushButton(self)
        self.save_button = QPushButton(self)
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.fit_button.clicked.connect(self.fit_width)
        self.print_button.clicked.connect(self.print_statement)
        self.save_button.clicked.connect(self.save_statement)
        # only while the focus is in the preview: a form beside it keeps its own Ctrl+S
        for keys, target in SHORTCUTS.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(getattr(self, target).click)
        self.view.pageNavigator().currentPageChanged.connect(self._page_changed)
        bar = QHBoxLayout()
        bar.addWidget(self.name_label, 1)
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            bar.addWidget(button)
        bar.addWidget(self.page_label)
        bar.addSpacing(12)
        bar.addWidget(self.print_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self._failed = False
        self._retranslate()
        self._enable()

    # -- API
    def show_pdf(self, data: bytes, suggested_name: str) -> bool:
        """Show the PDF `data`; `suggested_name` is the file name Save as PDF offers.
        False (and nothing shown) when the bytes are no readable PDF."""
        self.document.close()  # before the buffer it reads from goes
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
        self._data = bytes(data)
        self._name = suggested_name if suggested_name.lower().endswith(".pdf") else f"{suggested_name}.pdf"
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(self._data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)  # a QBuffer is random-access: loaded (or failed) on return
        self._failed = self.document.status() == QPdfDocument.Status.Error or self.document.pageCount() <= 0
        if self._failed:
            self.document.close()
            self._data = b""
        self.name_label.setText(self._name)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        if not self._failed:
            self.view.pageNavigator().jump(0, QPointF(), 0)
        self._page_indicator()
        self._enable()
        return not self._failed

    def page_count(self) -> int:
        return self.document.pageCount() if self._data else 0

    def current_page(self) -> int:
        """1-based; 0 when nothing is shown."""
        return self.view.pageNavigator().currentPage() + 1 if self.page_count() else 0

    def zoom_in(self) -> None:
        self._zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom(1 / ZOOM_STEP)

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def print_statement(self) -> None:
        """The print dialog, then the pages to the printer chosen."""
        if not self.page_count():
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self._name)
        printer.setFullPage(True)  # the statement has its own margins: print it at its size
        first = self.document.pagePointSize(0)
        printer.setPageSize(QPageSize(first, QPageSize.Unit.Point))
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, self.page_count())
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        if not print_document(self.document, printer):
            QMessageBox.warning(self, tr("Print"), tr("The statement could not be printed"))
            return
        self.printed.emit()

    def save_statement(self) -> None:
        """Ask where, then write the PDF there (whole or not at all)."""
        if not self._data:
            return
        path, _chosen = QFileDialog.getSaveFileName(self, tr("Save as PDF"), self._name, tr("PDF document (*.pdf)"))
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            save_pdf(self._data, path)
        except OSError as e:
            QMessageBox.warning(self, tr("Save as PDF"), f"{error_message('export.write_failed')}: {e.strerror or e}")
            return
        self.saved.emit(path)

    # -- Qt
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    # -- inside
    def _retranslate(self) -> None:
        keys_of: dict[str, str] = {}
        for keys, target in SHORTCUTS.items():
            keys_of.setdefault(target, keys)  # the first of a button's keys is the one its tooltip names
        for name, text in (("zoom_out_button", tr("Zoom out")), ("zoom_in_button", tr("Zoom in")),
                           ("fit_button", tr("Fit width")), ("print_button", tr("Print...")),
                           ("save_button", tr("Save as PDF..."))):
            button = getattr(self, name)
            button.setText(text)
            keys = QKeySequence(keys_of[name]).toString(QKeySequence.SequenceFormat.NativeText) if name in keys_of \
                else ""
            button.setToolTip(f"{text} ({keys})" if keys else text)
            button.setAccessibleName(text.rstrip("."))
        self.view.setAccessibleName(tr("Statement preview"))
        self.page_label.setAccessibleName(tr("Page"))
        self._page_indicator()

    def _page_changed(self, _page: int) -> None:
        self._page_indicator()

    def _enable(self) -> None:
        shown = bool(self.page_count())
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button, self.print_button,
                       self.save_button):
            button.setEnabled(shown)

    def _page_indicator(self) -> None:
        if self._failed:
            self.page_label.setText(tr("The statement could not be shown"))
            return
        m = self.page_count()
        text = f"{self.current_page()} / {m}" if m else DASH
        self.page_label.setText(text)
        self.page_label.setToolTip(tr("Page %1 of %2").replace("%1", str(self.current_page())).replace("%2", str(m))
                                   if m else "")

    def _effective_zoom(self) -> float:
        if self.view.zoomMode() == QPdfView.ZoomMode.Custom or not self.page_count():
            return self.view.zoomFactor()
        # what FitToWidth / FitInView show: the page's width in screen pixels over the viewport's
        points = self.document.pagePointSize(max(self.view.pageNavigator().currentPage(), 0))
        margins = self.view.documentMargins()
        page_px = points.width() * self.view.logicalDpiX() / 72
        if page_px <= 0:
            return 1.0
        return (self.view.viewport().width() - margins.left() - margins.right()) / page_px

    def _zoom(self, factor: float) -> None:
        zoom = min(max(self._effective_zoom() * factor, MIN_ZOOM), MAX_ZOOM)
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(zoom)
