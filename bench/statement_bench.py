#!/usr/bin/env python3
"""Rendering the printed statement (server/statement_pdf.py): one statement's time
(p50/p95 of N renders, the font registered once per process as the server does) and
1,000 statements one after another, on one core.

    .venv/bin/python bench/statement_bench.py [--n 200] [--batch 1000]
    .venv/bin/python bench/statement_bench.py --server [--customers 2600] [--n 200] [--batch 1000]

The figures are the worked example of household-finance.md (9 balance lines, 6 income
lines, both languages alternating); the statement's data is built in memory, so this
times the PDF alone (the database reads come with the statement route).

`--server` measures through a real `crm-server demo` process instead (SQLite, its own
job worker): `GET /customers/{id}/statement` of the demo's 张三丰 N times as his
account manager (reads, analysis, render, audit row, commit, HTTP), then a batch of
`--batch` statements as a job started by the branch's president (`POST
/statements/batches`) until it has succeeded, and its PDFs downloaded.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.statement_pdf import StatementData, render
from shared.finance import Line, balance_totals, income_totals, ratios

D = Decimal
SHEET = [Line(t, D(a)) for t, a in (
    ("cash", "20000"), ("demand_deposits", "80000"), ("funds", "150000"), ("time_deposits", "250000"),
    ("residence", "3000000"), ("vehicles", "200000"), ("credit_card", "10000"), ("mortgage", "1200000"),
    ("car_loan", "90000"))]
YEAR = [Line("wages", D("360000"), member_id=1), Line("wages", D("240000"), member_id=2),
        *[Line(t, D(a)) for t, a in (("bonus", "60000"), ("living", "180000"), ("insurance", "24000"),
                                     ("debt_repayments", "132000"))]]


def data(n: int) -> StatementData:
    b, i = balance_totals(SHEET), income_totals(YEAR)
    return StatementData("示范商业银行", "城东支行", f"客户{n}", "330102********3810", date(2026, 12, 31), 2026,
                         SHEET, b, YEAR, i, ratios(b, i), 1, "刘晓燕", datetime(2026, 12, 2, 9, 30),
                         "zh_CN" if n % 2 == 0 else "en", {1: "张三丰", 2: "李秀英"})


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def through_server(customers: int, n: int, batch: int) -> None:
    import httpx

    from bench.demo_server import start_demo
    from server.demo import DEMO_PASSWORD
    proc, url = start_demo(customers)
    try:
        def client(username: str) -> httpx.Client:
            c = httpx.Client(base_url=url + "/api/v1", timeout=60)
            token = c.post("/auth/login", json={"username": username, "password": DEMO_PASSWORD}).json()
            c.headers["Authorization"] = f"Bearer {token['access_token']}"
            return c
        am, president = client("manager"), client("president")
        zsf = am.get("/customers", params={"q": "张三丰"}).json()["items"][0]["id"]
        times = []
        for i in range(n):
            t = time.perf_counter()
            r = am.get(f"/customers/{zsf}/statement", params={"lang": "zh_CN" if i % 2 else "en"})
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text
        # figures for `batch` of the branch's customers (the demo has a few dozen households)
        t = time.perf_counter()
        with_figures = 0
        page = 1
        while with_figures < batch:
            items = president.get("/customers", params={"page": page, "page_size": 200}).json()["items"]
            if not items:
                raise SystemExit(f"the branch has only {with_figures} customers: raise --customers")
            for c in items:
                if with_figures >= batch:
                    break
                got = president.get(f"/customers/{c['id']}/balance-sheets").json()
                if not got["total"]:
                    sheet = [{"type": x.type, "amount": str(x.amount)} for x in SHEET]
                    year = [{"type": x.type, "amount": str(x.amount)} for x in YEAR if x.member_id is None]
                    assert president.post(f"/customers/{c['id']}/balance-sheets",
                                          json={"as_of": "2025-12-31", "lines": sheet}).status_code == 201
                    assert president.post(f"/customers/{c['id']}/income-statements",
                                          json={"year": 2025, "lines": year}).status_code == 201
                with_figures += 1
            page += 1
        setup = time.perf_counter() - t
        t = time.perf_counter()
        job = president.post("/statements/batches", json={"lang": "zh_CN"}).json()
        while True:
            state = president.get(f"/jobs/{job['id']}").json()
            if state["status"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        printed = time.perf_counter() - t
        assert state["status"] == "succeeded", state
        t = time.perf_counter()
        size = 0
        outputs = president.get(f"/jobs/{job['id']}/outputs", params={"page_size": 200}).json()
        for p in range(1, (outputs["total"] + 199) // 200 + 1):
            page_items = president.get(f"/jobs/{job['id']}/outputs", params={"page": p, "page_size": 200}).json()
            for f in page_items["items"]:
                size += len(president.get(f"/jobs/{job['id']}/outputs/{f['id']}").content)
        fetched = time.perf_counter() - t
        print("| measure (through `crm-server demo`, SQLite) | figure |")
        print("|---|---|")
        print(f"| `GET /customers/{{id}}/statement`, p50 / p95 / max of {n} | {statistics.median(times):.1f} / "
              f"{pct(times, 95):.1f} / {max(times):.1f} ms |")
        print(f"| a batch of {state['done']:,} statements as a job (queued to succeeded) | {printed:.1f} s |")
        print(f"| its {outputs['total']:,} PDFs downloaded one by one | {fetched:.1f} s, "
              f"{size / max(1, outputs['total']) / 1024:.0f} KiB each |")
        print(f"| (setup: figures for {with_figures:,} customers) | {setup:.1f} s |")
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--server", action="store_true", help="through a real crm-server demo process")
    p.add_argument("--customers", type=int, default=2600, help="the demo's size with --server")
    args = p.parse_args()
    if args.server:
        through_server(args.customers, args.n, args.batch)
        return
    t = time.perf_counter()
    first = render(data(0))
    cold = (time.perf_counter() - t) * 1000
    times = []
    for n in range(args.n):
        t = time.perf_counter()
        render(data(n))
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    t = time.perf_counter()
    size = sum(len(render(data(n))) for n in range(args.batch))
    batch = time.perf_counter() - t
    print("| measure | figure |")
    print("|---|---|")
    print(f"| first statement in a process (font registered) | {cold:.0f} ms, {len(first):,} bytes |")
    print(f"| one statement, p50 / p95 / max of {args.n} | {statistics.median(times):.1f} / "
          f"{times[int(0.95 * (len(times) - 1))]:.1f} / {times[-1]:.1f} ms |")
    print(f"| {args.batch:,} statements one after another | {batch:.1f} s ({size / args.batch / 1024:.0f} KiB each) |")


if __name__ == "__main__":
    main()
