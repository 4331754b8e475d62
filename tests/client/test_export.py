"""Export any list to XLSX or CSV exactly as shown (issue 13): off the UI thread, every
page of the list, masked as the reader sees it, on the audit trail before the file
exists, and the whole file or none."""
from __future__ import annotations

import csv
import re
import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook

from client import export
from client.views.main_window import MainWindow
from shared.enums import ExportFormat
from shared.schemas import CustomerQuery
from tests.client.conftest import WatchedTransport, api_as, controller_for

# The masks as the spec writes them (CONTRACT.md: "110101********4514", "139****5678").
ID_MASK = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
MOBILE_MASK = re.compile(r"^1\d{2}\*{4}\d{4}$")


def sheet_rows(path: Path) -> list[list[str]]:
    ws = load_workbook(path, read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def window_for(qtbot, url: str, username: str, transport=None) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(controller_for(url, username, transport))
    qtbot.addWidget(w)
    return w


PROGRESS: list[tuple[int, int]] = []


def exported(qtbot, w: MainWindow, path: Path, fmt: ExportFormat) -> str:  # type: ignore[no-untyped-def]
    """Run the current tab's export to `path`; the status bar's last words (the progress
    reported on the way in PROGRESS)."""
    PROGRESS.clear()
    run = w.export_current((path, fmt))
    assert run is not None
    run.progressed.connect(lambda done, total: PROGRESS.append((done, total)))
    qtbot.waitUntil(lambda: run.done, timeout=20000)
    return w.statusBar().currentMessage()


def export_records(url: str) -> list[dict]:  # type: ignore[type-arg]
    return [e.model_dump(mode="json") for e in api_as(url, "auditor").audit(action="customer.export")]


@pytest.mark.parametrize("fmt", [ExportFormat.XLSX, ExportFormat.CSV])
def test_a_branch_manager_exports_every_customer_of_the_branch_as_shown(qtbot, live, tmp_path, fmt, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_PAGE_SIZE", 7)  # several pages of the branch's customers
    w = window_for(qtbot, live.url, "president")
    search = w.search
    assert search is not None
    search.search_now()
    qtbot.waitUntil(lambda: search.model.rowCount() > 0, timeout=10000)
    before = len(export_records(live.url))
    path = tmp_path / f"customers.{fmt.value}"
    message = exported(qtbot, w, path, fmt)
    rows = sheet_rows(path) if fmt is ExportFormat.XLSX else csv_rows(path)
    total = api_as(live.url, "president").search_customers(CustomerQuery(), 1, 1).total
    assert total > 7 * 3  # several pages: every page is fetched
    headers = [search.model.headerData(i, _horizontal()) for i in range(search.model.columnCount())]
    assert rows[0] == headers
    assert len(rows) == 1 + total
    assert f"{total:,}" in message and str(path) in message
    # progress page by page, off the UI thread, up to every row
    assert len(PROGRESS) > 3 and PROGRESS[-1] == (total, total)
    assert [d for d, _t in PROGRESS] == sorted(d for d, _t in PROGRESS)
    # masked as the list shows it, also for a reader who may see the full profile
    id_col, phone_col = headers.index("Resident ID / credit code"), headers.index("Mobile")
    personal = [r for r in rows[1:] if r[id_col] and len(r[id_col]) == 18 and "*" in r[id_col]]
    assert personal and all(ID_MASK.match(r[id_col]) for r in personal)
    assert all(MOBILE_MASK.match(r[phone_col]) for r in rows[1:] if r[phone_col])
    # the rows are the screen's: the first page reads exactly as the table does
    shown = [[search.model.data(search.model.index(i, c)) or "" for c in range(len(headers))]
             for i in range(search.model.rowCount())]
    assert rows[1:1 + len(shown)] == shown
    records = export_records(live.url)
    assert len(records) == before + 1
    top = records[0]
    assert top["actor"]["username"] == "president" and top["details"]["rows"] == total
    assert top["details"]["format"] == fmt.value and top["details"]["columns"] == headers


def _horizontal():  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    return Qt.Orientation.Horizontal


def test_without_the_audit_record_no_file_is_written(qtbot, live, tmp_path):
    transport = WatchedTransport()
    transport.fail(lambda r: r.url.path.endswith("/exports"))
    w = window_for(qtbot, live.url, "president", transport)
    assert w.search is not None
    w.search.search_now()
    qtbot.waitUntil(lambda: w.search.model.rowCount() > 0, timeout=10000)  # type: ignore[union-attr]
    path = tmp_path / "customers.xlsx"
    message = exported(qtbot, w, path, ExportFormat.XLSX)
    assert transport.sent("POST", "/api/v1/customers/exports")
    assert not path.exists() and not list(tmp_path.iterdir())
    assert message == "The server cannot be reached"


def test_the_audit_trail_and_staff_lists_export_too(qtbot, live, tmp_path):
    w = window_for(qtbot, live.url, "auditor")
    assert w.audit is not None and w.tabs.currentWidget() is w.audit
    qtbot.waitUntil(lambda: w.audit.model.rowCount() > 0, timeout=10000)  # type: ignore[union-attr]
    path = tmp_path / "audit.csv"
    exported(qtbot, w, path, ExportFormat.CSV)
    rows = csv_rows(path)
    assert rows[0][:3] == ["When", "Who", "Action"] and len(rows) > 1
    admin = window_for(qtbot, live.url, "admin")
    assert admin.staff is not None
    admin.tabs.setCurrentWidget(admin.staff)
    qtbot.waitUntil(lambda: admin.staff.model.rowCount() > 0, timeout=10000)  # type: ignore[union-attr]
    path = tmp_path / "staff.xlsx"
    exported(qtbot, admin, path, ExportFormat.XLSX)
    rows = sheet_rows(path)
    usernames = {u.username for u in api_as(live.url, "admin").users()}
    assert {r[0] for r in rows[1:]} == usernames
    assert [e.action for e in api_as(live.url, "auditor").audit(action="user.export")][:1] == ["user.export"]


def test_a_tab_without_a_list_says_so(qtbot, live):
    w = window_for(qtbot, live.url, "president")
    assert w.export_action.isEnabled()  # the customer list
    form = w.open_customer(None)
    assert w.tabs.currentWidget() is form
    assert not w.export_action.isEnabled()  # offered where there is a list
    assert w.export_current() is None
    assert w.statusBar().currentMessage() == "This tab holds no list to export"


# ----------------------------------------------------------------------------- the file itself
NASTY = ["=HYPERLINK(\"http://x\",\"y\")", "+86 139", "-1", "@SUM(A1)", "\tx", "张三", "", "a,b\"c\nd"]


def test_no_cell_becomes_a_formula_and_chinese_survives(tmp_path):
    xlsx, csvfile = tmp_path / "a.xlsx", tmp_path / "a.csv"
    export.write(xlsx, ExportFormat.XLSX, "客户列表", ["姓名", "=x"], [NASTY[i:i + 2] for i in range(0, 8, 2)])
    export.write(csvfile, ExportFormat.CSV, "客户列表", ["姓名", "=x"], [NASTY[i:i + 2] for i in range(0, 8, 2)])
    ws = load_workbook(xlsx).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type in ("s", "inlineStr") for c in cells)  # text, never "f" (a formula)
    assert [c.value or "" for c in cells] == ["姓名", "=x", *NASTY]  # exactly as shown, as text
    assert ws.title == "客户列表"
    assert ws.freeze_panes == "A2"
    raw = csvfile.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    rows = csv_rows(csvfile)
    assert rows[0] == ["姓名", "'=x"]
    flat = [c for r in rows[1:] for c in r]
    assert flat == ["'" + NASTY[0], "'+86 139", "'-1", "'@SUM(A1)", "'\tx", "张三", "", "a,b\"c\nd"]


def test_a_failed_write_leaves_no_file_behind(tmp_path, monkeypatch):
    def broken(*_a):  # type: ignore[no-untyped-def]
        raise OSError("disk full")
    monkeypatch.setattr(export, "_write_xlsx", broken)
    with pytest.raises(OSError):
        export.write(tmp_path / "a.xlsx", ExportFormat.XLSX, "t", ["h"], [["v"]])
    assert not list(tmp_path.iterdir())


def test_collect_stops_when_cancelled_and_refuses_a_list_too_long():
    from shared.schemas import MAX_EXPORT_ROWS, Page

    def ask(_api, page: int, size: int) -> Page[int]:  # type: ignore[no-untyped-def]
        return Page[int](items=list(range(size)), total=MAX_EXPORT_ROWS + 1, page=page, page_size=size)
    source: export.ExportSource[int] = export.ExportSource("customers", "t", ask, {}, [("n", str)])
    with pytest.raises(export.TooManyRows):
        source.collect(None, lambda *_a: None, threading.Event())
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(export.Cancelled):
        source.collect(None, lambda *_a: None, cancel)
