#!/usr/bin/env python3
"""The product over HTTP at bank scale, side by side with the floor (../shared/peer/floor):
one subcommand per measurement, each printing our figures, the floor's and the ratio.

Run from the checkout with the project's venv (not part of CI):

    PYTHONPATH=. .venv/bin/python bench/http_bench.py prepare --n 2000000
    PYTHONPATH=. .venv/bin/python bench/http_bench.py check
    PYTHONPATH=. .venv/bin/python bench/http_bench.py throughput --conns 20 --workers 1 2 --dur 30
    PYTHONPATH=. .venv/bin/python bench/http_bench.py latency --iterations 300
    PYTHONPATH=. .venv/bin/python bench/http_bench.py sessions --sessions 10000 --think-ms 10000 --dur 600 --workers 2
    PYTHONPATH=. .venv/bin/python bench/http_bench.py sigterm --sessions 2000 --after 20
    PYTHONPATH=. .venv/bin/python bench/http_bench.py tryton

Needs: PostgreSQL (superuser URL: --database-url, else CRM_TEST_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/postgres; `psql` on PATH for the floor's scripts),
and wrk and sysstat, installed as root with

    apt-get update && apt-get install -y wrk sysstat

`prepare` creates the floor's venv (/tmp/floor/venv, as its README says) when it is
absent. Scratch lives in /tmp/crm_http_bench (CRM_HTTP_BENCH_DIR): key file, wrk input
files, server and wrk logs. Our server listens on 127.0.0.1:8791, the floor on :8792.

What `prepare --n N` builds (database `crm_http_bench`, dropped and recreated):
* the peer's deterministic customers (../shared/peer/gen_customers.py N /tmp/customers_N.csv,
  reused when present), loaded by ONE function, `load_customers` (see there: today a COPY
  of customers and their search keys as bench/search_bench.py does; to be switched to
  `crm-server import customers FILE --business-date D`);
* the bank's structure: the head office (`crm-server init`), the generator's 8 city
  branches and 40 sub-branches (branch codes = org codes); staff: one branch manager per
  branch, `--tellers` tellers and `--managers` account managers per sub-branch; the
  customers of a sub-branch are spread over its account managers' books;
* `--sessions` session tokens spread over the staff, INSERTED into user_session (token
  hash = sha256 hex, expiring in 2099, last seen now) — not logged in; the server runs
  with CRM_TOKEN_IDLE_MINUTES large enough for them to stay valid;
* wrk input files: lines "TOKEN<TAB>PATH<TAB>EXPECT" where PATH is a request that token's
  user may make and see an answer to (a teller's and an account manager's searches find
  their own sub-branch's customers, a branch manager's its branch's: a request for
  someone else's customer answers an empty page, which would flatter us); EXPECT is what
  `check` verifies (customer id, surname, initials, user id). One file per operation,
  pairs_<kind>.txt, and pairs_mix.txt in the realistic mix (MIX below), grouped by token.
  Searches carry `page=1&page_size=50`, as the desktop client sends them;
  creators.txt: "TOKEN<TAB>ORG_ID" for create.lua (tellers and account managers);
* the floor: its venv, its database `floor` from the SAME CSV (floor/a_load.sh) and its
  sessions and paths (floor/c_setup.py -> /tmp/floor/tokens.txt, paths.txt).

Every measuring subcommand starts the server(s) itself, checks a sample of the answers
(status and the expected customer) before it measures, and stops them by PID.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import http.client
import importlib.util
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH = ROOT / "bench"
PEER = ROOT.parent / "shared" / "peer"
FLOOR_SRC = PEER / "floor"
FLOOR_DIR = Path("/tmp/floor")
FLOOR_VENV = FLOOR_DIR / "venv"
FLOOR_PACKAGES = ["psycopg[binary,pool]", "starlette", "uvicorn", "httptools", "uvloop", "orjson"]
WORK = Path(os.environ.get("CRM_HTTP_BENCH_DIR", "/tmp/crm_http_bench"))
STATE = WORK / "state.json"
KEY_FILE = WORK / "keys.json"
DB = "crm_http_bench"
HOST = "127.0.0.1"
OUR_PORT = 8791
FLOOR_PORT = 8792
#: Inserted sessions must outlive the server's idle expiry (default 30 minutes): ten years.
IDLE_MINUTES = 10 * 365 * 24 * 60
#: The staff's password (all of them), should anyone want to log in by hand.
BENCH_PASSWORD = "bench-password-2025"
SOURCE = "http_bench"
#: Area codes of the resident IDs the bench creates (never in the peer's generator).
CREATED_ID_PREFIX = "4401"

KINDS = {
    "exact": "by resident ID, exact",
    "phone": "by mobile, exact",
    "custno": "by customer number, exact",
    "surname": "surname, 1 character",
    "initials": "pinyin initials",
    "open": "open a customer (GET /customers/{id})",
    "me": "GET /auth/me",
}
#: The realistic mix, per cent: exact look-ups 60, open a customer 20, names 15, me 5.
MIX = {"exact": 30, "phone": 20, "custno": 10, "open": 20, "surname": 8, "initials": 7, "me": 5}
SEARCH = "/api/v1/customers?q={q}&page=1&page_size=50"


# ============================================================================ helpers
def log(msg: str) -> None:
    print(msg, flush=True)


def machine() -> str:
    """The machine is shared: say how busy it is when a measurement starts."""
    la = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}"


def admin_url(a: argparse.Namespace) -> str:
    return str(a.database_url or os.environ.get("CRM_TEST_DATABASE_URL")
               or "postgresql://postgres@127.0.0.1:5432/postgres")


def db_url(a: argparse.Namespace, database: str = DB) -> str:
    """A plain postgresql:// URL (the product and psycopg both take it)."""
    return make_url(admin_url(a)).set(drivername="postgresql", database=database).render_as_string(
        hide_password=False)


def csv_path_for(n: int) -> Path:
    return Path(f"/tmp/customers_{n}.csv")


def gen_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_customers", PEER / "gen_customers.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def raise_nofile() -> int:
    """The open-files soft limit up to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def load_state() -> dict[str, Any]:
    if not STATE.exists():
        sys.exit(f"no {STATE}: run `bench/http_bench.py prepare --n N` first")
    state: dict[str, Any] = json.loads(STATE.read_text())
    return state


def pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile (as floor/floorlib.py)."""
    s = sorted(xs)
    if not s:
        return float("nan")
    return s[max(0, min(len(s) - 1, round(p / 100.0 * len(s) + 0.5) - 1))]


def read_pairs(kind: str) -> list[tuple[str, str, str]]:
    out = []
    with open(WORK / f"pairs_{kind}.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                out.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return out


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) != 0


def listen_drops() -> tuple[int, int]:
    """TcpExt ListenOverflows and ListenDrops (the accept queue was full)."""
    with open("/proc/net/netstat") as f:
        rows = [line.split() for line in f if line.startswith("TcpExt:")]
    d = dict(zip(rows[0][1:], (int(v) for v in rows[1][1:]), strict=True))
    return d.get("ListenOverflows", 0), d.get("ListenDrops", 0)


# ============================================================================ prepare
def cmd_prepare(a: argparse.Namespace) -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    csv_path = csv_path_for(a.n)
    if csv_path.exists():
        log(f"customers: {csv_path} (present, reused)")
    else:
        log(f"customers: generating {csv_path}")
        subprocess.run([sys.executable, str(PEER / "gen_customers.py"), str(a.n), str(csv_path)], check=True)
    url = db_url(a)
    with psycopg.connect(admin_url(a), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB}")
    log(f"$ crm-server init --database-url {url}   (CRM_KEY_FILE={KEY_FILE})")
    subprocess.run([sys.executable, "-m", "server.cli", "init", "--database-url", url], check=True,
                   cwd=ROOT, env=server_env())
    orgs = create_orgs(url)
    staff = create_staff(url, orgs, a.tellers, a.managers)
    t0 = time.perf_counter()
    n = load_customers(url, csv_path, orgs.sub_branches, orgs.managers)
    load_s = time.perf_counter() - t0
    log(f"loaded {n:,} customers with their search keys in {load_s:.0f} s ({n / load_s:,.0f}/s)")
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("VACUUM (ANALYZE) customer, customer_search_key, org, app_user")
    tokens = create_sessions(url, staff, a.sessions)
    write_pairs(url, orgs, staff, tokens, a.lines)
    old = json.loads(STATE.read_text()) if STATE.exists() else {}
    state = {"n": n, "csv": str(csv_path), "users": len(staff), "sessions": len(tokens),
             "tellers_per_sub_branch": a.tellers, "managers_per_sub_branch": a.managers,
             "prepared_at": datetime.now(UTC).isoformat(timespec="seconds"), "load_seconds": round(load_s)}
    if not a.skip_floor:
        state["floor_n"] = prepare_floor(csv_path, a.sessions, n)
    elif "floor_n" in old:
        state["floor_n"] = old["floor_n"]
    STATE.write_text(json.dumps(state, indent=2))
    log(f"prepared: {json.dumps(state)}")
    return 0


