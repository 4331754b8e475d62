#!/usr/bin/env python3
"""Customer search at scale on PostgreSQL: load N customers with the product's own
search keys through COPY, then time the product's search service for the queries a
teller types, next to the same name query as a plain sequential scan.

    python bench/search_bench.py --n 2000000 [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Customers come from the peer's deterministic generator (../shared/peer/gen_customers.py),
so the same people are searched as in Tryton's figures. The database `crm_bench` is
dropped and recreated. Prints a Markdown table (append it to docs/PERFORMANCE.md).
"""
from __future__ import annotations

import argparse
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

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.context import Actor, Principal
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.search import keys_for_name, sort_key
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
        n = 0
        cols = ("id, customer_no, type, name, sort_key, gender, birth_date, id_number, phone, org_id, manager_id, "
                "version, created_at, updated_at")
        keys_file = tempfile.TemporaryFile("w+", encoding="utf-8")
        with cur.copy(f"COPY customer ({cols}) FROM STDIN") as cp:
            for row in csv.DictReader(open(csv_path, encoding="utf-8")):
                n += 1
                sk, org = sort_key(row["name"]), branches[row["branch_code"]]
                cp.write_row((n, row["customer_no"], "personal", row["name"], sk,
                              "male" if row["gender"] == "M" else "female", row["birth_date"],
                              row["resident_id"], row["mobile"], org, managers[row["branch_code"]], 1, now, now))
                keys_file.writelines(f"{k}\t{n}\t{org}\t{sk}\n" for k in keys_for_name(row["name"]))
        keys_file.seek(0)
        with cur.copy("COPY customer_search_key (key, customer_id, org_id, sort_key) FROM STDIN") as cp:
            while chunk := keys_file.read(1 << 20):
                cp.write(chunk)
        conn.commit()
        load_s = time.perf_counter() - t0
        cur.execute("SELECT setval('customer_no_seq', %s)", (n,))
        conn.commit()
    print(f"loaded {n:,} customers with search keys in {load_s:.0f} s ({n / load_s:,.0f} customers/s)")
    return n, branches


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--database-url", default=os.environ.get("CRM_TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--iterations", type=int, default=100)
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
        "full pinyin": lambda r: "".join(lazy_pinyin(r["name"])),
    }
    lines = [f"N = {a.n:,} customers, PostgreSQL, first page of 20 sorted by pinyin, capped count "
             f"(cap {a.count_cap:,}); {a.iterations} random queries each; in-process service call (no HTTP)", "",
             "| who | query | p50 ms | p95 ms | mean hits |", "|---|---|---:|---:|---:|"]
    for label, actor in who.items():
        sample = [rng.choice(in_scope[label]) for _ in range(a.iterations)]
        for qname, make_q in queries.items():
            times, hits = [], []
            for r in sample:
                q = make_q(r)
                with factory() as db:
                    t0 = time.perf_counter()
                    _items, total, _capped = customers.search(db, actor, CustomerQuery(q=q), page=1, page_size=20,
                                                             count_cap=a.count_cap)
                    times.append((time.perf_counter() - t0) * 1000)
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
        plan = conn.execute(text(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT customer_id FROM customer_search_key WHERE key = :k AND org_id IN "
            "(SELECT id FROM org WHERE path LIKE '/1/2/%') ORDER BY sort_key, customer_id LIMIT 20"),
            {"k": sample[0]["name"][:1]}).scalars().all()
    lines += ["", f"Same 2-character query as `name LIKE '%xx%'` (page + count, sequential scan): "
              f"p50 {percentile(seq, 50):.0f} ms, p95 {percentile(seq, 95):.0f} ms", "",
              "EXPLAIN ANALYZE of a 1-character surname, first page, for the branch manager:", "", "```", *plan, "```"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
