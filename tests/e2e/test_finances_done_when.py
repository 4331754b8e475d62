"""Issue 14's "Done when", as one run against the demo bank served by a real `crm-server
demo` process: the account manager opens the demo's 张三丰, enters 2026's balance sheet
and income table by keyboard, sees the ratios and the charts follow the typing, saves,
compares with last year, previews the statement and prints it, in Chinese and English."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from client.views import finance_panels
from client.views.customer_form import CustomerProfileForm
from client.views.finance_panels import RatioPanel
from client.views.finances import FinancesTab, StatementDialog
from client.views.main_window import MainWindow
from client.views.widgets import LazyPage
from shared.enums import RatioCode
from tests.client.conftest import api_as, controller_for
from tests.desktop import print_to_file_dialog

#: 2026 as the customer tells it: a year on from the demo's 2025 (amounts as staff type them)
SHEET = {"cash": "8,000", "demand_deposits": "60,000", "time_deposits": "1,200,000", "funds": "150,000",
         "residence": "4,450,000", "credit_card": "9,500.50"}
INCOME = {"bonus": "50000", "rent": "56,000", "living": "180,000", "insurance": "40,000",
          "debt_repayments": "30,000"}


def typed(qtbot, editor, code: str, text: str, member=None) -> None:  # type: ignore[no-untyped-def]
    """Keyboard only: move to the cell, type (the first key opens the editor), Tab on."""
    editor.table.setFocus()
    editor.table.setCurrentIndex(editor.cell_index(code, member))
    for ch in text:
        qtbot.keyClicks(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def test_an_account_manager_enters_a_year_compares_and_prints(qtbot, demo_server, tmp_path: Path, monkeypatch):
    w = MainWindow(controller_for(demo_server, "manager"))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    assert w.search is not None
    w.search.query.setText("zsf")
    w.search.search_now()
    qtbot.waitUntil(lambda: w.search.model.rowCount() > 0, timeout=10000)  # type: ignore[union-attr]
    w.search.table.setFocus()
    w.search.table.selectRow(0)
    qtbot.keyClick(w.search.table, Qt.Key.Key_Return)
    form = w.tabs.currentWidget()
    assert isinstance(form, CustomerProfileForm)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    assert form.header.title.text() == "张三丰"
    lazy = next(form.tabs.widget(i) for i in range(form.tabs.count()) if form.tabs.tabText(i) == "Finances")
    assert isinstance(lazy, LazyPage)
    form.tabs.setCurrentWidget(lazy)
    tab = lazy.page
    assert isinstance(tab, FinancesTab)
    qtbot.waitUntil(lambda: tab.data is not None, timeout=10000)
    assert tab.data is not None
    assert [s.as_of.year for s in tab.data.sheets] == [2025, 2024] and [t.year for t in tab.data.tables] == [2025, 2024]
    members = {m.relation: m.id for m in tab.data.household.members}
    mmf_2025 = next(Decimal(x.amount) for x in tab.data.sheets[0].lines if x.type == "money_market_funds")

    # 2026's balance sheet, started from 2025's figures, changed by keyboard
    tab.new_sheet(date(2026, 12, 31))
    solvency, mix = [], []
    for code, amount in SHEET.items():
        typed(qtbot, tab.balance, code, amount)
        solvency.append(tab.ratio_panel.cell_text(RatioCode.SOLVENCY, RatioPanel.VALUE))
        mix.append(tuple(s.value() for s in tab.mix.assets.slices))
    assert len(set(solvency)) > 1 and len(set(mix)) > 1  # the ratios and the chart followed the typing
    b = tab.balance.totals()
    assert b.liquid == Decimal("8000.00") + Decimal("60000.00") + mmf_2025  # typed, and carried over

    # 2026's income table: the son's wages in his own column, the rest for the household
    tab.new_year_table(2026)
    typed(qtbot, tab.income, "wages", "330000", members["child"])
    for code, amount in INCOME.items():
        typed(qtbot, tab.income, code, amount)
    savings = tab.income.totals().savings
    assert tab.ratio_panel.cell_text(RatioCode.SAVINGS_RATIO, RatioPanel.VALUE) == \
        f"{(savings / tab.income.totals().income * 100).quantize(Decimal('0.01'))} %"

    # Ctrl+S where the typing was: the workspace's one Ctrl+S saves the tab on screen
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: tab.status.text() == "Saved", timeout=15000)
    api = api_as(demo_server, "manager")
    cid = tab.customer_id
    saved = api.finance_analysis(cid)
    assert saved.totals["net_worth"] == str(b.net_worth) and saved.totals["savings"] == str(savings)

    # compared with last year: 2025's figures beside 2026's, and what changed
    tab.compare_action.setChecked(True)
    tab._compare()
    headers = [tab.balance.model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(tab.balance.model.columnCount())]
    assert "2025-12-31" in headers and "Change" in headers
    assert tab.trend.periods.categories() == ["2024", "2025", "2026"]

    # the statement previewed in both languages, then printed through the (stand-in) dialog
    out = tmp_path / "printed.pdf"

    monkeypatch.setattr(finance_panels, "QPrintDialog", print_to_file_dialog(out))  # "print to a PDF file"
    assert tab.sheet is not None and tab.table is not None
    dialog = StatementDialog(tab.controller, cid, tab.sheet.as_of.isoformat(), tab.table.year, tab)
    qtbot.addWidget(dialog)
    dialog.show()
    for lang in ("zh_CN", "en"):
        qtbot.waitUntil(lambda: dialog.status.text() != "Loading...", timeout=15000)
        dialog.lang.setCurrentIndex(dialog.lang.findData(lang))
        dialog.fetch()
        qtbot.waitUntil(lambda: dialog.status.text() != "Loading...", timeout=15000)
        assert dialog.preview.page_count() >= 2, dialog.status.text()
    with qtbot.waitSignal(dialog.preview.printed, timeout=15000):
        dialog.preview.print_button.click()
    printed = PdfReader(BytesIO(out.read_bytes()))
    assert len(printed.pages) == dialog.preview.page_count()
    zh = "\n".join(p.extract_text() for p in PdfReader(BytesIO(api.statement_pdf(cid, "zh_CN"))).pages)
    assert "张三丰" in zh and "2026-12-31" in zh and "资产负债表" in zh and f"{b.net_worth:,.2f}" in zh
    trail = api_as(demo_server, "auditor").audit(action="statement.print", object_id=str(cid))
    assert len(trail) >= 3 and all(e.actor.username == "manager" for e in trail)  # each preview is a print
