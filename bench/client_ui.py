#!/usr/bin/env python3
"""The desktop client as staff feel it, against a real server process: cold start to
the login window, search-as-you-type latency (last keystroke to results on screen), and
the UI thread's stalls (client/watchdog.py) while typing, paging and saving.

    QT_QPA_PLATFORM=offscreen python bench/client_ui.py [--customers 360] [--rounds 3]

Starts `crm-server demo` (a throwaway SQLite database with demo data) on a free port,
logs in as the demo branch's president and drives the real main window: each query of
QUERIES typed a key at a time (KEY_MS between keys, a brisk typist), the branch's whole
list scrolled to its end page by page, a profile changed and saved. Prints a Markdown
table for docs/PERFORMANCE.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from bench.demo_server import start_demo

#: what tellers type: pinyin initials and spellings, surnames, a customer number
QUERIES = ["zsf", "wang", "li", "zhang", "chen", "liu", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
           "zhu", "hu", "guo", "he", "lin", "luo"]
KEY_MS = 80

COLD_START = """
import sys, time
from PySide6.QtCore import QTimer
from client.main import Application, make_qapp
qapp = make_qapp("zh_CN")
app = Application(qapp, sys.argv[1])
app.start()
QTimer.singleShot(0, lambda: (print("shown", app.login_dialog is not None and app.login_dialog.isVisible(),
                                    flush=True), qapp.quit()))
qapp.exec()
"""


def pump(ms: float) -> None:
    """Let the UI thread run its event loop for `ms` (as it does between a user's keys)."""
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        time.sleep(0.001)


def until(cond: Callable[[], bool], timeout_s: float = 20, what: str = "") -> float:
    """Run the event loop until `cond`; the time it took, in ms."""
    start = time.perf_counter()
    while not cond():
        if time.perf_counter() - start > timeout_s:
            raise SystemExit(f"timed out waiting for {what or cond}")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)
        time.sleep(0.0005)
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def cold_starts(url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", COLD_START, url], capture_output=True, text=True, timeout=60,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if "shown True" not in r.stdout:
            raise SystemExit(f"the login window did not show: {r.stdout} {r.stderr[-2000:]}")
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=360)
    p.add_argument("--rounds", type=int, default=3, help="times through QUERIES")
    args = p.parse_args()
    from client.api.client import ApiClient
    from client.app import Controller
    from client.main import make_qapp
    from client.views.customer_form import CustomerProfileForm
    from client.views.main_window import MainWindow
    from client.watchdog import UiWatchdog
    from server.demo import DEMO_PASSWORD
    from shared.schemas import CustomerQuery

    proc, url = start_demo(args.customers)
    try:
        starts = cold_starts(url, 5)
        make_qapp("zh_CN")
        api = ApiClient(url)
        api.login("president", DEMO_PASSWORD)
        controller = Controller(api, api.me(), api.orgs())
        w = MainWindow(controller)
        w.resize(1366, 768)
        w.show()
        search = w.search
        assert search is not None
        search.search_now()  # as the application does on login
        until(lambda: search.model.rowCount() > 0 or search._shown is not None)
        pump(300)
        dog = UiWatchdog()
        phases: dict[str, list[float]] = {}

        # search as you type
        dog.start()
        latencies: list[float] = []
        for _round in range(args.rounds):
            for q in QUERIES:
                search.query.setFocus()
                search.query.selectAll()
                for i, ch in enumerate(q):
                    if i:
                        pump(KEY_MS)
                    QTest.keyClick(search.query, ch)
                # from the last key on: the debounce, the request, the rows on screen
                latencies.append(until(lambda q=q: search._shown is not None and search._shown[1].q == q
                                       and search.pager.generation == search._shown[0]))
                pump(50)
        dog.stop()
        phases["search as you type"] = list(dog.stalls)

        # paging: the branch's whole list, by name, scrolled to its end
        QTest.keyClick(search.query, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(search.query, Qt.Key.Key_Delete)
        total = api.search_customers(CustomerQuery(), 1, 1).total
        until(lambda: search._shown is not None and search._shown[1].q is None)
        dog.start()
        pages = 0
        while search.model.rowCount() < total:
            before = search.model.rowCount()
            search.table.scrollToBottom()
            until(lambda before=before: search.model.rowCount() > before)
            pages += 1
        pump(100)
        dog.stop()
        phases[f"paging ({pages} pages to {total} rows)"] = list(dog.stalls)

        # save a profile, ten times
        cid = search.model.customer_at(0).id
        form = w.open_customer(cid)
        assert isinstance(form, CustomerProfileForm)
        until(lambda: form.version is not None)
        pump(200)
        occupation = form.inputs["occupation"]
        assert isinstance(occupation, QLineEdit)
        original = occupation.text()
        dog.start()
        saves: list[float] = []
        for i in range(10):
            occupation.setText(f"{original or '职员'}{i}")
            form._field_changed("occupation")
            t = time.perf_counter()
            form.save()
            until(lambda: form.save_button.isEnabled() and form.version is not None and not form.is_dirty())
            saves.append((time.perf_counter() - t) * 1000)
            pump(50)
        dog.stop()
        phases["save (10 saves)"] = list(dog.stalls)
        occupation.setText(original)
        form._field_changed("occupation")
        form.save()
        until(lambda: not form.is_dirty())
        controller.tasks.wait()
        w.hide()
        w.deleteLater()  # gone before the interpreter ends (PySide tears down widgets badly at exit)
        pump(50)
    finally:
        proc.terminate()
        proc.wait(20)

    print(f"Client, demo server with {args.customers} customers, {os.cpu_count()} cores, QT_QPA_PLATFORM="
          f"{os.environ.get('QT_QPA_PLATFORM')}\n")
    print("| measure | p50 | p95 | max |")
    print("|---|---|---|---|")
    print(f"| cold start to the login window (5 starts) | {statistics.median(starts):.0f} ms | "
          f"{pct(starts, 95):.0f} ms | {max(starts):.0f} ms |")
    print(f"| last keystroke to results on screen ({len(latencies)} queries, debounce included) | "
          f"{statistics.median(latencies):.0f} ms | {pct(latencies, 95):.0f} ms | {max(latencies):.0f} ms |")
    print(f"| save, click to saved ({len(saves)}) | {statistics.median(saves):.0f} ms | {pct(saves, 95):.0f} ms | "
          f"{max(saves):.0f} ms |")
    print()
    print("| UI thread while … | ticks late > 1 ms | longest stall | stalls > 100 ms |")
    print("|---|---|---|---|")
    for name, stalls in phases.items():
        print(f"| {name} | {len(stalls)} | {max(stalls, default=0):.0f} ms | {sum(s > 100 for s in stalls)} |")


if __name__ == "__main__":
    main()  # the "none_dealloc" crash at teardown was PySide6 6.12.0's, now excluded (pyproject.toml)