@dataclass
class Orgs:
    head_office: int
    branches: dict[str, int] = field(default_factory=dict)  # city code -> org id
    sub_branches: dict[str, int] = field(default_factory=dict)  # branch_code of the CSV -> org id
    managers: dict[str, list[int]] = field(default_factory=dict)  # branch_code -> account managers' ids


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: str
    org_id: int
    #: the sub-branches whose customers this user finds (customer.lookup: the org subtree)
    scope: tuple[int, ...]


def create_orgs(url: str) -> Orgs:
    """The generator's branch codes as the bank's tree: cities as branches, codes as sub-branches."""
    codes = list(gen_module().BRANCH_CODES)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        row = cur.execute("SELECT id, path FROM org WHERE kind = 'head_office'").fetchone()
        assert row is not None, "crm-server init creates the head office"
        ho, ho_path = row
        orgs = Orgs(ho)

        def add(code: str, name: str, kind: str, parent: int, parent_path: str) -> tuple[int, str]:
            r = cur.execute("INSERT INTO org (code, name, kind, parent_id, path, version, created_at, updated_at) "
                            "VALUES (%s, %s, %s, %s, '', 1, now(), now()) RETURNING id",
                            (code, name, kind, parent)).fetchone()
            assert r is not None
            path = f"{parent_path}{r[0]}/"
            cur.execute("UPDATE org SET path = %s WHERE id = %s", (path, r[0]))
            return r[0], path

        paths: dict[str, str] = {}
        for code in codes:
            city = code[:2]
            if city not in orgs.branches:
                orgs.branches[city], paths[city] = add(city, f"{city}分行", "branch", ho, ho_path)
            orgs.sub_branches[code], _ = add(code, f"{code}支行", "sub_branch", orgs.branches[city], paths[city])
        conn.commit()
    log(f"orgs: head office, {len(orgs.branches)} branches, {len(orgs.sub_branches)} sub-branches")
    return orgs


def create_staff(url: str, orgs: Orgs, tellers: int, managers: int) -> list[Staff]:
    from server.security import hash_password
    pw = hash_password(BENCH_PASSWORD)
    staff: list[Staff] = []
    by_city: dict[str, list[int]] = {}
    for code, org in orgs.sub_branches.items():
        by_city.setdefault(code[:2], []).append(org)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        def add(username: str, display: str, role: str, position: str, org: int, scope: tuple[int, ...]) -> int:
            r = cur.execute(
                "INSERT INTO app_user (username, username_key, password_hash, display_name, role, org_id, position, "
                "locked, disabled, must_change_password, version, created_at, updated_at, password_changed_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, false, false, false, 1, now(), now(), now()) RETURNING id",
                (username, username, pw, display, role, org, position)).fetchone()
            assert r is not None
            staff.append(Staff(r[0], username, role, org, scope))
            return int(r[0])

        for city, org in orgs.branches.items():
            add(f"bm_{city.lower()}", f"{city}分行行长", "branch_manager", "branch_president", org,
                tuple(by_city[city]))
        for code, org in orgs.sub_branches.items():
            c = code.lower()
            orgs.managers[code] = [add(f"am_{c}_{i:02d}", f"{code}客户经理{i}", "account_manager", "account_manager",
                                       org, (org,)) for i in range(1, managers + 1)]
            for i in range(1, tellers + 1):
                add(f"t_{c}_{i:02d}", f"{code}柜员{i}", "teller", "staff", org, (org,))
        conn.commit()
    roles = Counter(s.role for s in staff)
    log(f"staff: {len(staff)} users ({', '.join(f'{n} {r}' for r, n in sorted(roles.items()))}); "
        f"password {BENCH_PASSWORD!r}")
    return staff


# ---------------------------------------------------------------------------- THE LOADER
# The one function that puts the CSV's customers into the product. Everything after it
# (sessions, wrk files) reads what it loaded back from the database, so it can be
# switched without touching the rest.
#   TODAY: COPY customers and their search keys (pinyin sort key, name fragments, pinyin
#          prefixes and initials from server.search), as bench/search_bench.py does.
#   SOON:  `crm-server import customers FILE --business-date D`: write the CSV in the
#          import format (domain/risk-and-import.md: core_customer_id, type, name, gender,
#          birth_date, id_number, uscc, phone, address, occupation, employer, branch_code,
#          manager_username, and the trailer `TRAILER,<rows>,0`) with manager_username =
#          the account manager below, run the command, and return the applied count.
def load_customers(url: str, csv_path: Path, org_by_code: dict[str, int],
                   managers_by_code: dict[str, list[int]]) -> int:
    """The CSV's customers through the product's own bulk path, `crm-server import
    customers` (COPY into staging, set-based checks, keys, merge, sequences): each in the
    sub-branch of its branch_code and in the book of one of that sub-branch's account
    managers, in turn. Returns how many were applied."""
    with psycopg.connect(url) as conn:
        names = dict(conn.execute("SELECT id, username FROM app_user").fetchall())
    books = {code: [names[i] for i in ids] for code, ids in managers_by_code.items()}
    path = WORK / f"import_{csv_path.stem}.csv"
    rows = 0
    with open(csv_path, encoding="utf-8", newline="") as f, open(path, "w", encoding="utf-8", newline="") as o:
        w = csv.writer(o, lineterminator="\n")
        o.write("core_customer_id,type,name,gender,birth_date,id_number,uscc,phone,address,occupation,employer,"
                "branch_code,manager_username\n")
        for r in csv.DictReader(f):
            rows += 1
            code = r["branch_code"]
            assert code in org_by_code, code
            w.writerow((r["customer_no"], "personal", r["name"], "male" if r["gender"] == "M" else "female",
                        r["birth_date"], r["resident_id"], "", r["mobile"], "", "", "", code,
                        books[code][rows % len(books[code])]))
        o.write(f"TRAILER,{rows},0\n")
    cmd = [sys.executable, "-m", "server.cli", "import", "customers", str(path), "--business-date", "2026-12-01",
           "--database-url", url]
    log("$ crm-server import customers " + str(path) + " --business-date 2026-12-01")
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=server_env(), capture_output=True, text=True)
    log(f"import took {time.perf_counter() - t0:.1f} s: {out.stdout.strip()[-400:]}")
    if out.returncode != 0:
        raise SystemExit(f"import failed: {out.stderr[-2000:]}")
    return int(json.loads(out.stdout.strip().splitlines()[-1])["applied"])


def _chunks(rows: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    chunk: list[dict[str, str]] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def create_sessions(url: str, staff: list[Staff], n: int) -> list[tuple[str, Staff]]:
    """`n` sessions spread over the staff in turn, inserted (not logged in)."""
    from server.security import token_hash
    now = datetime.now(UTC)
    tokens = [(secrets.token_urlsafe(32), staff[i % len(staff)]) for i in range(n)]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY user_session (token_hash, user_id, created_at, last_seen_at, expires_at, "
                      "password_change_required, source) FROM STDIN") as cp:
            for tok, s in tokens:
                cp.write_row((token_hash(tok), s.id, now, now, "2099-01-01T00:00:00Z", False, SOURCE))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("VACUUM (ANALYZE) user_session")
    with open(WORK / "sessions.tsv", "w", encoding="utf-8") as f:
        f.write("token\tuser_id\tusername\trole\torg_id\n")
        f.writelines(f"{t}\t{s.id}\t{s.username}\t{s.role}\t{s.org_id}\n" for t, s in tokens)
    log(f"sessions: {len(tokens):,} inserted into user_session over {len(staff)} users "
        f"(~{len(tokens) / len(staff):.1f} each) -> {WORK / 'sessions.tsv'}")
    return tokens


def _initials(name: str) -> str:
    from pypinyin import Style, lazy_pinyin
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))


