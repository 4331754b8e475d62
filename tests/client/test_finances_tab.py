"""The customer's Finances tab on real widgets against a real server (issue 14, Client;
household-finance.md's worked example): a year's balance sheet and income table entered
by keyboard, the ratios and the mix following as typed, saved; compare with last year;
a stale save; the statement previewed (and on the audit trail); a batch of statements
saved into a folder; tellers get no Finances tab."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from client.views.customer_form import CustomerProfileForm
from client.views.finance_panels import RatioPanel
from client.views.finances import BatchStatements, FinancesTab, StatementDialog
from shared.enums import RatioCode
from shared.schemas import CustomerQuery
from tests.client.conftest import api_as, controller_for
from tests.server.conftest import id_number

SHEET = {"cash": "20000", "demand_deposits": "80000", "funds": "150000", "time_deposits": "250000",
         "residence": "3000000", "vehicles": "200000", "credit_card": "10000", "mortgage": "1200000",
         "car_loan": "90000"}
CASH = [{"type": "cash", "amount": "1000.00"}]
NAMES = {"cash": "Cash", "demand_deposits": "Demand deposits", "funds": "Funds", "time_deposits": "Time deposits",
         "residence": "Residence", "vehicles": "Vehicles", "credit_card": "Credit cards", "mortgage": "Mortgage",
         "car_loan": "Car loan", "wages": "Wages", "bonus": "Bonus", "living": "Living",
         "insurance": "Insurance premiums", "debt_repayments": "Debt repayments"}


def new_customer(url: str, seq: int) -> int:
    """A customer of the demo's account manager `manager`, with no figures yet."""
    api = api_as(url, "manager")
    me = api.me()
    born = f"1988{seq % 12 + 1:02d}15"
    c = api.create_customer({"name": f"财务测试{uuid.uuid4().hex[:4]}", "gender": "male", "birth_date":
                             f"1988-{seq % 12 + 1:02d}-15", "id_number": id_number("330102", born, 300 + seq, True),
                             "org_id": me.user.org_id, "manager_id": me.user.id})
    return c.id


def opened(qtbot, url: str, cid: int, username: str = "manager") -> FinancesTab:  # type: ignore[no-untyped-def]
    tab = FinancesTab(controller_for(url, username), cid)
    qtbot.addWidget(tab)
    tab.resize(1366, 768)
    tab.show()
    tab.activateWindow()
    qtbot.waitExposed(tab)
    qtbot.waitUntil(lambda: tab.data is not None, timeout=10000)
    return tab


