#!/usr/bin/env python3
"""Rendering the printed statement (server/statement_pdf.py): one statement's time
(p50/p95 of N renders, the font registered once per process as the server does) and
1,000 statements one after another, on one core.

    .venv/bin/python bench/statement_bench.py [--n 200] [--batch 1000]

The figures are the worked example of household-finance.md (9 balance lines, 6 income
lines, both languages alternating); the statement's data is built in memory, so this
times the PDF alone (the database reads come with the statement route).
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--batch", type=int, default=1000)
    args = p.parse_args()
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
