"""The UI thread never stalls over 100 ms (issue 13, "Measured, not hoped"): a watchdog
(client/watchdog.py) runs while a branch manager searches as they type, scrolls the
branch's whole list page by page and saves a profile, against a real server process
(`crm-server demo`: the server's work does not share the client's interpreter). The
figures themselves come from bench/client_ui.py (docs/PERFORMANCE.md)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from client.views.customer_form import CustomerProfileForm
from client.views.main_window import MainWindow
from client.watchdog import UiWatchdog
from shared.schemas import CustomerQuery
from tests.client.conftest import api_as, controller_for


def _search_page_and_save(qtbot, w: MainWindow, url: str) -> list[float]:  # type: ignore[no-untyped-def]
    """The three phases with the watchdog running; the stalls it saw (ms)."""
    search = w.search
    assert search is not None
    search.query.clear()
    qtbot.waitUntil(lambda: search._shown is not None and search._shown[1].q is None, timeout=10000)
    w.tabs.setCurrentWidget(search)
    qtbot.wait(200)  # the window has settled (first paint, fonts)
    # the test's own look at the server, before the watchdog runs: a synchronous call
    # here (a new HTTP client builds its TLS context, ~100-300 ms) was the test's stall,
    # not the client's
    total = api_as(url, "president").search_customers(CustomerQuery(), 1, 1).total
    dog = UiWatchdog()
    dog.start()
    for q in ("zsf", "wang", "li", "chen", "zhang"):
        search.query.setFocus()
        search.query.selectAll()
        for ch in q:
            qtbot.keyClick(search.query, ch)
            qtbot.wait(80)
        qtbot.waitUntil(lambda q=q: search._shown is not None and search._shown[1].q == q, timeout=10000)
    search.query.clear()
    assert total > 100  # the demo branch: several pages
    qtbot.waitUntil(lambda: search._shown is not None and search._shown[1].q is None, timeout=10000)
    while search.model.rowCount() < total:
        before = search.model.rowCount()
        search.table.scrollToBottom()
        qtbot.waitUntil(lambda before=before: search.model.rowCount() > before, timeout=10000)
    search.table.setFocus()
    search.table.selectRow(0)
    qtbot.keyClick(search.table, Qt.Key.Key_Return)
    form = w.tabs.currentWidget()
    assert isinstance(form, CustomerProfileForm)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    occupation = form.inputs["occupation"]
    assert isinstance(occupation, QLineEdit)
    occupation.setText((occupation.text() or "职员") + "乙")
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    dog.stop()
    assert dog.stalls, "the watchdog ran"
    w.close_tab(w.tabs.indexOf(form))
    return dog.stalls


def test_the_ui_thread_never_stalls_while_searching_paging_and_saving(qtbot, demo_server):
    """A stall our code causes (a call on the UI thread) happens every time; one from a
    machine busy with the rest of the suite (2 cores shared with another test worker,
    the server and PostgreSQL) does not. So the phases run again once if the first run
    saw a stall, and the test fails when the second does too."""
    w = MainWindow(controller_for(demo_server, "president"))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    assert w.search is not None
    w.search.search_now()
    qtbot.waitUntil(lambda: w.search._shown is not None, timeout=10000)  # type: ignore[union-attr]
    runs = []
    for _attempt in range(2):
        runs.append([s for s in _search_page_and_save(qtbot, w, demo_server) if s > 100])
        if not runs[-1]:
            break
    assert not runs[-1], runs
