#!/usr/bin/env python3
"""Customer search at scale on PostgreSQL: load N customers with the product's own
search keys through COPY, then time the product's search service for the queries a
teller types, next to the same name query as a plain sequential scan.

    python bench/search_bench.py --n 2000000 [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Customers come from the peer's deterministic generator (../shared/peer/gen_customers.py),
so the same people are searched as in Tryton's figures. The database `crm_bench` is
dropped and recreated. Prints a Markdown table (append it to docs/PERFORMANCE.md): the
cost of computing the keys, the key table's size, the search timings and the plans
(EXPLAIN ANALYZE, BUFFERS) of the statements the service ran for a few queries.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.context import Actor, Principal
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.search import index_entry
from server.services import customers
from shared.enums import Role
from shared.permissions import Action, Scope
from shared.schemas import CustomerQuery

GEN = ROOT.parent / "shared" / "peer" / "gen_customers.py"


def load(url: str, csv_path: Path) -> tuple[int, dict[str, int]]:
    """COPY orgs, one manager per sub-branch, customers and their search keys."""
    pg = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    now = datetime.now(UTC)
    with psycopg.connect(pg) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO org (id, code, name, kind, parent_id, path, version, created_at, updated_at) "
                    "VALUES (1, 'HO', '总行', 'head_office', NULL, '/1/', 1, now(), now())")
        branches: dict[str, int] = {}
        cities = ["BJ", "SH", "GZ", "SZ", "HZ", "NJ", "CD", "WH"]  # the generator's branch codes
        oid = 1
        for city in cities:
            oid += 1
            city_id = oid
            cur.execute("INSERT INTO org VALUES (%s, %s, %s, 'branch', 1, %s, 1, now(), now())",
                        (city_id, city, f"{city}分行", f"/1/{city_id}/"))
            for n in range(1, 6):
                oid += 1
                code = f"{city}{n:02d}"
                cur.execute("INSERT INTO org VALUES (%s, %s, %s, 'sub_branch', %s, %s, 1, now(), now())",
                            (oid, code, f"{code}支行", city_id, f"/1/{city_id}/{oid}/"))
                branches[code] = oid
        managers = {}
        for code, org in branches.items():
            cur.execute("INSERT INTO app_user (username, username_key, password_hash, display_name, role, org_id, "
                        "position, locked, disabled, must_change_password, version, created_at, updated_at, "
                        "password_changed_at) VALUES (%s, %s, 'x', %s, 'account_manager', %s, 'account_manager', "
                        "false, false, false, 1, now(), now(), now()) RETURNING id",
                        (f"am_{code.lower()}", f"am_{code.lower()}", f"经理{code}", org))
            managers[code] = cur.fetchone()[0]
        t0 = time.perf_counter()
        n = keys = 0
        cols = ("id, customer_no, type, name, sort_code, sort_key, gender, birth_date, id_number, phone, org_id, "
                "manager_id, version, created_at, updated_at")
        keys_file = tempfile.TemporaryFile("w+", encoding="utf-8")
        with cur.copy(f"COPY customer ({cols}) FROM STDIN") as cp:
            for row in csv.DictReader(open(csv_path, encoding="utf-8")):
                n += 1
                org = branches[row["branch_code"]]
                entry = index_entry(row["name"])
                cp.write_row((n, row["customer_no"], "personal", row["name"], entry.sort_code, entry.sort_key,
                              "male" if row["gender"] == "M" else "female", row["birth_date"],
                              row["resident_id"], row["mobile"], org, managers[row["branch_code"]], 1, now, now))
                keys += len(entry.keys)
                keys_file.writelines(f"{entry.sort_code}\t{n}\t{org}\t{k}\n" for k in entry.keys)
        keys_file.seek(0)
        # as a bulk importer should: the key table's indexes and foreign key are built once
        # after the COPY (from their own definitions), not row by row
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'customer_search_key'::regclass ORDER BY contype DESC")
        constraints = cur.fetchall()
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customer_search_key' "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {name}")
        for name, _ in constraints:
            cur.execute(f"ALTER TABLE customer_search_key DROP CONSTRAINT {name}")
        # written in the primary key's order: an index-only walk of one key then meets its
        # rows' heap pages (and their visibility-map pages) in order, not all over the table
        cur.execute("CREATE UNLOGGED TABLE keys_in (LIKE customer_search_key)")
        with cur.copy("COPY keys_in (sort_code, customer_id, org_id, key) FROM STDIN") as cp:
            while chunk := keys_file.read(1 << 20):
                cp.write(chunk)
        cur.execute("SET work_mem = '1GB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("INSERT INTO customer_search_key SELECT * FROM keys_in ORDER BY key, sort_code, customer_id")
        cur.execute("DROP TABLE keys_in")
        for name, definition in constraints:
            cur.execute(f"ALTER TABLE customer_search_key ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            cur.execute(definition)
        conn.commit()
        load_s = time.perf_counter() - t0
        cur.execute("SELECT setval('customer_no_seq', %s)", (n,))
        conn.commit()
    print(f"loaded {n:,} customers with {keys:,} search keys ({keys / n:.2f} per customer) in {load_s:.0f} s")
    return n, branches


def key_cost(csv_path: Path, n: int = 200_000) -> str:
    """CPU time of `index_entry` per name (what a bulk importer pays per row), the best
    of five passes over the first `n` names after one that fills the readings cache;
    CPU time rather than wall time because this machine is shared."""
    names = [r["name"] for r, _ in zip(csv.DictReader(open(csv_path, encoding="utf-8")), range(n), strict=False)]
    for name in names:
        index_entry(name)
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        for name in names:
            index_entry(name)
        best = min(best, time.process_time() - t0)
    return f"index_entry (sort code, sort key and keys): {best / len(names) * 1e6:.1f} µs CPU per name"


def sizes(url: str) -> list[str]:
    """Heap and index sizes of the key table and of the customer's name-order indexes."""
    pg = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(pg) as conn:
        n = conn.execute("SELECT count(*) FROM customer").fetchone()[0]  # type: ignore[index]
        rows = conn.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c WHERE c.relname IN ("
            "SELECT 'customer_search_key' UNION ALL SELECT indexname FROM pg_indexes WHERE tablename = "
            "'customer_search_key' UNION ALL SELECT 'ix_customer_sort_code' UNION ALL SELECT 'ix_customer_org_sort') "
            "ORDER BY 1").fetchall()
        total = conn.execute("SELECT pg_total_relation_size('customer_search_key'), "
                             "(SELECT count(*) FROM customer_search_key)").fetchone()
    assert total is not None
    lines = ["| relation | size | bytes per customer |", "|---|---:|---:|"]
    lines += [f"| {name} | {size / 2**20:,.0f} MiB | {size / n:,.0f} |" for name, size in rows]
    lines.append(f"| **customer_search_key, heap + indexes** (`pg_total_relation_size`) | "
                 f"**{total[0] / 2**20:,.0f} MiB** | **{total[0] / n:,.0f}** |")
    lines += ["", f"{total[1]:,} key rows for {n:,} customers ({total[1] / n:.2f} per customer); at 2,000,000 "
              f"customers that is {total[0] / n * 2_000_000 / 2**30:.2f} GiB"]
    return lines


