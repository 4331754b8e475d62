#!/usr/bin/env python3
"""The core-banking customer import at scale on PostgreSQL (R-703: two million
customers within a minute, search keys included).

    python bench/import_bench.py --n 2000000 [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Customers come from the peer's deterministic generator (../shared/peer/gen_customers.py,
columns customer_no,name,resident_id,mobile,birth_date,gender,branch_code), written as
an import file (customer_no → core_customer_id, resident_id → id_number, mobile →
phone, M/F → male/female, branch_code → the org of that code). The database
`crm_import_bench` is dropped and recreated with `crm-server init`, the generator's 40
sub-branches under 8 branches are created through the org service, and the file is
imported by a real `crm-server import customers` process. Prints the wall time, the
command's answer and the sizes of `customer` and `customer_search_key` (append to
docs/PERFORMANCE.md).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.context import Actor, Principal
from server.db import make_engine, make_sessionmaker
from server.models import User
from server.services import orgs
from shared.enums import OrgKind, Role
from shared.permissions import Action, scope_of
from shared.schemas import OrgCreate

GEN = ROOT.parent / "shared" / "peer" / "gen_customers.py"
DB = "crm_import_bench"
CITIES = ("BJ", "SH", "GZ", "SZ", "HZ", "NJ", "CD", "WH")  # the generator's branch codes are these + 01..05
HEADER = ("core_customer_id,type,name,gender,birth_date,id_number,uscc,phone,address,occupation,employer,"
          "branch_code,manager_username")


def import_file(n: int) -> Path:
    """The generator's customers as an import file (cached in /tmp)."""
    src = Path(f"/tmp/customers_{n}.csv")
    if not src.exists():
        subprocess.run([sys.executable, str(GEN), str(n), str(src)], check=True)
    out = Path(f"/tmp/import_customers_{n}.csv")
    if not out.exists():
        tmp = out.with_suffix(".part")
        with open(src, encoding="utf-8", newline="") as f, open(tmp, "w", encoding="utf-8", newline="") as o:
            w = csv.writer(o, lineterminator="\n")
            o.write(HEADER + "\n")
            rows = 0
            for r in csv.DictReader(f):
                rows += 1
                w.writerow((r["customer_no"], "personal", r["name"], "male" if r["gender"] == "M" else "female",
                            r["birth_date"], r["resident_id"], "", r["mobile"], "", "", "", r["branch_code"], ""))
            o.write(f"TRAILER,{rows},0\n")
        tmp.rename(out)
    return out


def crm_server(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("crm-server")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
    return subprocess.run(cmd + args, env=env, text=True, capture_output=True)


def prepare(admin_url: str, env: dict[str, str]) -> str:
    url = make_url(admin_url).set(database=DB).render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB}")
    env["CRM_DATABASE_URL"] = url
    for args in (["init"], ["create-admin", "bench_admin"]):
        r = crm_server(args, env)
        if r.returncode != 0:
            raise SystemExit(f"crm-server {args[0]} failed: {r.stderr}")
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        u = db.query(User).filter_by(username_key="bench_admin").one()
        p = Principal(u.id, u.username, u.display_name, Role.HEAD_OFFICE_ADMIN, u.org_id, 0, None)  # type: ignore[arg-type]
        admin = Actor(p, Action.ORG_MANAGE, scope_of(Role.HEAD_OFFICE_ADMIN, Action.ORG_MANAGE))  # type: ignore[arg-type]
        for city in CITIES:
            branch = orgs.create_org(db, admin, OrgCreate(code=city, name=f"{city}分行", kind=OrgKind.BRANCH,
                                                          parent_id=u.org_id))
            for k in range(1, 6):
                orgs.create_org(db, admin, OrgCreate(code=f"{city}{k:02d}", name=f"{city}{k:02d}支行",
                                                     kind=OrgKind.SUB_BRANCH, parent_id=branch.id))
        db.commit()
    engine.dispose()
    return url


class BackendCpu(threading.Thread):
    """Samples the CPU seconds of the import's PostgreSQL backend (same machine) until it ends."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.seconds = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self.url, autocommit=True) as c:
            while not self.done.is_set():
                for (pid,) in c.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"):
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        self.seconds = max(self.seconds, (int(fields[11]) + int(fields[12])) / tick)
                    except (OSError, IndexError, ValueError):
                        pass
                self.done.wait(0.5)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--database-url", default=os.environ.get("CRM_TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    a = ap.parse_args()
    path = import_file(a.n)
    tmp = Path(tempfile.mkdtemp(prefix="crm-import-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_KEY_FILE=str(tmp / "keys.json"), CRM_ADMIN_PASSWORD="Bench-Admin-Pass-2026", CRM_MFA_ROLES="",
               PYTHONPATH=str(ROOT))
    url = prepare(a.database_url, env)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    pg = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(pg) as c:
        wal_before = c.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    sampler = BackendCpu(url)
    sampler.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = crm_server(["import", "customers", str(path), "--business-date", "2026-12-01"], env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.done.set()
    sampler.join()
    python_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        raise SystemExit(f"import failed ({r.returncode}): {r.stdout}")
    answer = json.loads(r.stdout.strip().splitlines()[-1])
    with psycopg.connect(pg) as c:
        wal = c.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (wal_before,)).fetchone()[0]  # type: ignore[index]
        sizes = {t: c.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0]  # type: ignore[index]
                 for t in ("customer", "customer_search_key")}
        keys = c.execute("SELECT count(*) FROM customer_search_key").fetchone()[0]  # type: ignore[index]
    print(f"N = {a.n:,}: `crm-server import customers` took {wall:.1f} s wall "
          f"({answer['duration_ms'] / 1000:.1f} s inside), {a.n / wall:,.0f} customers/s")
    print(f"CPU: the command (main process and its workers) {python_cpu:.0f} s, its PostgreSQL backend "
          f"{sampler.seconds:.0f} s (parallel index build workers not counted); load average before: "
          f"{load_before}; WAL written: {wal / 2**30:.1f} GiB")
    print(f"answer: {json.dumps(answer)}")
    print(f"customer: {sizes['customer'] / 2**20:,.0f} MiB; customer_search_key: "
          f"{sizes['customer_search_key'] / 2**20:,.0f} MiB ({keys:,} keys, {keys / a.n:.1f} per customer)")


if __name__ == "__main__":
    main()