def type_amount(qtbot, tab: FinancesTab, kind: str, code: str, text: str, member_id=None) -> None:  # type: ignore[no-untyped-def]
    editor = tab.balance if kind == "balance" else tab.income
    tab.parts.setCurrentWidget(editor)
    index = editor.cell_index(code, member_id)
    assert index.isValid(), code
    editor.table.setFocus()
    editor.table.setCurrentIndex(index)
    for ch in text:  # the first key opens the cell's editor, the rest go to it
        qtbot.keyClicks(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def verdict(tab: FinancesTab, code: RatioCode) -> str:
    return tab.ratio_panel.cell_text(code, RatioPanel.VERDICT)


def test_a_year_entered_by_keyboard_with_live_ratios_then_saved(qtbot, live):
    cid = new_customer(live.url, 1)
    tab = opened(qtbot, live.url, cid)
    assert "No balance sheet" in tab.status.text()
    tab.new_sheet(date(2026, 12, 31))
    seen = []
    for code, amount in SHEET.items():
        type_amount(qtbot, tab, "balance", code, f"{int(amount):,}")
        seen.append(tab.ratio_panel.cell_text(RatioCode.SOLVENCY, RatioPanel.VALUE))
    # the ratios followed the typing, before anything was saved
    assert seen[-1] == "64.86 %" and len(set(seen)) > 2
    assert tab.balance.totals().net_worth == Decimal("2400000.00")
    assert "Changes not saved" in tab.status.text()
    # the income table of 2026, with the household's two earners
    tab.household.add_member("财务户主", "self")
    tab.household.add_member("财务配偶", "spouse")
    tab.balance.table.setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S
    try:
        qtbot.waitUntil(lambda: tab.status.text() == "Saved", timeout=10000)
    except Exception:
        raise AssertionError(tab.status.text() + " | " + tab.household.error.text()) from None
    members = [m.id for m in tab.data.household.members]
    assert len(members) == 2 and [s.as_of for s in tab.data.sheets] == [date(2026, 12, 31)]
    tab.new_year_table(2026)
    for code, amount, member in (("wages", "360000", members[0]), ("wages", "240000", members[1]),
                                 ("bonus", "60000", None), ("living", "180000", None),
                                 ("insurance", "24000", None), ("debt_repayments", "132000", None)):
        type_amount(qtbot, tab, "income", code, amount, member)
    assert tab.income.totals().savings == Decimal("324000.00")
    assert tab.ratio_panel.cell_text(RatioCode.SAVINGS_RATIO, RatioPanel.VALUE) == "49.09 %"
    assert "Healthy" in verdict(tab, RatioCode.SAVINGS_RATIO)
    assert "Attention" in verdict(tab, RatioCode.INVESTMENT_TO_NET_WORTH)
    assert tab.ratio_panel.cell_text(RatioCode.EMERGENCY_FUND, RatioPanel.VALUE) == "3.57 months"
    tab.save()
    qtbot.waitUntil(lambda: tab.status.text() == "Saved", timeout=10000)
    # the server's analysis of what was saved is the worked example's
    a = api_as(live.url, "manager").finance_analysis(cid)
    assert [r.value for r in a.ratios] == ["0.4909", "0.1667", "0.6486", "0.3514", "0.0769", "0.2000", "3.5714"]
    saved = api_as(live.url, "manager").statements("income-statements", cid)[0]
    assert sorted((x.amount, x.member_id) for x in saved.lines if x.type == "wages") == [
        ("240000.00", members[1]), ("360000.00", members[0])]


def test_compare_with_last_year_and_a_stale_save(qtbot, live):
    cid = new_customer(live.url, 2)
    api = api_as(live.url, "manager")
    api.save_statement("balance-sheets", cid, "2025-12-31", [{"type": "cash", "amount": "1000.00"}])
    api.save_statement("balance-sheets", cid, "2026-12-31", [{"type": "cash", "amount": "1500.00"}])
    tab = opened(qtbot, live.url, cid)
    assert tab.sheet_box.currentText() == "2026-12-31"
    tab.compare_action.trigger()
    headers = [tab.balance.model.headerData(c, Qt.Orientation.Horizontal) for c in
               range(tab.balance.model.columnCount())]
    assert "2025-12-31" in headers and "Change" in headers
    assert "2025-12-31" in headers and "Change" in headers, headers
    # someone else changes the 2026 sheet; this screen's save is refused, its figures kept
    sheet = api.statements("balance-sheets", cid)[0]
    api.save_statement("balance-sheets", cid, "2026-12-31", [{"type": "cash", "amount": "9.00"}], sheet.id,
                       sheet.version)
    type_amount(qtbot, tab, "balance", "cash", "2000")
    tab.save()
    try:
        qtbot.waitUntil(lambda: "Someone else changed" in tab.status.text(), timeout=10000)
    except Exception:
        raise AssertionError(tab.status.text()) from None
    assert tab.balance.totals().liquid == Decimal("2000.00")
    assert api.statements("balance-sheets", cid)[0].lines[0].amount == "9.00"


def test_the_statement_previews_and_the_print_is_on_the_audit_trail(qtbot, live):
    cid = new_customer(live.url, 3)
    api_as(live.url, "manager").save_statement("balance-sheets", cid, "2026-12-31", CASH)
    tab = opened(qtbot, live.url, cid)
    dialog = StatementDialog(tab.controller, cid, "2026-12-31", None, tab)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview.page_count() >= 1, timeout=15000)
    trail = api_as(live.url, "auditor").audit(action="statement.print", object_id=str(cid))
    assert len(trail) == 1 and trail[0].actor.username == "manager"
    from io import BytesIO

    from pypdf import PdfReader

    from server.demo import DEMO_BANK
    pdf = api_as(live.url, "manager").statement_pdf(cid, "en")
    first = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert first.startswith(DEMO_BANK)  # the demo names its bank (CRM_BANK_NAME)