def search(db: Session, actor: Actor, q: str, page_size: int, cap: int) -> tuple[Any, int, bool]:
    """The service's search (async, over an executor) on this session, run to completion."""
    from server.executor import SessionExecutor
    return asyncio.run(customers.search(SessionExecutor(db), actor, CustomerQuery(q=q), page=1,
                                        page_size=page_size, count_cap=cap))


def explain(factory: sessionmaker[Session], actor: Actor, q: str, cap: int) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements the service ran for `q` (the capped
    count and the page), with the parameters it bound."""
    ran: list[tuple[str, object]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        ran.append((statement, parameters))

    out: list[str] = []
    with factory() as db:
        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", grab)
        try:
            search(db, actor, q, 20, cap)
        finally:
            event.remove(engine, "before_cursor_execute", grab)
        for statement, parameters in ran:
            if "LIMIT" not in statement:  # the org tree and loading the page's customers
                continue
            plan = db.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)  # type: ignore[arg-type]
            out += [statement.replace("\n", " "), "", *plan.scalars().all(), ""]
    return out




def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--database-url", default=os.environ.get("CRM_TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each query this many times and keep its fastest: on a shared machine this takes "
                         "out the other tenants' bursts (say so next to the figures)")
    ap.add_argument("--count-cap", type=int, default=1000)
    ap.add_argument("--keep", action="store_true", help="reuse an already loaded crm_bench database")
    a = ap.parse_args()
    csv_path = Path(f"/tmp/customers_{a.n}.csv")
    if not csv_path.exists():
        subprocess.run([sys.executable, str(GEN), str(a.n), str(csv_path)], check=True)
    bench_url = make_url(a.database_url).set(database="crm_bench").render_as_string(hide_password=False)
    if not a.keep:
        with psycopg.connect(a.database_url, autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS crm_bench WITH (FORCE)")
            c.execute("CREATE DATABASE crm_bench")
        upgrade(make_engine(bench_url))
        load(bench_url, csv_path)
    # as autovacuum would after a bulk load: statistics and the visibility map (index-only scans)
    with psycopg.connect(make_url(bench_url).set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as c:
        c.execute("VACUUM (ANALYZE) customer, customer_search_key")
    engine = make_engine(bench_url)
    factory = make_sessionmaker(engine)
    rows = list(csv.DictReader(open(csv_path, encoding="utf-8")))
    rng = random.Random(7)
    with factory() as db:
        teller_org = db.execute(text("SELECT id FROM org WHERE code = 'BJ01'")).scalar()
        branch_org = db.execute(text("SELECT id FROM org WHERE code = 'BJ'")).scalar()
    # a branch manager of the Beijing branch (5 sub-branches, 1/8 of the bank) and a teller of one sub-branch
    # each actor searches for people in its own scope (a teller looks up its own walk-ins)
    who = {"branch manager (branch)": Actor(Principal(1, "bm", "bm", Role.BRANCH_MANAGER, branch_org, 0,
                                                      datetime.now(UTC)), Action.CUSTOMER_LOOKUP, Scope.ORG_SUBTREE),
           "teller (sub-branch)": Actor(Principal(2, "t", "t", Role.TELLER, teller_org, 0, datetime.now(UTC)),
                                        Action.CUSTOMER_LOOKUP, Scope.ORG_SUBTREE)}
    in_scope = {"branch manager (branch)": [r for r in rows if r["branch_code"].startswith("BJ")],
                "teller (sub-branch)": [r for r in rows if r["branch_code"] == "BJ01"]}
    from pypinyin import Style, lazy_pinyin
    queries = {
        "resident ID, exact": lambda r: r["resident_id"],
        "mobile, exact": lambda r: r["mobile"],
        "customer number, exact": lambda r: r["customer_no"],
        "surname, 1 character": lambda r: r["name"][0],
        "name fragment, 2 characters": lambda r: r["name"][:2],
        "full name, 3 characters": lambda r: r["name"][:3],
        "pinyin initials": lambda r: "".join(lazy_pinyin(r["name"], style=Style.FIRST_LETTER)),
        "pinyin prefix, 2 letters": lambda r: "".join(lazy_pinyin(r["name"]))[:2],
        "pinyin of the surname": lambda r: lazy_pinyin(r["name"])[0],
        "full pinyin": lambda r: "".join(lazy_pinyin(r["name"])),
    }
    lines = [key_cost(csv_path), "", *sizes(bench_url), "",
             f"N = {a.n:,} customers, PostgreSQL, first page of 20 sorted by pinyin, capped count "
             f"(cap {a.count_cap:,}); {a.iterations} random queries each"
             f"{f', the fastest of {a.repeat} runs of each' if a.repeat > 1 else ''}; "
             "in-process service call (no HTTP)", "",
             "| who | query | p50 ms | p95 ms | mean hits |", "|---|---|---:|---:|---:|"]
    for label, actor in who.items():
        sample = [rng.choice(in_scope[label]) for _ in range(a.iterations)]
        for qname, make_q in queries.items():
            times, hits = [], []
            for r in sample:
                q = make_q(r)
                runs = []
                for _ in range(a.repeat):
                    with factory() as db:
                        t0 = time.perf_counter()
                        _items, total, _capped = search(db, actor, q, 20, a.count_cap)
                        runs.append((time.perf_counter() - t0) * 1000)
                times.append(min(runs))
                hits.append(total)
            lines.append(f"| {label} | {qname} | {percentile(times, 50):.1f} | {percentile(times, 95):.1f} | "
                         f"{statistics.mean(hits):,.0f} |")
    # the same 2-character query as a sequential scan, for comparison
    seq = []
    with engine.connect() as conn:
        for r in sample[:20]:
            t0 = time.perf_counter()
            conn.execute(text("SELECT id FROM customer WHERE name LIKE :q ORDER BY sort_key LIMIT 20"),
                         {"q": f"%{r['name'][:2]}%"}).all()
            conn.execute(text("SELECT count(*) FROM customer WHERE name LIKE :q"), {"q": f"%{r['name'][:2]}%"})
            seq.append((time.perf_counter() - t0) * 1000)
    lines += ["", f"Same 2-character query as `name LIKE '%xx%'` (page + count, sequential scan): "
              f"p50 {percentile(seq, 50):.0f} ms, p95 {percentile(seq, 95):.0f} ms"]
    # the plans of a common surname, common initials and a common pinyin prefix
    for label, actor in who.items():
        for q in ("王", "wj", "zh"):
            lines += ["", f"Plans for {q!r}, {label} (the capped count, then the page):", "", "```",
                      *explain(factory, actor, q, a.count_cap), "```"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
