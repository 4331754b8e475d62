"""PostgreSQL stopped abruptly under load (issue 15, "Nothing lost"), on a cluster of the
test's own (`initdb` + `pg_ctl` in a temporary directory, a free port; never the shared
server on 5432: TRAPS.md).

A real `crm-server serve --workers 2` serves readers, writers and logins in threads;
`pg_ctl stop -m immediate` takes the database away for `OUTAGE_SECONDS`:

* while it is down, every request that needs the database (they all do, /healthz too) is
  answered 503 `application/problem+json`, code `server.unavailable`, with
  `Retry-After` — never a 500, never a reset connection, never a hang beyond
  `ANSWER_BOUND` (the request pools wait up to 30 s for a connection);
* once it is back, the same processes (no worker restarted) answer logins, reads and
  writes with 2xx again within `RECOVERY_BOUND`, by themselves;
* no acknowledged write is lost; an unanswered one (503 while it committed, say) is
  whole or absent, and re-sent with its SAME key it is replayed or created once;
* the audit sealer (a background thread) seals again: the chain catches up with the log.

Controls: the outage is real (a connection to the stopped cluster is refused, and
requests made during it were not 200), the recovery probe does time out against the
stopped cluster, and the judge of the answers rejects lists with a 500, a reset, a slow
answer, a 200 during the outage, a 503 without Retry-After or not problem+json
(`test_the_judge_rejects_what_it_must`).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.conftest import free_port, run
from tests.e2e.faults import (
    Manager,
    Server,
    Write,
    account_manager,
    check,
    kill_group,
    make_write,
    read_state,
    resend_unacknowledged,
    sealer_seals_a_new_entry,
    server_env,
    start_server,
)

#: how long the database stays down, with the load running
OUTAGE_SECONDS = 12.0
#: every request is answered within this, outage or not (the pools wait 30 s for a connection)
ANSWER_BOUND = 35.0
#: once the database is back: logins, reads and writes all 2xx again within this
RECOVERY_BOUND = 30.0
#: load before the outage and after the recovery, in seconds
CALM_SECONDS = 3.0
READERS, WRITERS, LOGINS = 6, 3, 1
#: a client's pause after a 503 (the server says Retry-After: 5; shorter here, to keep sampling the outage)
BACK_OFF = 0.5
WORKERS = 2
AM_USERNAME = "am_outage"
AM_PASSWORD = "Outage-Manager-Pass-2026"
PG_VERSIONS = Path("/usr/lib/postgresql")


# ----------------------------------------------------------------------------- the cluster
@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    #: the command prefix that runs PostgreSQL's programs (initdb refuses to run as root)
    as_owner: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([*self.as_owner, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
                           capture_output=True, text=True, timeout=120)
        if check:
            assert r.returncode == 0, f"pg_ctl {args}: {r.stdout}{r.stderr}\n{self._log_tail()}"
        return r

    def start(self) -> None:
        self.ctl("-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=100",
                 "-l", str(self.log), "-w", "-t", "60", "start")

    def stop_immediately(self) -> None:
        """No shutdown checkpoint, every backend killed: a crash, recovered from the WAL at the next start."""
        self.ctl("-m", "immediate", "-w", "stop")

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-2000:]
        except OSError:
            return ""


def _postgres_bin() -> Path | None:
    found = sorted((p for p in PG_VERSIONS.glob("*/bin") if (p / "initdb").exists()),
                   key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test's own: initdb in a temporary directory (trust
    authentication, on 127.0.0.1 and a socket in that directory only), started on a free
    port; stopped and removed afterwards, whatever happened. Run by CRM_TEST_DATABASE_URL
    like every PostgreSQL test; with it set, PostgreSQL's programs must be here."""
    if not os.environ.get("CRM_TEST_DATABASE_URL"):
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    pg_bin = _postgres_bin()
    if pg_bin is None:
        pytest.fail(f"PostgreSQL tests are on (CRM_TEST_DATABASE_URL) but there is no initdb under {PG_VERSIONS}",
                    pytrace=False)
    # short (a socket path has ~100 bytes) and reachable by the cluster's owner
    root = Path(tempfile.mkdtemp(prefix="crm-pg-", dir="/tmp"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse root: the packaged `postgres` account runs them
        shutil.chown(root, "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    c = Cluster(pg_bin, root, free_port(), as_owner)
    try:
        r = subprocess.run([*as_owner, str(pg_bin / "initdb"), "-D", str(c.data), "-U", "postgres", "-A", "trust",
                            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        c.start()
        yield c
    finally:
        if c.data.exists() and (c.data / "postmaster.pid").exists():
            if c.ctl("-m", "immediate", "-w", "stop", check=False).returncode != 0:
                _kill_postmaster(c.data)
        shutil.rmtree(root, ignore_errors=True)


def _kill_postmaster(data: Path) -> None:
    """Our own postmaster, by the PID in its pid file, if pg_ctl could not stop it."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass


# ----------------------------------------------------------------------------- answers and their judge
@dataclass
class Answer:
    kind: str  # read | write | login | probe
    what: str  # method and path
    began: float
    ended: float
    status: int = 0  # 0: no HTTP answer at all (reset, timeout)
    content_type: str = ""
    code: str = ""
    retry_after: str = ""
    error: str = ""
    #: no answer within the client's own timeout (the probe's short one)
    timed_out: bool = False

    @property
    def took(self) -> float:
        return self.ended - self.began


def answered(kind: str, what: str, began: float, r: httpx.Response | None,
             error: BaseException | None = None) -> Answer:
    a = Answer(kind, what, began, time.monotonic(), error=repr(error) if error else "",
               timed_out=isinstance(error, httpx.TimeoutException))
    if r is not None:
        a.status, a.content_type = r.status_code, r.headers.get("content-type", "")
        a.retry_after = r.headers.get("retry-after", "")
        if a.content_type.startswith("application/problem+json"):
            try:
                a.code = str(r.json().get("code", ""))
            except ValueError:
                a.code = "<not json>"
    return a


@dataclass
class Timeline:
    stopping: float  # `pg_ctl stop -m immediate` was called
    down: float  # it had returned: nothing listens any more
    up: float  # `pg_ctl start` was called
    recovered: float  # the recovery probe's first all-2xx round began


def judge(answers: list[Answer], t: Timeline) -> list[str]:
    """What is wrong with the answers (empty: nothing). Every request answered (no reset)
    within ANSWER_BOUND; no 5xx but 503, every 503 `server.unavailable` problem+json with
    Retry-After, every error problem+json; 2xx before the outage and after the recovery;
    503 for every request made and answered while the database was down."""
    wrong = []
    for a in answers:
        say = f"{a.kind} {a.what} at {a.began - t.down:+.1f} s (took {a.took:.1f} s)"
        if a.status == 0:
            wrong.append(f"{say}: no answer ({a.error})")
            continue
        if a.took > ANSWER_BOUND:
            wrong.append(f"{say}: answered after {a.took:.1f} s, beyond {ANSWER_BOUND} s")
        if a.status >= 500 and a.status != 503:
            wrong.append(f"{say}: {a.status} {a.code}")
        if a.status >= 400 and not a.content_type.startswith("application/problem+json"):
            wrong.append(f"{say}: {a.status} as {a.content_type!r}, not problem+json")
        if a.status == 503 and (a.code != "server.unavailable" or not a.retry_after.isdigit()):
            wrong.append(f"{say}: 503 {a.code!r} Retry-After {a.retry_after!r}")
        ok = 200 <= a.status < 300
        if a.ended < t.stopping and not ok and a.kind != "probe":
            wrong.append(f"{say}: {a.status} {a.code} before the outage")
        if t.down <= a.began and a.ended <= t.up and a.status != 503:
            wrong.append(f"{say}: {a.status} {a.code} while the database was down")
        if a.began >= t.recovered and not ok:
            wrong.append(f"{say}: {a.status} {a.code} after the recovery")
    return wrong


# ----------------------------------------------------------------------------- load
@dataclass
class Load:
    base: str
    manager: Manager
    customer_ids: list[int]
    writes: Iterator[Write]
    answers: list[Answer] = field(default_factory=list)
    ledger: list[Write] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, a: Answer) -> None:
        with self.lock:
            self.answers.append(a)

    def next_write(self) -> Write:
        with self.lock:
            w = next(self.writes)
            self.ledger.append(w)
            return w

    def client(self) -> httpx.Client:
        # a timeout above ANSWER_BOUND: the judge sees how long an answer really took
        return httpx.Client(base_url=self.base, timeout=ANSWER_BOUND + 25,
                            headers={"Authorization": f"Bearer {self.manager.token}"})

    def reader(self, i: int) -> None:
        paths = ["/api/v1/customers/{id}", "/api/v1/customers?q=王", "/api/v1/auth/me", "/api/v1/orgs", "/healthz"]
        with self.client() as c:
            n = i
            while not self.stop.is_set():
                path = paths[n % len(paths)].replace("{id}", str(self.customer_ids[n % len(self.customer_ids)]))
                n += 1
                a = self.call(c, "read", "GET", path)
                self.record(a)
                time.sleep(BACK_OFF if a.status == 503 else 0.02)

    def writer(self, _i: int) -> None:
        with self.client() as c:
            while not self.stop.is_set():
                w = self.next_write()
                w.status = "sent"
                a = self.call(c, "write", "POST", "/api/v1/customers", w)
                self.record(a)
                time.sleep(BACK_OFF if a.status == 503 else 0.02)

    def login(self, _i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=ANSWER_BOUND + 25) as c:
            while not self.stop.is_set():
                began = time.monotonic()
                try:
                    r = c.post("/api/v1/auth/login", json={"username": AM_USERNAME, "password": AM_PASSWORD})
                    self.record(answered("login", "POST /api/v1/auth/login", began, r))
                except httpx.HTTPError as exc:
                    self.record(answered("login", "POST /api/v1/auth/login", began, None, exc))
                time.sleep(0.3)

    @staticmethod
    def call(c: httpx.Client, kind: str, method: str, path: str, w: Write | None = None) -> Answer:
        began = time.monotonic()
        try:
            if w is None:
                r = c.request(method, path)
            else:
                w.began = began
                r = c.request(method, path, content=w.raw, headers={"Idempotency-Key": w.key,
                                                                    "Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            if w is not None:
                w.status, w.answer, w.ended = "unknown", repr(exc), time.monotonic()
            return answered(kind, f"{method} {path}", began, None, exc)
        if w is not None:
            w.ended = time.monotonic()
            if r.status_code == 201:
                w.status, w.id = "acked", int(r.json()["id"])
            elif r.status_code == 503:  # the commit may have happened, its answer not: whole or absent
                w.status, w.answer = "unknown", "503"
            else:
                w.status, w.answer = "failed", f"{r.status_code} {r.text[:200]}"
        return answered(kind, f"{method} {path.split('?')[0]}", began, r)

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=fn, args=(i,), daemon=True)
                   for fn, n in ((self.reader, READERS), (self.writer, WRITERS), (self.login, LOGINS))
                   for i in range(n)]
        for t in threads:
            t.start()
        return threads


def probe(load: Load, bound: float) -> float | None:
    """Seconds until one round of a login, a read (a hot read and a search) and a write
    is all 2xx, or None when `bound` passes first. The probe's writes are in the ledger."""
    began = time.monotonic()
    deadline = began + bound
    with httpx.Client(base_url=load.base, headers={"Authorization": f"Bearer {load.manager.token}"}) as c:
        while True:
            round_began = time.monotonic()
            left = deadline - round_began
            if left <= 0:
                return None
            c.timeout = httpx.Timeout(max(0.5, left))
            w = load.next_write()
            w.status = "sent"
            answers = [Load.call(c, "probe", "GET", f"/api/v1/customers/{load.customer_ids[0]}"),
                       Load.call(c, "probe", "GET", "/api/v1/customers?q=王"),
                       Load.call(c, "probe", "POST", "/api/v1/customers", w)]
            try:
                r = c.post("/api/v1/auth/login", json={"username": AM_USERNAME, "password": AM_PASSWORD})
                answers.append(answered("probe", "POST /api/v1/auth/login", round_began, r))
            except httpx.HTTPError as exc:
                answers.append(answered("probe", "POST /api/v1/auth/login", round_began, None, exc))
            for a in answers:  # judged like the others, unless cut short by the probe's own timeout
                if not a.timed_out:
                    load.record(a)
            if all(200 <= a.status < 300 for a in answers):
                return round_began - began
            time.sleep(0.2)


def worker_pids(supervisor: int) -> set[int]:
    """The supervisor's children (the uvicorn workers)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == supervisor:
            out.add(int(stat.parent.name))
    return out


# ----------------------------------------------------------------------------- the test
@pytest.mark.postgres
@pytest.mark.e2e
def test_database_outage_is_503_and_the_server_recovers_by_itself(cluster, tmp_path):  # type: ignore[no-untyped-def]
    began = time.monotonic()
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "crm"')
    env = server_env(tmp_path)
    db_url = cluster.url("crm")
    for args in (["init", "--database-url", db_url], ["create-admin", "admin", "--database-url", db_url]):
        r = run(args, env)
        assert r.returncode == 0, r.stdout + r.stderr
    log = tmp_path / "server.log"
    server: Server = start_server(env, db_url, log, WORKERS)
    try:
        _outage(cluster, server, env, db_url, log, began)
    finally:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
        kill_group(server.proc)


def _outage(cluster: Cluster, server: Server, env: dict[str, str], db_url: str, log: Path, began: float) -> None:
    am = account_manager(server.base, AM_USERNAME, AM_PASSWORD, "OUT")
    tag = uuid.uuid4().hex[:6]

    def source() -> Iterator[Write]:
        n = 0
        while True:
            yield make_write(n, 1, am.org_id, tag)
            n += 1

    writes = source()
    seeded = []
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {am.token}"}, timeout=30) as c:
        for _ in range(5):
            w = next(writes)
            r = c.post("/api/v1/customers", content=w.raw, headers={"Content-Type": "application/json"})
            assert r.status_code == 201, r.text
            w.status, w.id = "acked", r.json()["id"]
            seeded.append(w)
    load = Load(server.base, am, [w.id for w in seeded if w.id], writes, ledger=list(seeded))
    workers = worker_pids(server.proc.pid)
    assert len(workers) >= WORKERS, workers  # the workers (and multiprocessing's resource tracker)
    threads = load.run()
    time.sleep(CALM_SECONDS)
    calm = [a for a in load.answers if a.status]
    assert len(calm) >= 20 and all(200 <= a.status < 300 for a in calm), Counter(a.status for a in calm)

    stopping = time.monotonic()
    cluster.stop_immediately()
    down = time.monotonic()
    # control: the outage is real
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(cluster.url(), connect_timeout=3).close()
    # control: the recovery probe does not pass against a stopped database
    assert probe(load, 3.0) is None, "the recovery probe passed while the database was down"
    time.sleep(max(0.0, down + OUTAGE_SECONDS - time.monotonic()))
    up = time.monotonic()
    cluster.start()
    started = time.monotonic()
    recovery = probe(load, RECOVERY_BOUND)
    assert recovery is not None, f"not recovered {RECOVERY_BOUND} s after the database came back: " \
        f"{Counter((a.kind, a.status, a.code) for a in load.answers if a.began > up)}; {log.read_text()[-3000:]}"
    recovered = started + recovery
    time.sleep(CALM_SECONDS)
    load.stop.set()
    for t in threads:
        t.join(ANSWER_BOUND + 30)
    assert not any(t.is_alive() for t in threads), "a load thread never got its answer"

    timeline = Timeline(stopping, down, up, recovered)
    during = [a for a in load.answers if down <= a.began and a.ended <= up]
    wrong = judge(load.answers, timeline)
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:8]}"
    # control: requests made during the outage were really refused
    assert len(during) >= 20 and not any(a.status == 200 for a in during), Counter(a.status for a in during)
    # the same processes, none restarted
    assert server.proc.poll() is None
    assert worker_pids(server.proc.pid) == workers, "a worker was restarted"

    # a write refused while the database was down cannot have been done: absent, not merely "whole or absent"
    for w in load.ledger:
        if w.status == "unknown" and w.answer == "503" and down <= w.began and w.ended <= up:
            w.status = "failed"
    # nothing acknowledged lost; the unanswered whole or absent, then replayed or created once
    with psycopg.connect(db_url, autocommit=True) as conn:
        state = read_state(conn)
        findings = check(load.ledger, state, am.user_id)
        assert not findings, findings
        unknown = [w for w in load.ledger if w.status == "unknown"]
        present = {w.marker for w in unknown if w.marker in state}
        resent = resend_unacknowledged(server.base, am.token, unknown, present, conn, am.user_id)
        assert not resent.problems, resent.problems[:5]
        state = read_state(conn)
        findings = check(load.ledger, state, am.user_id)
        assert not findings, findings
        # the audit sealer (a thread of each worker) seals again by itself
        entries, sealed = sealer_seals_a_new_entry(conn, server.base, AM_USERNAME, AM_PASSWORD)
    failed = [w for w in load.ledger if w.status == "failed" and w.answer != "503"]
    assert not failed, [w.answer for w in failed[:5]]
    r = run(["audit", "verify", "--database-url", db_url], env)
    assert r.returncode == 0, r.stdout + r.stderr

    statuses = Counter((a.kind, a.status) for a in during)
    acked = sum(w.status == "acked" for w in load.ledger)
    longest = max((a.took for a in during), default=0.0)
    in_outage = [a for a in load.answers if a.began < up and a.ended > stopping]
    print(f"\noutage: database down {up - down:.1f} s (stop -m immediate took {down - stopping:.2f} s); "
          f"{len(during)} requests made and answered while down: {dict(statuses)}; "
          f"longest answer touching the outage {max((a.took for a in in_outage), default=0.0):.1f} s "
          f"(made and answered while down: {longest:.1f} s); recovered {recovery:.1f} s after `pg_ctl start` "
          f"returned ({started - up:.1f} s to start); acknowledged writes {acked}, unanswered {len(unknown)} "
          f"({len(present)} committed: replayed {resent.replayed}; created on re-send "
          f"{resent.created}; 409 in progress {resent.in_progress} -> created once stale {resent.after_stale}); "
          f"{len(load.answers)} answers judged; audit entries {entries}, sealed {sealed} (left behind by the "
          f"sealer: {entries - sealed}); {time.monotonic() - began:.0f} s", flush=True)


# ----------------------------------------------------------------------------- the control of the judge
def test_the_judge_rejects_what_it_must() -> None:
    """`judge` passes a good list and flags each kind of bad answer (no database needed)."""
    t = Timeline(stopping=99.8, down=100.0, up=112.0, recovered=115.0)
    problem = "application/problem+json"

    def a(began: float, status: int, took: float = 0.1, **kw: Any) -> Answer:
        if status == 503:
            kw.setdefault("code", "server.unavailable")
            kw.setdefault("retry_after", "5")
        if status >= 400:
            kw.setdefault("content_type", problem)
        return Answer("read", "GET /x", began, began + took, status, **kw)

    good = [a(90, 200), a(99.7, 503, 0.2), a(99.9, 503, 0.5), a(99.95, 200, 0.02), a(101, 503), a(105, 503, 30.0),
            a(111.9, 503, 1), a(113, 503), a(113, 200), a(116, 201)]
    assert judge(good, t) == []
    bad = {
        "a 500": a(101, 500, code="server.internal_error"),
        "a reset": Answer("write", "POST /x", 101, 101.2, 0, error="RemoteProtocolError"),
        "a hang": a(101, 503, 40.0),
        "a 200 while down": a(101, 200),
        "a 503 without Retry-After": a(101, 503, retry_after=""),
        "a 503 of another code": a(101, 503, code="server.internal_error"),
        "a 503 not as problem+json": a(101, 503, content_type="text/html"),
        "a 503 before the outage": a(90, 503),
        "a 503 after the recovery": a(116, 503),
    }
    for name, answer in bad.items():
        assert judge([*good, answer], t), f"{name} passed the judge"