def test_a_batch_of_statements_is_saved_into_a_folder(qtbot, live, tmp_path: Path):
    cid = new_customer(live.url, 4)
    api_as(live.url, "manager").save_statement("balance-sheets", cid, "2026-12-31", CASH)
    dialog = BatchStatements(controller_for(live.url, "manager"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.folder.setText(str(tmp_path))
    dialog.start()
    qtbot.waitUntil(lambda: "statements saved" in dialog.error.text(), timeout=60000)
    files = list(tmp_path.glob("*.pdf"))
    assert files and all(f.read_bytes().startswith(b"%PDF") for f in files)
    assert not list(tmp_path.glob("*.tmp*"))


def test_tellers_get_no_finances_tab(qtbot, live):
    cid = api_as(live.url, "teller").search_customers(CustomerQuery(q="张")).items[0].id
    form = CustomerProfileForm(controller_for(live.url, "teller"), cid)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    titles = [form.tabs.tabText(i) for i in range(form.tabs.count())]
    assert "Finances" not in titles


def test_a_refusal_from_the_server_is_shown_on_the_line_it_names(qtbot, live):
    """Someone else removed a member meanwhile: the income typed for them is refused
    (`lines[n].member_id`), and the mark is on that cell; nothing is stored."""
    cid = new_customer(live.url, 5)
    api = api_as(live.url, "manager")
    h = api.put_household(cid, 0, [{"name": "户主", "relation": "self"}, {"name": "配偶", "relation": "spouse"}])
    spouse = h.members[1].id
    tab = opened(qtbot, live.url, cid)
    api.put_household(cid, h.version, [{"id": h.members[0].id, "name": "户主", "relation": "self"}])
    tab.new_year_table(2026)
    type_amount(qtbot, tab, "income", "bonus", "1000")
    type_amount(qtbot, tab, "income", "wages", "5000", spouse)
    tab.save()
    qtbot.waitUntil(lambda: tab.save_action.isEnabled() and tab.status.text() not in ("", "Saving..."),
                    timeout=10000)
    index = tab.income.cell_index("wages", spouse)
    from client.views.finance_editors import PROBLEM_ROLE
    assert index.data(PROBLEM_ROLE), tab.status.text()
    assert not tab.income.cell_index("bonus").data(PROBLEM_ROLE)
    assert api.statements("income-statements", cid) == []


def test_cancelling_a_batch_stops_the_job_on_the_server(qtbot, live, tmp_path: Path):
    cid = new_customer(live.url, 6)
    api = api_as(live.url, "manager")
    api.save_statement("balance-sheets", cid, "2026-12-31", [{"type": "cash", "amount": "1000.00"}])
    dialog = BatchStatements(controller_for(live.url, "manager"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.folder.setText(str(tmp_path))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress is not None, timeout=10000)
    job_id = dialog.job.id
    from PySide6.QtWidgets import QPushButton
    [cancel] = dialog.progress.findChildren(QPushButton)
    cancel.click()  # the progress dialog's Cancel
    try:
        qtbot.waitUntil(lambda: dialog.error.text() == "Cancelled", timeout=10000)
    except Exception:
        raise AssertionError(dialog.error.text()) from None
    assert api.job(job_id).status in ("cancelled", "succeeded")  # a one-statement job may beat the click
    assert dialog.progress is None and dialog.start_button.isEnabled()


def test_no_folder_no_batch(qtbot, live):
    dialog = BatchStatements(controller_for(live.url, "manager"))
    qtbot.addWidget(dialog)
    dialog.folder.setText("/no/such/folder")
    dialog.start()
    assert "existing folder" in dialog.error.text() and dialog.job is None


def test_closing_the_customer_with_unsaved_figures_asks_first(qtbot, live, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from client.views.widgets import LazyPage
    cid = new_customer(live.url, 7)
    form = CustomerProfileForm(controller_for(live.url, "manager"), cid)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    lazy = next(form.tabs.widget(i) for i in range(form.tabs.count()) if form.tabs.tabText(i) == "Finances")
    assert isinstance(lazy, LazyPage) and lazy.page is None  # not built until looked at
    form.tabs.setCurrentWidget(lazy)
    assert isinstance(lazy.page, FinancesTab)
    qtbot.waitUntil(lambda: lazy.page.data is not None, timeout=10000)
    assert form.confirm_close()  # nothing typed: closes without a question
    lazy.page.new_sheet(date(2026, 6, 30))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel)
    assert not form.confirm_close() and asked


def test_the_history_names_a_statement_line_in_the_users_words():
    from client.views.history import field_name
    assert field_name("balance_sheet.cash") == "Balance sheet · Cash"
    assert field_name("balance_sheet.other_liquid[金条]") == "Balance sheet · 金条"
    assert field_name("income_statement.wages#12") == "Income table · Wages (member 12)"
    assert field_name("household") == "Household members"
    assert field_name("phone") == "Mobile"