def write_pairs(url: str, orgs: Orgs, staff: list[Staff], tokens: list[tuple[str, Staff]], lines: int) -> None:
    """wrk's input: every token paired with paths its user may see, read back from the database."""
    pool_size = max(50, min(2000, lines * len(tokens) // max(1, len(orgs.sub_branches)) // 4))
    pools: dict[int, list[tuple[int, str, str, str, str]]] = {}
    with psycopg.connect(url) as conn:
        conn.execute("SELECT setseed(0.42)")
        for org in orgs.sub_branches.values():
            pools[org] = [(int(r[0]), r[1], r[2], r[3], r[4]) for r in conn.execute(
                "SELECT id, customer_no, id_number, phone, name FROM customer WHERE org_id = %s AND type = 'personal' "
                "ORDER BY random() LIMIT %s", (org, pool_size))]
    rng = random.Random(7)

    def line(kind: str, tok: str, s: Staff) -> str:
        if kind == "me":
            return f"{tok}\t/api/v1/auth/me\t{s.id}"
        cid, no, idn, phone, name = rng.choice(pools[rng.choice(s.scope)])
        if kind == "open":
            return f"{tok}\t/api/v1/customers/{cid}\t{cid}"
        q, expect = {"exact": (idn, cid), "phone": (phone, cid), "custno": (no, cid), "surname": (name[0], name[0]),
                     "initials": (_initials(name), _initials(name))}[kind]
        return f"{tok}\t{SEARCH.format(q=quote(str(q)))}\t{expect}"

    kinds, weights = list(MIX), list(MIX.values())
    files = {k: open(WORK / f"pairs_{k}.txt", "w", encoding="utf-8") for k in [*KINDS, "mix"]}
    try:
        for tok, s in tokens:
            for k in KINDS:
                for _ in range(1 if k == "me" else lines):
                    files[k].write(line(k, tok, s) + "\n")
            for k in rng.choices(kinds, weights, k=2 * lines):
                files["mix"].write(line(k, tok, s) + "\n")
    finally:
        for f in files.values():
            f.close()
    with open(WORK / "creators.txt", "w", encoding="utf-8") as f:
        f.writelines(f"{tok}\t{s.org_id}\n" for tok, s in tokens if s.role in ("teller", "account_manager"))
    log(f"wrk files: {', '.join(f'pairs_{k}.txt' for k in [*KINDS, 'mix'])}, creators.txt in {WORK} "
        f"({lines} lines per token and kind, {2 * lines} in the mix; {pool_size} sampled customers per sub-branch)")


def prepare_floor(csv_path: Path, n_tokens: int, n: int) -> int:
    FLOOR_DIR.mkdir(parents=True, exist_ok=True)
    if not (FLOOR_VENV / "bin" / "uvicorn").exists():
        log(f"floor: creating its venv {FLOOR_VENV}")
        subprocess.run(["python3", "-m", "venv", str(FLOOR_VENV)], check=True)
        subprocess.run([str(FLOOR_VENV / "bin" / "pip"), "install", "-q", *FLOOR_PACKAGES], check=True)
    log(f"$ bash {FLOOR_SRC / 'a_load.sh'} {csv_path}")
    subprocess.run(["bash", str(FLOOR_SRC / "a_load.sh"), str(csv_path)], check=True)
    n_paths = min(100_000, n)
    log(f"$ {FLOOR_VENV}/bin/python {FLOOR_SRC / 'c_setup.py'} {n_tokens} {n_paths} {FLOOR_DIR}")
    subprocess.run([str(FLOOR_VENV / "bin" / "python"), str(FLOOR_SRC / "c_setup.py"), str(n_tokens), str(n_paths),
                    str(FLOOR_DIR)], check=True)
    with psycopg.connect(f"host={HOST} port=5432 user=postgres dbname=floor") as c:
        row = c.execute("SELECT count(*) FROM customers").fetchone()
    return int(row[0]) if row else 0


# ============================================================================ servers
def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    # the login bench measures password logins (a second factor would answer a challenge)
    env.update({"PYTHONPATH": str(ROOT), "CRM_KEY_FILE": str(KEY_FILE), "CRM_MFA_ROLES": "",
                "CRM_TOKEN_IDLE_MINUTES": str(IDLE_MINUTES)}, **extra)
    return env


class Server:
    """Our server (`crm-server serve`) or the floor (uvicorn c_app:app), started and stopped by PID."""

    def __init__(self, kind: str, workers: int, tag: str, url: str = "", *, keepalive: int = 5,
                 backlog: int = 2048, pool: int = 8) -> None:
        self.kind, self.workers, self.tag = kind, workers, tag
        self.port = OUR_PORT if kind == "ours" else FLOOR_PORT
        self.log_path = WORK / f"server_{kind}_{tag}.log"
        if kind == "ours":
            # serve has no backlog or keep-alive flag: uvicorn's backlog 2048, keep-alive 75 s (server/cli.py)
            self.cmd = [sys.executable, "-m", "server.cli", "serve", "--database-url", url, "--host", HOST,
                        "--port", str(self.port), "--workers", str(workers)]
            self.env = server_env()
            self.cmd_text = (f"CRM_KEY_FILE={KEY_FILE} CRM_TOKEN_IDLE_MINUTES={IDLE_MINUTES} PYTHONPATH={ROOT} "
                             + " ".join(self.cmd))
            self.probe = "/healthz"
        else:
            self.cmd = [str(FLOOR_VENV / "bin" / "uvicorn"), "--app-dir", str(FLOOR_SRC), "c_app:app", "--host", HOST,
                        "--port", str(self.port), "--workers", str(workers), "--http", "httptools", "--loop", "uvloop",
                        "--no-access-log", "--log-level", "warning", "--backlog", str(backlog),
                        "--timeout-keep-alive", str(keepalive)]
            self.env = {**os.environ, "FLOOR_POOL": str(pool)}
            self.cmd_text = f"FLOOR_POOL={pool} " + " ".join(self.cmd)
            self.probe = "/ping"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> Server:
        if not port_free(self.port):
            sys.exit(f"port {self.port} is taken: another bench running? (ss -ltnp 'sport = :{self.port}')")
        log(f"server: {self.cmd_text}")
        self.log_file = open(self.log_path, "wb")
        # its own process group: a SIGKILL after a failed graceful stop reaches the workers too
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                c = http.client.HTTPConnection(HOST, self.port, timeout=2)
                c.request("GET", self.probe)
                if c.getresponse().status == 200:
                    c.close()
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"server did not answer {self.probe} within 90 s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL to the server's process group (uvicorn's workers outlive a killed master)."""
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self, timeout: float = 60) -> float:
        """SIGTERM, wait for the exit; the seconds it took (SIGKILL after `timeout`)."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.log_file.close()
            return 0.0
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"server {self.pid} still running {timeout:.0f} s after SIGTERM: SIGKILL to its process group")
            self.kill()
        self.log_file.close()
        return time.perf_counter() - t0


def reset_sessions(url: str) -> None:
    """Steady state before a run: each session last seen 0-30 s ago, as if in use (the
    server writes last_seen_at at most every 30 s per session)."""
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("UPDATE user_session SET last_seen_at = now() - random() * interval '30 seconds' "
                  "WHERE source = %s", (SOURCE,))


# ============================================================================ checking answers
class Client:
    """One keep-alive HTTP/1.1 connection (http.client), timing each request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def request(self, method: str, path: str, token: str, body: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        h = {"Authorization": f"Bearer {token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            h["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            payload = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            raise
        return r.status, payload, (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.conn.close()


def judge(kind: str, status: int, body: bytes, expect: str) -> tuple[str | None, int]:
    """(what is wrong or None, hits) for one answer of the kind."""
    try:
        j = json.loads(body)
    except ValueError:
        return f"{status} not JSON: {body[:80]!r}", 0
    if status != 200:
        return f"status {status}: {j.get('code') if isinstance(j, dict) else body[:80]!r}", 0
    if kind == "me":
        return (None if j["user"]["id"] == int(expect) else f"me is user {j['user']['id']}, not {expect}"), 1
    if kind == "open":
        return (None if j["id"] == int(expect) else f"opened {j['id']}, not {expect}"), 1
    total, items = j["total"], j["items"]
    if total < 1:
        return "empty page", 0
    if kind in ("exact", "phone", "custno") and not any(it["id"] == int(expect) for it in items):
        return f"customer {expect} not among {[it['id'] for it in items]}", total
    if kind == "surname" and not all(expect in it["name"] for it in items):
        return f"a name without {expect}: {[it['name'] for it in items]}", total
    return None, total


def verify(port: int, per_kind: int = 10, *, show: bool = False) -> None:
    """Ask a sample of every kind and check the answers; exit on the first wrong one."""
    rng = random.Random(3)
    cl = Client(port)
    summary = []
    for kind in KINDS:
        lines = read_pairs(kind)
        sample = rng.sample(lines, min(per_kind, len(lines)))
        hits = []
        for tok, path, expect in sample:
            status, body, _ms = cl.request("GET", path, tok)
            err, n = judge(kind, status, body, expect)
            if err:
                sys.exit(f"WRONG ANSWER ({kind}) GET {path} with token {tok[:8]}...: {err}")
            hits.append(n)
        summary.append(f"{kind} {len(sample)} ok (mean hits {statistics.fmean(hits):.0f})")
        if show:
            tok, path, expect = sample[0]
            log(f"  curl -s -H 'Authorization: Bearer {tok}' 'http://{HOST}:{port}{path}'   # expect {expect}")
    cl.close()
    log("answers checked: " + "; ".join(summary))


def scope_check(port: int) -> None:
    """A teller asking for another sub-branch's customer gets an empty page and a 404: what
    a bench pairing tokens and paths at random would measure."""
    with open(WORK / "sessions.tsv", encoding="utf-8") as f:
        who = {r[0]: r for r in (ln.rstrip("\n").split("\t") for ln in list(f)[1:])}
    teller = next(r for r in who.values() if r[3] == "teller")

    def foreign(kind: str) -> tuple[str, str, str]:  # a line of a sub-branch user elsewhere
        return next(p for p in read_pairs(kind) if who[p[0]][3] != "branch_manager" and who[p[0]][4] != teller[4])
    cl = Client(port)
    st, body, _ = cl.request("GET", foreign("exact")[1], teller[0])
    st2, _b, _ = cl.request("GET", foreign("open")[1], teller[0])
    cl.close()
    total = json.loads(body).get("total")
    log(f"scope check: teller {teller[2]} (org {teller[4]}) asking for another sub-branch's customer: "
        f"search -> {st}, total {total}; open -> {st2}")
    if not (st == 200 and total == 0 and st2 == 404):
        sys.exit("scope check failed: the teller saw another sub-branch's customer")


def floor_check(port: int) -> None:
    tok = (FLOOR_DIR / "tokens.txt").read_text().split("\n", 1)[0]
    path = (FLOOR_DIR / "paths.txt").read_text().split("\n", 1)[0]
    cl = Client(port)
    st, body, _ = cl.request("GET", path, tok)
    cl.close()
    if st != 200 or json.loads(body).get("resident_id") != path.split("=", 1)[1]:
        sys.exit(f"floor: GET {path} -> {st} {body[:120]!r}")
    log(f"floor answers: GET {path} -> {st} {body[:100].decode(errors='replace')}...")


def cmd_check(a: argparse.Namespace) -> int:
    state = load_state()
    log(f"N = {state['n']:,} customers, {state['sessions']:,} sessions")
    srv = Server("ours", 1, "check", db_url(a)).start()
    try:
        verify(srv.port, a.per_kind, show=True)
        scope_check(srv.port)
    finally:
        srv.stop()
    if "floor_n" in state:
        fl = Server("floor", 1, "check").start()
        try:
            floor_check(fl.port)
        finally:
            fl.stop()
    return 0


# ============================================================================ wrk, sampler, pg
@dataclass
class LoadResult:
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    status: dict[int, int] = field(default_factory=dict)
    p: dict[int, float] = field(default_factory=dict)
    max_ms: float = float("nan")
    rps: float = float("nan")
    raw: str = ""
    sample: dict[str, Any] = field(default_factory=dict)
    db: dict[str, float] = field(default_factory=dict)
    pg_during: dict[str, int] = field(default_factory=dict)
    pg_after: dict[str, int] = field(default_factory=dict)
    drops: tuple[int, int] = (0, 0)
    after_exit: int = -1

    @property
    def errors(self) -> int:
        return sum(v for k, v in self.counts.items() if k in ("connect_err", "read_err", "write_err", "timeouts"))


def parse_load(label: str, text: str) -> LoadResult:
    r = LoadResult(label, raw=text)
    for ln in text.splitlines():
        if ln.startswith("requests "):
            r.counts = {k: int(v) for k, v in re.findall(r"([a-z_0-9]+) (\d+)", ln)}
        elif ln.startswith("sent "):
            r.counts["sent"] = int(ln.split()[1])
        elif ln.startswith("status "):
            r.status = {int(k): int(v) for k, v in re.findall(r"(\d+)=(\d+)", ln)}
        elif m := re.match(r"p(\d+) ([\d.]+) ms", ln):
            r.p[int(m.group(1))] = float(m.group(2))
        elif m := re.match(r"max ([\d.]+) ms\s+rps ([\d.]+)", ln):
            r.max_ms, r.rps = float(m.group(1)), float(m.group(2))
    if "requests" not in r.counts:
        log(f"could not read the load's summary:\n{text}")
    return r


def wrk_cmd(script: Path, port: int, conns: int, threads: int, dur: int, timeout: str) -> list[str]:
    return ["wrk", f"-t{threads}", f"-c{conns}", f"-d{dur}s", "--timeout", timeout, "-s", str(script),
            f"http://{HOST}:{port}"]


def parse_sample(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"raw": text}
    for k, v in re.findall(r"cpu (\w+)\s+[\d.]+ s =\s*([\d.]+)% of one core", text):
        out[f"cpu_{k}"] = float(v)
    if m := re.search(r"RSS sum max (\d+) MiB mean (\d+) MiB", text):
        out["rss_max"], out["rss_mean"] = int(m.group(1)), int(m.group(2))
    if m := re.search(r"established conns on :\d+: min (\d+) max (\d+) last (\d+)", text):
        out["conns_min"], out["conns_max"] = int(m.group(1)), int(m.group(2))
    if m := re.search(r"machine busy (\d+)%", text):
        out["busy"] = int(m.group(1))
    return out


def pg_counters(admin: str, db: str) -> dict[str, float]:
    with psycopg.connect(admin, autocommit=True) as c:
        row = c.execute("SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_fetched, sessions "
                        "FROM pg_stat_database WHERE datname = %s", (db,)).fetchone()
    keys = ("commits", "rollbacks", "inserted", "updated", "fetched", "connections")
    return dict(zip(keys, (float(v) for v in row), strict=True)) if row else {}


def pg_states(admin: str, db: str) -> dict[str, int]:
    with psycopg.connect(admin, autocommit=True) as c:
        return {str(s): int(n) for s, n in c.execute(
            "SELECT coalesce(state, 'none'), count(*) FROM pg_stat_activity WHERE datname = %s GROUP BY 1 ORDER BY 1",
            (db,))}


class PgWatch(threading.Thread):
    """pg_stat_activity by state every `every` s; the largest count seen of each state."""

    def __init__(self, admin: str, db: str, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.admin, self.db, self.every = admin, db, every
        self.peak: dict[str, int] = {}
        self.samples: list[dict[str, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.every):
            try:
                s = pg_states(self.admin, self.db)
            except psycopg.Error:
                continue
            self.samples.append(s)
            for k, v in s.items():
                self.peak[k] = max(self.peak.get(k, 0), v)

    def stop(self) -> dict[str, int]:
        self.halt.set()
        self.join()
        return self.peak


def run_load(label: str, cmd: list[str], env: dict[str, str], server: Server, dur: int, skip: int,
             admin: str, db: str, watch_pg: bool = False) -> LoadResult:
    """Run a load generator (wrk, or our python client) with the sampler beside it."""
    log(f"load: {' '.join(f'{k}={v}' for k, v in env.items())} {' '.join(cmd)}")
    before = pg_counters(admin, db)
    drops0 = listen_drops()
    watch = PgWatch(admin, db) if watch_pg else None
    if watch:
        watch.start()
    out_path = WORK / f"load_{label}.log"
    with open(out_path, "wb") as out:
        gen = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        time.sleep(skip)
        window = max(1, dur - skip - 2)
        samp = subprocess.run([sys.executable, str(FLOOR_SRC / "sampler.py"), str(window), str(server.pid),
                               str(gen.pid)], env={**os.environ, "SERVER_PORT": str(server.port)},
                              capture_output=True, text=True)
        gen.wait()
    r = parse_load(label, out_path.read_text(errors="replace"))
    r.sample = parse_sample(samp.stdout + samp.stderr)
    (WORK / f"sample_{label}.log").write_text(samp.stdout + samp.stderr)
    d1 = listen_drops()
    r.drops = (d1[0] - drops0[0], d1[1] - drops0[1])
    if watch:
        r.pg_during = watch.stop()
        time.sleep(1)
        r.pg_after = pg_states(admin, db)
    r.db = {k: before.get(k, 0.0) for k in before}  # completed by db_work() after the server stops
    return r


def db_work(r: LoadResult, admin: str, db: str, requests: int) -> None:
    """What the database did per request (counters read after the server stopped, so every
    backend has flushed its statistics; the warm-up's requests are counted in)."""
    after = pg_counters(admin, db)
    before = r.db
    r.db = {k: (after[k] - before.get(k, 0.0)) / max(1, requests) for k in after}


def fmt_db(r: LoadResult) -> str:
    d = r.db
    if not d:
        return ""
    return (f"per request: {d['connections']:.3f} new PostgreSQL connections, {d['commits']:.2f} commits, "
            f"{d['rollbacks']:.2f} rollbacks, "
            f"{d['inserted']:.2f} rows inserted, {d['updated']:.2f} updated (a session's last_seen_at is "
            "written at most every 30 s)")


# ============================================================================ throughput
def cmd_throughput(a: argparse.Namespace) -> int:
    state = load_state()
    raise_nofile()
    admin, url = admin_url(a), db_url(a)
    if a.kind == "login":  # staff of the branches, with the password their hashes were made from
        with psycopg.connect(url) as c:
            names = [r[0] for r in c.execute("SELECT username FROM app_user WHERE role <> 'head_office_admin'")]
        (WORK / "users.txt").write_text("".join(f"{u}\t{BENCH_PASSWORD}\n" for u in names), encoding="utf-8")
    script, env_ours = {"create": (BENCH / "create.lua", {"CREATORS": str(WORK / "creators.txt")}),
                        "login": (BENCH / "login.lua", {"USERS": str(WORK / "users.txt")})}.get(
        a.kind, (BENCH / "pairs.lua", {"PAIRS": str(WORK / f"pairs_{a.kind}.txt")}))
    if a.tokens:
        env_ours["SESSIONS"] = str(a.tokens)
    floor_env = {"PATHS": str(FLOOR_DIR / "paths.txt"), "TOKENS": str(FLOOR_DIR / "tokens.txt")}
    log(f"[{machine()}] throughput: N = {state['n']:,} customers (floor: {state.get('floor_n', 0):,}), "
        f"{a.conns} connections, {a.threads} wrk threads, {a.dur} s after a {a.warmup} s warm-up; "
        f"ours: {KINDS.get(a.kind, a.kind)} ({script.name}, {a.tokens or state['sessions']} session tokens), "
        "floor: exact resident ID (floor/c_lookup.lua)")
    rows: list[tuple[int, LoadResult, LoadResult | None]] = []
    for rnd in range(a.rounds):
        for w in a.workers:
            tag = f"w{w}_r{rnd + 1}"
            srv = Server("ours", w, tag, url).start()
            try:
                verify(srv.port, 5)
                reset_sessions(url)
                _warmup(script, env_ours, srv.port, a)
                ours = run_load(f"ours_{a.kind}_{tag}", wrk_cmd(script, srv.port, a.conns, a.threads, a.dur, "2s"),
                                env_ours, srv, a.dur, 3, admin, DB)
            finally:
                srv.stop()
            db_work(ours, admin, DB, ours.counts.get("requests", 0))
            floor = None
            if not a.skip_floor:
                fl = Server("floor", w, tag).start()
                try:
                    floor_check(fl.port)
                    _warmup(FLOOR_SRC / "c_lookup.lua", floor_env, fl.port, a)
                    floor = run_load(f"floor_{tag}", wrk_cmd(FLOOR_SRC / "c_lookup.lua", fl.port, a.conns, a.threads,
                                                             a.dur, "2s"), floor_env, fl, a.dur, 3, admin, "floor")
                finally:
                    fl.stop()
                db_work(floor, admin, "floor", floor.counts.get("requests", 0))
            rows.append((w, ours, floor))
            _print_throughput(rows[-1:], a)
    if len(rows) > 1:
        log("\nall rounds:")
        _print_throughput(rows, a)
    if a.kind == "create":
        cleanup_created(url)
    return 0


def _warmup(script: Path, env: dict[str, str], port: int, a: argparse.Namespace) -> int:
    """A short run of the same load first (connections, prepared statements, caches)."""
    if a.warmup <= 0:
        return 0
    p = subprocess.run(wrk_cmd(script, port, a.conns, a.threads, a.warmup, "2s"), env={**os.environ, **env},
                       capture_output=True, text=True)
    return parse_load("warm-up", p.stdout).counts.get("requests", 0)


def _print_throughput(rows: list[tuple[int, LoadResult, LoadResult | None]], a: argparse.Namespace) -> None:
    hdr = (f"{'':24s} {'req/s':>8s} {'p50 ms':>7s} {'p95 ms':>7s} {'p99 ms':>7s} {'max ms':>7s} {'non2xx':>6s} "
           f"{'errors':>6s} {'srv CPU%':>8s} {'ms/req':>6s} {'pg CPU%':>7s} {'wrk CPU%':>8s} {'other%':>6s} "
           f"{'RSS MiB':>7s}")
    log(hdr)
    for w, ours, floor in rows:
        for r in (ours, floor):
            if r is None:
                continue
            s = r.sample
            log(f"{r.label[:24]:24s} {r.rps:8.0f} {r.p.get(50, 0):7.2f} {r.p.get(95, 0):7.2f} {r.p.get(99, 0):7.2f} "
                f"{r.max_ms:7.1f} {r.counts.get('non2xx', 0):6d} {r.errors:6d} {s.get('cpu_server', 0):8.0f} "
                f"{10 * s.get('cpu_server', 0) / r.rps if r.rps else 0:6.2f} {s.get('cpu_postgres', 0):7.0f} "
                f"{s.get('cpu_wrk', 0):8.0f} {s.get('cpu_other', 0):6.0f} "
                f"{s.get('rss_max', 0):7d}")
        if floor is not None and floor.rps:
            log(f"{f'ours/floor (workers {w})':24s} {ours.rps / floor.rps:8.2f} "
                + " ".join(f"{ours.p.get(p, 0) / floor.p[p]:7.2f}" if floor.p.get(p) else f"{'-':>7s}"
                           for p in (50, 95, 99)))
        log(f"  ours: status {ours.status}; {fmt_db(ours)}")
        if floor is not None:
            log(f"  floor: {fmt_db(floor)}")
    log("  (CPU: per cent of one core, 2 cores = 200 %; ms/req = the server's CPU time per request; pg = every "
        "PostgreSQL process, other databases' included; other = processes that are neither server, PostgreSQL "
        "nor wrk: the machine is shared)")


def cleanup_created(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as c:
        n = c.execute("DELETE FROM customer WHERE id_number LIKE %s", (CREATED_ID_PREFIX + "%",)).rowcount
    log(f"deleted {n} customers the bench created (id_number {CREATED_ID_PREFIX}...)")


# ============================================================================ latency
@functools.cache
def _gen() -> ModuleType:
    return gen_module()


def _new_customer(rng: random.Random, org_id: int) -> dict[str, Any]:
    gen = _gen()
    y, m, d, seq = rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 999)
    first17 = f"{CREATED_ID_PREFIX}{rng.randint(1, 99):02d}{y:04d}{m:02d}{d:02d}{seq:03d}"
    name = rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋") + rng.choice("勇艳杰娟涛明超")
    return {"name": name,
            "gender": "male" if seq % 2 else "female", "birth_date": f"{y:04d}-{m:02d}-{d:02d}",
            "id_number": first17 + gen.id_check_char(first17), "phone": f"199{rng.randint(0, 99_999_999):08d}",
            "org_id": org_id}


class Timings:
    """Latencies of one operation (the first `warmup` calls not counted) and its wrong answers."""

    def __init__(self, label: str, warmup: int) -> None:
        self.label, self.warmup = label, warmup
        self.lat: list[float] = []
        self.hits: list[int] = []
        self.wrong: list[str] = []
        self.calls = 0

    def add(self, err: str | None, n: int, ms: float) -> None:
        self.calls += 1
        if err:
            self.wrong.append(err)
        if self.calls > self.warmup:
            self.lat.append(ms)
            self.hits.append(n)

    def row(self) -> str:
        if self.wrong:
            log(f"  {self.label}: {len(self.wrong)} wrong answers, e.g. {self.wrong[0]}")
        return (f"{self.label:44s} {pct(self.lat, 50):7.2f} {pct(self.lat, 95):7.2f} {pct(self.lat, 99):7.2f} "
                f"{statistics.fmean(self.lat):6.2f} {statistics.fmean(self.hits) if self.hits else 0:6.0f} "
                f"{len(self.wrong):5d}")


def cmd_latency(a: argparse.Namespace) -> int:
    """Both servers run side by side (one idles while the other answers); the exact look-up
    by resident ID alternates between them request by request, so that the ratio is taken
    under the same load of the (shared) machine."""
    state = load_state()
    url = db_url(a)
    rng = random.Random(11)
    warm = 10
    total = a.iterations + warm
    log(f"[{machine()}] latency: N = {state['n']:,} (floor: {state.get('floor_n', 0):,}); one keep-alive connection "
        f"per server (python http.client), one request at a time, {a.iterations} requests per operation after "
        f"{warm} warm-up ones; every answer checked; by resident ID alternates ours/floor request by request")
    results: list[Timings] = []
    floor_res: Timings | None = None
    srv = Server("ours", 1, "latency", url).start()
    fl = None if a.skip_floor else Server("floor", 1, "latency").start()
    try:
        verify(srv.port, 20)
        reset_sessions(url)
        cl = Client(srv.port)

        def ours_get(kind: str, line: tuple[str, str, str]) -> tuple[str | None, int, float]:
            st, body, ms = cl.request("GET", line[1], line[0])
            err, n = judge(kind, st, body, line[2])
            return err, n, ms

        fc = Client(fl.port) if fl else None
        toks = (FLOOR_DIR / "tokens.txt").read_text().split()
        fpaths = (FLOOR_DIR / "paths.txt").read_text().split()

        def floor_get(p: tuple[str, str]) -> tuple[str | None, int, float]:
            assert fc is not None
            st, body, ms = fc.request("GET", p[1], p[0])
            ok = st == 200 and json.loads(body).get("resident_id") == p[1].split("=", 1)[1]
            return (None if ok else f"status {st}"), 1, ms

        for kind in ("exact", "phone", "custno", "surname", "initials", "open"):
            pairs = read_pairs(kind)
            t = Timings(KINDS[kind], warm)
            if kind == "exact" and fc is not None:
                floor_res = Timings("floor: by resident ID", warm)
                for line in rng.sample(pairs, min(total, len(pairs))):
                    t.add(*ours_get(kind, line))
                    floor_res.add(*floor_get((rng.choice(toks), rng.choice(fpaths))))
            else:
                for line in rng.sample(pairs, min(total, len(pairs))):
                    t.add(*ours_get(kind, line))
            results.append(t)
        creators = [ln.rstrip("\n").split("\t") for ln in open(WORK / "creators.txt", encoding="utf-8")]
        t = Timings("create a customer (POST, Idempotency-Key)", warm)
        for _ in range(total):
            tok, org = rng.choice(creators)
            body = _new_customer(rng, int(org))
            st, resp, ms = cl.request("POST", "/api/v1/customers", tok, body,
                                      {"Idempotency-Key": secrets.token_hex(16)})
            err = None if st == 201 and json.loads(resp).get("name") == body["name"] else f"status {st}: {resp[:120]!r}"
            t.add(err, 1, ms)
        results.append(t)
        cl.close()
        if fc is not None:
            fc.close()
    finally:
        srv.stop()
        if fl is not None:
            fl.stop()
        cleanup_created(url)
    log(f"\n{'operation':44s} {'p50 ms':>7s} {'p95 ms':>7s} {'p99 ms':>7s} {'mean':>6s} {'hits':>6s} {'wrong':>5s}")
    for r in [*results, *([floor_res] if floor_res else [])]:
        log(r.row())
    if floor_res:
        ex = results[0]
        log(f"{'ours/floor, by resident ID':44s} "
            + " ".join(f"{pct(ex.lat, p) / pct(floor_res.lat, p):7.2f}" for p in (50, 95, 99)))
    log("(hits: mean `total` of the answers; a name query's total is capped at CRM_SEARCH_COUNT_CAP)")
    return 0


# ============================================================================ sessions
def cmd_sessions(a: argparse.Namespace) -> int:
    state = load_state()
    nofile = raise_nofile()
    admin, url = admin_url(a), db_url(a)
    if a.sessions > state["sessions"]:
        sys.exit(f"prepare made {state['sessions']} sessions; prepare again with --sessions {a.sessions}")
    somaxconn = Path("/proc/sys/net/core/somaxconn").read_text().strip()
    log(f"[{machine()}] sessions: N = {state['n']:,}; {a.sessions:,} connections opened at once, "
        f"one staff session each, think {a.think_ms} ms (uniform 0.5-1.5x), {a.dur} s, workers {a.workers}, "
        f"client {a.client}; open files {nofile} (hard limit); somaxconn {somaxconn}; "
        "our serve has no backlog flag: uvicorn's default 2048")
    if 2 * a.sessions + 100 > nofile:
        log(f"warning: {a.sessions} connections need about as many open files in the server and the client; "
            f"the limit is {nofile}")
    results: list[LoadResult] = []
    srv = Server("ours", a.workers, f"sessions{a.sessions}", url).start()
    try:
        verify(srv.port, 5)
        reset_sessions(url)
        cmd, env = _session_load(a, srv.port, WORK / "pairs_mix.txt")
        ours = run_load(f"ours_sessions{a.sessions}", cmd, env, srv, a.dur, a.sample_skip, admin, DB, watch_pg=True)
    finally:
        t_stop = srv.stop()
    db_work(ours, admin, DB, ours.counts.get("requests", 0))
    time.sleep(1)
    ours.after_exit = sum(pg_states(admin, DB).values())
    log(f"our server stopped in {t_stop:.1f} s")
    results.append(ours)
    if not a.skip_floor:
        fl = Server("floor", a.workers, f"sessions{a.sessions}", keepalive=30, backlog=4096).start()
        try:
            if a.client == "python":
                floor_pairs = WORK / "pairs_floor.txt"
                toks = (FLOOR_DIR / "tokens.txt").read_text().split()
                paths = (FLOOR_DIR / "paths.txt").read_text().split()
                rng = random.Random(5)
                with open(floor_pairs, "w") as f:
                    for t in toks[:a.sessions]:
                        f.writelines(f"{t}\t{rng.choice(paths)}\n" for _ in range(20))
                cmd, env = _session_load(a, fl.port, floor_pairs)
            else:
                cmd = wrk_cmd(FLOOR_SRC / "sessions.lua", fl.port, a.sessions, 2, a.dur, a.timeout)
                env = {"PATHS": str(FLOOR_DIR / "paths.txt"), "TOKENS": str(FLOOR_DIR / "tokens.txt"),
                       "THINK_MS": str(a.think_ms)}
            floor = run_load(f"floor_sessions{a.sessions}", cmd, env, fl, a.dur, a.sample_skip, admin, "floor",
                             watch_pg=True)
        finally:
            fl.stop()
        db_work(floor, admin, "floor", floor.counts.get("requests", 0))
        time.sleep(1)
        floor.after_exit = sum(pg_states(admin, "floor").values())
        results.append(floor)
    log("")
    for r in results:
        _print_sessions(r)
    if len(results) == 2 and results[1].rps:
        o, fr = results
        log(f"ours/floor: req/s {o.rps / fr.rps:.2f}, p50 {o.p.get(50, 0) / fr.p.get(50, 1):.2f}, "
            f"p95 {o.p.get(95, 0) / fr.p.get(95, 1):.2f}, p99 {o.p.get(99, 0) / fr.p.get(99, 1):.2f}, "
            f"RSS max {o.sample.get('rss_max', 0) / max(1, fr.sample.get('rss_max', 1)):.2f}")
    return 0


def _session_load(a: argparse.Namespace, port: int, pairs: Path) -> tuple[list[str], dict[str, str]]:
    if a.client == "python":
        return ([sys.executable, str(Path(__file__).resolve()), "_session-client", "--port", str(port), "--pairs",
                 str(pairs), "--sessions", str(a.sessions), "--think-ms", str(a.think_ms), "--dur", str(a.dur),
                 "--timeout", a.timeout], {})
    return (wrk_cmd(BENCH / "sessions_pairs.lua", port, a.sessions, 2, a.dur, a.timeout),
            {"PAIRS": str(pairs), "SESSIONS": str(a.sessions), "THREADS": "2", "THINK_MS": str(a.think_ms)})


def _print_sessions(r: LoadResult) -> None:
    c, s = r.counts, r.sample
    log(f"{r.label}: requests {c.get('requests', 0):,} answered"
        + (f" of {c['sent']:,} sent" if "sent" in c else "")
        + f", rps {r.rps:.0f}; errors: non2xx {c.get('non2xx', 0)}, connect {c.get('connect_err', 0)}, "
        f"read {c.get('read_err', 0)}, write {c.get('write_err', 0)}, timeout {c.get('timeouts', 0)}"
        + (f"; status {r.status}" if r.status else ""))
    log(f"  latency ms: p50 {r.p.get(50, 0):.2f}  p90 {r.p.get(90, 0):.2f}  p95 {r.p.get(95, 0):.2f}  "
        f"p99 {r.p.get(99, 0):.2f}  max {r.max_ms:.0f}")
    log(f"  server: RSS (all processes) max {s.get('rss_max', 0)} MiB, mean {s.get('rss_mean', 0)} MiB; CPU "
        f"server {s.get('cpu_server', 0):.0f}%, postgres {s.get('cpu_postgres', 0):.0f}%, client "
        f"{s.get('cpu_wrk', 0):.0f}% of one core; machine busy {s.get('busy', 0)}%; established connections "
        f"{s.get('conns_min', 0)}-{s.get('conns_max', 0)}; listen overflows/drops {r.drops[0]}/{r.drops[1]}")
    log(f"  PostgreSQL connections by state: peak during {r.pg_during}; 1 s after the load {r.pg_after}; "
        f"after the server exited: {r.after_exit}")
    if r.db:
        log(f"  {fmt_db(r)}")


# ---------------------------------------------------------------------------- python session client
def cmd_session_client(a: argparse.Namespace) -> int:
    """One asyncio connection per session, ONE token for its life, paths from that token's
    own lines; prints the summary pairs.lua prints."""
    raise_nofile()
    own: dict[str, list[str]] = {}
    with open(a.pairs, encoding="utf-8") as f:
        for ln in f:
            parts = ln.rstrip("\n").split("\t")
            if len(parts) >= 2 and (parts[0] in own or len(own) < a.sessions):
                own.setdefault(parts[0], []).append(parts[1])
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    counts: Counter[str] = Counter()
    status: Counter[int] = Counter()
    lat: list[float] = []
    timeout = float(a.timeout.rstrip("s"))
    think = a.think_ms / 1000.0
    t0 = time.monotonic()
    t_end = t0 + a.dur

    async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        code = int(line.split()[1])
        length, keep, chunked = 0, True, False
        while (h := await reader.readline()) not in (b"\r\n", b""):
            k, _, v = h.decode("latin-1").partition(":")
            k, v = k.strip().lower(), v.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "connection" and v == "close":
                keep = False
            elif k == "transfer-encoding" and "chunked" in v:
                chunked = True
        if chunked:
            while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
                await reader.readexactly(size + 2)
            await reader.readline()
        elif length:
            await reader.readexactly(length)
        return code, keep

    async def session(tok: str, paths: list[str], rng: random.Random) -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while time.monotonic() < t_end:
            if writer is None:
                try:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, a.port), timeout)
                except (OSError, TimeoutError):
                    counts["connect_err"] += 1
                    await asyncio.sleep(1)
                    continue
            await asyncio.sleep(min(think * (0.5 + rng.random()), max(0.0, t_end - time.monotonic())))
            if time.monotonic() >= t_end:
                break
            assert reader is not None and writer is not None
            req = (f"GET {rng.choice(paths)} HTTP/1.1\r\nHost: {HOST}:{a.port}\r\n"
                   f"Authorization: Bearer {tok}\r\n\r\n").encode()
            t = time.perf_counter()
            counts["sent"] += 1
            try:
                writer.write(req)
                code, keep = await asyncio.wait_for(read_response(reader), timeout)
            except TimeoutError:
                counts["timeouts"] += 1
                keep = False
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
                counts["read_err"] += 1
                keep = False
            else:
                lat.append((time.perf_counter() - t) * 1000)
                status[code] += 1
                counts["requests"] += 1
                if code > 399:
                    counts["non2xx"] += 1
            if not keep and writer is not None:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    async def main() -> None:
        rng = random.Random(int(time.time()))
        await asyncio.gather(*(session(t, p, random.Random(rng.random())) for t, p in own.items()))

    asyncio.run(main())
    el = time.monotonic() - t0
    print(f"requests {counts['requests']}  non2xx {counts['non2xx']}  connect_err {counts['connect_err']}  "
          f"read_err {counts['read_err']}  write_err 0  timeouts {counts['timeouts']}")
    print(f"sent {counts['sent']} (requests asked for; the ones without an answer timed out or failed)")
    print("status " + " ".join(f"{k}={v}" for k, v in sorted(status.items())))
    for p in (50, 90, 95, 99):
        print(f"p{p} {pct(lat, p):.2f} ms")
    print(f"max {max(lat) if lat else 0:.1f} ms  rps {counts['requests'] / el:.1f}")
    print(f"sessions {len(own)} (one connection and one token each)")
    return 0


# ============================================================================ sigterm
def cmd_sigterm(a: argparse.Namespace) -> int:
    state = load_state()
    raise_nofile()
    admin, url = admin_url(a), db_url(a)
    if a.sessions > state["sessions"]:
        sys.exit(f"prepare made {state['sessions']} sessions; prepare again with --sessions {a.sessions}")
    srv = Server("ours", a.workers, "sigterm", url).start()
    gen: subprocess.Popen[bytes] | None = None
    out_path = WORK / "load_sigterm.log"
    try:
        verify(srv.port, 3)
        reset_sessions(url)
        a.dur = a.after + 60
        cmd, env = _session_load(a, srv.port, WORK / "pairs_mix.txt")
        log(f"sigterm: {a.sessions} sessions (think {a.think_ms} ms, client {a.client}) against workers "
            f"{a.workers}; SIGTERM to the server (pid {srv.pid}) after {a.after} s")
        log(f"load: {' '.join(f'{k}={v}' for k, v in env.items())} {' '.join(cmd)}")
        with open(out_path, "wb") as out:
            gen = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
            time.sleep(a.after)
            before = pg_states(admin, DB)
            assert srv.proc is not None
            t0 = time.perf_counter()
            srv.proc.send_signal(signal.SIGTERM)
            try:
                code: int | None = srv.proc.wait(a.grace)
            except subprocess.TimeoutExpired:
                code = None
            took = time.perf_counter() - t0
            time.sleep(1)
            after = pg_states(admin, DB)
            after_kill: dict[str, int] | None = None
            if code is None:
                log(f"the server had not exited {a.grace:.0f} s after SIGTERM: SIGKILL to its process group")
                srv.kill()
                time.sleep(1)
                after_kill = pg_states(admin, DB)
            gen.send_signal(signal.SIGINT)  # wrk prints its summary on SIGINT
            try:
                gen.wait(30)
            except subprocess.TimeoutExpired:
                gen.kill()
    finally:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.kill()
        srv.log_file.close()
        if gen is not None and gen.poll() is None:
            gen.kill()
    load = parse_load("sigterm", out_path.read_text(errors="replace"))
    log(f"PostgreSQL connections by state just before SIGTERM: {before}")
    log(f"exit: {'did not exit' if code is None else f'code {code}'} after {took:.2f} s"
        f"{' (killed by the signal it got: uvicorn re-raises it after a graceful shutdown)' if code == -15 else ''}")
    log(f"PostgreSQL connections of {DB} 1 s after {'exit' if code is not None else 'the wait'}: "
        f"{after or 'none'}; idle in transaction: {after.get('idle in transaction', 0)}")
    if after_kill is not None:
        log(f"PostgreSQL connections of {DB} 1 s after the SIGKILL: {after_kill or 'none'}")
    log(f"load: requests {load.counts.get('requests', 0)}, status {load.status}, errors "
        f"{ {k: v for k, v in load.counts.items() if k != 'requests'} } (after the exit the load generator "
        "keeps reconnecting to the closed port: those are its read/write/connect errors)")
    tail = srv.log_path.read_text(errors="replace").splitlines()[-8:]
    log("server log, last lines:\n  " + "\n  ".join(tail))
    return 0 if code is not None and after.get("idle in transaction", 0) == 0 else 1


# ============================================================================ tryton
def cmd_tryton(a: argparse.Namespace) -> int:
    run_all = PEER / "tryton" / "run_all.sh"
    log("Tryton, the peer (not run here: it takes long, and the machine is shared). Run it yourself:\n"
        f"    bash {run_all} 2000000    # or 200000; venv /tmp/tryv, database peer_tryton, scratch /tmp/peer_tryton\n"
        "  results: /tmp/peer_tryton/bench_<N>.json (one call at a time per operation, and 20 clients for 30 s)")
    found = sorted(Path("/tmp/peer_tryton").glob("bench_*.json"))
    if not found:
        log("no results file yet; the figures in ../shared/peer/README.md are from a 2,000,000-party run")
        return 0
    for p in found:
        j = json.loads(p.read_text())
        log(f"\n{p}: {j.get('n_parties', '?'):,} parties, {j.get('iterations')} iterations, started {j.get('started')}")
        log(f"{'operation':16s} {'p50 ms':>9s} {'p95 ms':>9s}  description")
        for name, s in (j.get("ops") or {}).items():
            log(f"{name:16s} {s['p50']:9.1f} {s['p95']:9.1f}  {s.get('desc', '')}")
        c = j.get("concurrency")
        if c:
            log(f"concurrency: {c.get('clients')} clients, {c.get('req_per_s')} req/s, p50 {c.get('p50', 0):.1f} ms, "
                f"p95 {c.get('p95', 0):.1f} ms, errors {c.get('errors')}")
    return 0


# ============================================================================ command line
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help="a PostgreSQL superuser URL (default: CRM_TEST_DATABASE_URL, "
                                          "else postgresql://postgres@127.0.0.1:5432/postgres)")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("prepare", help="CSV, database crm_http_bench, staff, sessions, wrk files; the floor")
    sp.add_argument("--n", type=int, default=2_000_000, help="customers (default 2,000,000)")
    sp.add_argument("--sessions", type=int, default=10_000, help="session tokens (default 10,000)")
    sp.add_argument("--tellers", type=int, default=16, help="tellers per sub-branch (default 16)")
    sp.add_argument("--managers", type=int, default=8, help="account managers per sub-branch (default 8)")
    sp.add_argument("--lines", type=int, default=10, help="wrk lines per token and kind (default 10)")
    sp.add_argument("--skip-floor", action="store_true", help="do not (re)build the floor")
    sp.set_defaults(fn=cmd_prepare)

    sp = sub.add_parser("check", help="start our server, check a sample of every kind of answer, print curl lines")
    sp.add_argument("--per-kind", type=int, default=20)
    sp.set_defaults(fn=cmd_check)

    sp = sub.add_parser("throughput", help="closed loop, N connections: ours (pairs.lua) and the floor (c_lookup.lua)")
    sp.add_argument("--conns", type=int, default=20)
    sp.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    sp.add_argument("--workers", type=int, nargs="+", default=[1], help="server worker processes, e.g. 1 2")
    sp.add_argument("--dur", type=int, default=30)
    sp.add_argument("--warmup", type=int, default=5)
    sp.add_argument("--rounds", type=int, default=1, help="repeat ours-then-floor this many times")
    sp.add_argument("--kind", default="exact", choices=[*KINDS, "mix", "create", "login"],
                    help="our pairs file (default exact: by resident ID, as the floor), or create (create.lua)")
    sp.add_argument("--tokens", type=int, default=0,
                    help="use only the first K session tokens (default: all). A session's last_seen_at is written "
                         "at most every 30 s: with all 10,000 most requests of a 30 s run write it, with one token "
                         "per connection almost none do")
    sp.add_argument("--skip-floor", action="store_true")
    sp.set_defaults(fn=cmd_throughput)

    sp = sub.add_parser("latency", help="one connection, each operation on its own; the floor's exact look-up")
    sp.add_argument("--iterations", type=int, default=300)
    sp.add_argument("--skip-floor", action="store_true")
    sp.set_defaults(fn=cmd_latency)

    def session_opts(sp: argparse.ArgumentParser, sessions: int, dur: int | None) -> None:
        sp.add_argument("--sessions", type=int, default=sessions)
        sp.add_argument("--think-ms", type=int, default=10_000)
        if dur is not None:
            sp.add_argument("--dur", type=int, default=dur)
        sp.add_argument("--workers", type=int, default=2)
        sp.add_argument("--timeout", default="10s", help="per-request timeout of the load generator (default 10s)")
        sp.add_argument("--client", choices=["wrk", "python"], default="wrk",
                        help="wrk (sessions_pairs.lua; the floor: floor/sessions.lua) or this script's asyncio "
                             "client (one token pinned to each connection, for both)")

    sp = sub.add_parser("sessions", help="N staff sessions at once with think time, the realistic mix; the floor")
    session_opts(sp, 10_000, 600)
    sp.add_argument("--sample-skip", type=int, default=15, help="seconds before sampling CPU and RSS (default 15)")
    sp.add_argument("--skip-floor", action="store_true")
    sp.set_defaults(fn=cmd_sessions)

    sp = sub.add_parser("sigterm", help="SIGTERM under load: time to exit, exit code, connections left")
    session_opts(sp, 2_000, None)
    sp.add_argument("--after", type=int, default=20, help="seconds of load before SIGTERM (default 20)")
    sp.add_argument("--grace", type=float, default=60, help="seconds to wait for the exit before SIGKILL")
    sp.set_defaults(fn=cmd_sigterm)

    sp = sub.add_parser("tryton", help="how to run the Tryton peer; its figures when its results file exists")
    sp.set_defaults(fn=cmd_tryton)

    sp = sub.add_parser("_session-client", help=argparse.SUPPRESS)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--pairs", required=True)
    sp.add_argument("--sessions", type=int, required=True)
    sp.add_argument("--think-ms", type=int, required=True)
    sp.add_argument("--dur", type=int, required=True)
    sp.add_argument("--timeout", default="10s")
    sp.set_defaults(fn=cmd_session_client)
    return p


def main() -> int:
    a = build_parser().parse_args()
    return int(a.fn(a) or 0)


if __name__ == "__main__":
    sys.exit(main())
