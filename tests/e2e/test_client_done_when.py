"""Issue 13's "Done when", on the demo bank served by a real `crm-server demo` process:
a branch manager scrolls through all 148 of the demo branch's customers sorted by name,
sets one's account manager and exports the list; the export is on the audit trail."""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from client.views.customer_form import CustomerProfileForm
from client.views.main_window import MainWindow
from shared.enums import ExportFormat
from shared.schemas import CustomerQuery
from tests.client.conftest import api_as, controller_for


def test_a_branch_manager_scrolls_the_branch_by_name_sets_a_manager_and_exports_the_list(qtbot, demo_server,
                                                                                      tmp_path: Path):
    w = MainWindow(controller_for(demo_server, "president"))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    search = w.search
    assert search is not None
    search.search_now()
    qtbot.waitUntil(lambda: search._shown is not None and search.model.rowCount() > 0, timeout=10000)
    assert search.status.text() == "148 customers"
    while search.model.rowCount() < 148:  # the list asks for the next page as it is scrolled
        before = search.model.rowCount()
        search.table.scrollToBottom()
        qtbot.waitUntil(lambda before=before: search.model.rowCount() > before, timeout=10000)
    rows = [search.model.customer_at(i) for i in range(search.model.rowCount())]
    assert len(rows) == 148 == len({c.id for c in rows})
    api = api_as(demo_server, "president")
    by_name = []
    for page in (1, 2):
        by_name += [c.id for c in api.search_customers(CustomerQuery(sort="name"), page, 100).items]
    assert [c.id for c in rows] == by_name  # the server's name order, every one of them

    # one customer's account manager, from the branch's account managers
    target = next(c for c in rows if c.type == "personal" and c.manager_name == "刘晓燕")
    search.table.selectRow(rows.index(target))
    search.table.setFocus()
    qtbot.keyClick(search.table, Qt.Key.Key_Return)
    form = w.tabs.currentWidget()
    assert isinstance(form, CustomerProfileForm)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    combo = form.inputs["manager_id"]
    assert isinstance(combo, QComboBox)
    qtbot.waitUntil(lambda: combo.findText("张伟", Qt.MatchFlag.MatchStartsWith) >= 0, timeout=10000)
    combo.setCurrentIndex(combo.findText("张伟", Qt.MatchFlag.MatchStartsWith))
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    assert form.header.facts["manager"].text() == "张伟"
    assert api.customer(target.id).manager_name == "张伟"

    # the list exported as shown, and on the audit trail
    w.tabs.setCurrentWidget(search)
    search.search_now()
    qtbot.waitUntil(lambda: search.model.rowCount() > 0 and search.status.text() == "148 customers", timeout=10000)
    path = tmp_path / "branch.xlsx"
    run = w.export_current((path, ExportFormat.XLSX))
    assert run is not None
    qtbot.waitUntil(lambda: run.done, timeout=30000)
    sheet = [[c or "" for c in r] for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)]
    assert len(sheet) == 1 + 148
    manager_col = sheet[0].index("Account manager")
    name_col = sheet[0].index("Name")
    assert next(r for r in sheet[1:] if r[name_col] == target.name)[manager_col] == "张伟"
    trail = api_as(demo_server, "auditor").audit(action="customer.export")
    assert trail and trail[0].actor is not None and trail[0].actor.username == "president"
    assert trail[0].details is not None and trail[0].details["rows"] == 148
