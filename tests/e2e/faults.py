"""What the fault tests (issue 15, "Nothing lost") share: a real `crm-server` process
group started and killed, the writes they send (customers, each with a marker of its
own and its own `Idempotency-Key`), and the checker that compares the ledger of what
was sent and answered with what the database holds."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from server.idempotency import STALE_RESERVATION
from tests.e2e.conftest import ADMIN_PASSWORD, crm_server, free_port
from tests.server.conftest import id_number

#: what marks the fault tests' writes (customer.occupation), and the fields each one sends
MARK = "ft-"
FIELDS = ("name", "gender", "birth_date", "id_number", "phone", "address", "occupation", "employer",
          "marital_status", "education", "income_band", "org_id")
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜敏静丽强磊军洋"
AREAS = ("110101", "310104", "440106", "330106", "510107")
MARITAL = ("single", "married", "divorced", "widowed")
EDUCATION = ("primary", "senior_secondary", "vocational", "bachelor", "master")
INCOME = ("below_50k", "50k_100k", "100k_300k", "300k_1m", "above_1m")


# ----------------------------------------------------------------------------- the database
@pytest.fixture
def pg_db() -> Iterator[tuple[str, str]]:
    """A fresh database on the shared server (admin URL, its URL), dropped afterwards.
    CRM_TEST_DATABASE_URL set but unreachable fails the test (tests/server/conftest.py)."""
    admin = os.environ.get("CRM_TEST_DATABASE_URL")
    if not admin:
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"CRM_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    name = f"crm_fault_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        u = make_url(admin).set(database=name, drivername="postgresql")
        yield admin, u.render_as_string(hide_password=False)
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_KEY_FILE=str(tmp_path / "keys.json"), CRM_MFA_ROLES="", CRM_ADMIN_PASSWORD=ADMIN_PASSWORD,
               CRM_DB_POOL_SIZE="8")
    return env


# ----------------------------------------------------------------------------- the writes
@dataclass
class Write:
    n: int
    cycle: int
    key: str
    body: dict[str, Any]
    #: new | sent | acked | failed | unknown (sent, never answered) | recovered (unknown, then re-sent)
    status: str = "new"
    id: int | None = None
    answer: str = ""
    #: when it was sent and when its answer (or the end of its connection) came
    began: float = 0.0
    ended: float = 0.0

    @property
    def marker(self) -> str:
        return str(self.body["occupation"])

    @property
    def raw(self) -> bytes:
        """The body as sent, byte for byte: a repeat under the same key must be the same
        request (the server hashes the bytes; another encoding is `idempotency.key_reused`)."""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


def make_write(n: int, cycle: int, org_id: int, tag: str) -> Write:
    """Write number `n`: a resident ID of its own (unique across all cycles: a birth date
    and a sequence per `n`), a marker of its own in `occupation`."""
    day = date(1950, 1, 1) + timedelta(days=n // 200)
    seq, gender = divmod(n % 200, 2)
    male = gender == 1
    idn = id_number(AREAS[n % len(AREAS)], day.strftime("%Y%m%d"), seq, male)
    body = {"name": SURNAMES[n % 10] + GIVEN[(n // 10) % 10], "gender": "male" if male else "female",
            "birth_date": day.isoformat(), "id_number": idn, "phone": f"139{n:08d}",
            "address": f"测试路{n}号", "occupation": f"{MARK}{tag}-{n}", "employer": f"fault test, round {cycle}",
            "marital_status": MARITAL[n % 4], "education": EDUCATION[n % 5], "income_band": INCOME[n % 5],
            "org_id": org_id}
    return Write(n, cycle, f"{tag}-{n}", body)


# ----------------------------------------------------------------------------- the checker
@dataclass
class Row:
    id: int
    values: dict[str, Any]
    search_keys: int
    history_fields: frozenset[str]


def read_state(conn: psycopg.Connection[Any], markers: list[str] | None = None) -> dict[str, list[Row]]:
    """Every customer carrying a marker (or those of `markers`), by marker, with its
    search keys counted and the fields its creation history names."""
    where = "c.occupation = ANY(%s)" if markers is not None else "c.occupation LIKE %s"
    arg: Any = markers if markers is not None else MARK + "%"
    cols = ", ".join(f"c.{f}" for f in FIELDS)
    rows = conn.execute(
        f"SELECT c.id, {cols}, c.manager_id, "
        "(SELECT count(*) FROM customer_search_key k WHERE k.customer_id = c.id), "
        "(SELECT array_agg(h.field) FROM change_history h WHERE h.resource = 'customer' "
        " AND h.resource_id = c.id::text AND h.action = 'create') "
        f"FROM customer c WHERE {where}", (arg,)).fetchall()
    out: dict[str, list[Row]] = {}
    for r in rows:
        values = dict(zip((*FIELDS, "manager_id"), r[1:len(FIELDS) + 2], strict=True))
        values["birth_date"] = values["birth_date"].isoformat() if values["birth_date"] else None
        out.setdefault(str(values["occupation"]), []).append(
            Row(r[0], values, int(r[-2]), frozenset(x for x in (r[-1] or ()) if x)))
    return out


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    #: present, but not as sent (another id than answered, a field changed, no search keys or history)
    altered: list[str] = field(default_factory=list)
    #: answered with an error, yet present
    failed_present: list[str] = field(default_factory=list)
    #: not one of ours: a marker nobody wrote
    strangers: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lost or self.duplicated or self.altered or self.failed_present or self.strangers)


def _whole(w: Write, row: Row, manager_id: int) -> str | None:
    """Why `row` is not `w` written whole, or None."""
    if w.id is not None and row.id != w.id:
        return f"{w.marker}: id {row.id}, answered {w.id}"
    diffs = {f: (row.values[f], w.body[f]) for f in FIELDS if row.values[f] != w.body[f]}
    if row.values["manager_id"] != manager_id:
        diffs["manager_id"] = (row.values["manager_id"], manager_id)
    if diffs:
        return f"{w.marker}: stored differently {diffs}"
    if row.search_keys == 0:
        return f"{w.marker}: no search keys"
    if not set(FIELDS) <= row.history_fields:
        return f"{w.marker}: creation history lacks {sorted(set(FIELDS) - row.history_fields)}"
    return None


def check(writes: list[Write], state: dict[str, list[Row]], manager_id: int, *,
          every_marker: bool = True) -> Findings:
    """The ledger against the table. Acknowledged (and recovered) writes: present once,
    whole. Unacknowledged: whole or absent. Answered with an error: absent. With
    `every_marker`, `state` holds every marked row and none may be a stranger."""
    f = Findings()
    for w in writes:
        rows = state.get(w.marker, [])
        if len(rows) > 1:
            f.duplicated.append(f"{w.marker} x{len(rows)} (ids {[r.id for r in rows]})")
            continue
        if w.status in ("acked", "recovered"):
            if not rows:
                f.lost.append(f"{w.marker} (id {w.id})")
                continue
        elif w.status == "failed":
            if rows:
                f.failed_present.append(f"{w.marker} answered {w.answer}, stored as id {rows[0].id}")
            continue
        elif not rows:  # unknown (or never sent): absent is one of the two allowed outcomes
            continue
        why = _whole(w, rows[0], manager_id)
        if why:
            f.altered.append(why)
    if every_marker:
        ours = {w.marker for w in writes}
        f.strangers = sorted(m for m in state if m not in ours)
    return f


# ----------------------------------------------------------------------------- the server
@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    started_in: float


def spawn_server(env: dict[str, str], db_url: str, log: Path, workers: int = 2) -> Server:
    """`serve --workers N` in a session of its own (one process group: the supervisor and
    its workers); `ready` waits for it."""
    port = free_port()
    proc = subprocess.Popen([*crm_server(), "serve", "--database-url", db_url, "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=open(log, "ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    return Server(proc, f"http://127.0.0.1:{port}", time.monotonic())


def ready(server: Server, log: Path) -> Server:
    """Waits until the server answers /healthz (it reaches the database); `started_in`
    becomes the seconds from spawn to the first answer."""
    began = server.started_in
    while True:
        if server.proc.poll() is not None:
            raise AssertionError(f"crm-server exited {server.proc.returncode}: {log.read_text()[-3000:]}")
        try:
            if httpx.get(server.base + "/healthz", timeout=2).status_code == 200:
                server.started_in = time.monotonic() - began
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > began + 60:
            kill_group(server.proc)
            raise AssertionError(f"crm-server did not answer within 60 s: {log.read_text()[-3000:]}")
        time.sleep(0.1)


def start_server(env: dict[str, str], db_url: str, log: Path, workers: int = 2) -> Server:
    return ready(spawn_server(env, db_url, log, workers), log)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the supervisor and its workers (one process group), and wait for them."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the workers (children of the supervisor) too
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


# ----------------------------------------------------------------------------- the users
@dataclass
class Manager:
    """An account manager of a branch of their own, logged in (no password change due)."""

    org_id: int
    user_id: int
    token: str


def account_manager(base: str, username: str, password: str, org_code: str) -> Manager:
    """As the admin (`create-admin admin` with ADMIN_PASSWORD): a branch and an account
    manager in it (POST /users: granted directly, 201), then the manager's login."""
    admin = httpx.post(base + "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD},
                       timeout=30).json()["access_token"]
    h = {"Authorization": f"Bearer {admin}"}
    orgs = httpx.get(base + "/api/v1/orgs", headers=h, timeout=30).json()["items"]
    head_office = next(o["id"] for o in orgs if o["kind"] == "head_office")
    org = httpx.post(base + "/api/v1/orgs", headers=h, timeout=30,
                     json={"code": org_code, "name": "城南支行", "kind": "branch", "parent_id": head_office})
    assert org.status_code == 201, org.text
    am = httpx.post(base + "/api/v1/users", headers=h, timeout=30, json={
        "username": username, "password": password, "display_name": "客户经理甲", "role": "account_manager",
        "org_id": org.json()["id"], "position": "account_manager", "must_change_password": False})
    assert am.status_code == 201, am.text
    login = httpx.post(base + "/api/v1/auth/login", json={"username": username, "password": password},
                       timeout=30).json()
    assert login.get("access_token") and not login.get("password_change_required"), login
    return Manager(org.json()["id"], am.json()["id"], login["access_token"])


# ----------------------------------------------------------------------------- re-sending
@dataclass
class Resent:
    replayed: int = 0
    created: int = 0
    #: 409 `idempotency.in_progress`: a reservation the failure left behind
    in_progress: int = 0
    #: created once those reservations were stale
    after_stale: int = 0
    problems: list[str] = field(default_factory=list)


async def _resend(base: str, token: str, writes: list[Write], present: set[str]) -> tuple[Resent, list[Write]]:
    out, again = Resent(), []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        sem = asyncio.Semaphore(16)

        async def one(w: Write) -> None:
            async with sem:
                r = await client.post("/api/v1/customers", content=w.raw, headers={
                    "Idempotency-Key": w.key, "Content-Type": "application/json"})
            replayed = r.headers.get("idempotent-replayed") == "true"
            if r.status_code == 201 and replayed and w.marker in present:
                out.replayed += 1
            elif r.status_code == 201 and not replayed and w.marker not in present:
                out.created += 1
            elif r.status_code == 409 and r.json().get("code") == "idempotency.in_progress" \
                    and w.marker not in present:
                out.in_progress += 1
                again.append(w)
                return
            else:
                out.problems.append(f"{w.marker} (present before: {w.marker in present}): {r.status_code} "
                                    f"replayed={replayed} {r.text[:300]}")
                return
            w.status, w.id = "recovered", int(r.json()["id"])

        await asyncio.gather(*(one(w) for w in writes))
    return out, again


def resend_unacknowledged(base: str, token: str, writes: list[Write], present: set[str],
                          conn: psycopg.Connection[Any], manager_id: int) -> Resent:
    """Each unacknowledged write once more with its SAME key (and the same bytes): the
    replayed first answer where it had committed (`present`: the markers found in the
    table), else a creation — never a second copy, never a 5xx. A write cut off after its
    key was reserved (in a transaction of its own, server/idempotency.py) and before it
    committed leaves the reservation: its repeat is 409 `idempotency.in_progress` until
    the reservation is stale (STALE_RESERVATION). Instead of waiting, those reservations
    are aged in the database (as waiting would), and the writes are sent once more."""
    resent, again = asyncio.run(_resend(base, token, writes, present))
    if again:
        keys = [w.key for w in again]
        left = int(conn.execute("SELECT count(*) FROM idempotency_record WHERE user_id = %s AND key = ANY(%s) "
                                "AND status_code IS NULL", (manager_id, keys)).fetchone()[0])  # type: ignore[index]
        if left != len(again):
            resent.problems.append(f"409 in progress for {len(again)} writes, but {left} reservations left")
        conn.execute("UPDATE idempotency_record SET created_at = created_at - %s "
                     "WHERE user_id = %s AND key = ANY(%s) AND status_code IS NULL",
                     (STALE_RESERVATION + timedelta(seconds=5), manager_id, keys))
        second, still = asyncio.run(_resend(base, token, again, set()))
        resent.problems += second.problems + [f"{w.marker}: still 409 in progress once stale" for w in still]
        resent.after_stale = second.created
    return resent


def sealer_seals_a_new_entry(conn: psycopg.Connection[Any], base: str, username: str, password: str,
                             bound: float = 30.0) -> tuple[int, int]:
    """The audit sealer (a thread of each server process) at work after the fault: an
    entry written now (a login), with nothing else running, is in the chain within
    `bound`. Returns (entries, sealed) of the whole log then: an entry the sealer passed
    over earlier stays unsealed, and the difference says how many did."""
    r = httpx.post(base + "/api/v1/auth/login", json={"username": username, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    latest = int(conn.execute("SELECT max(id) FROM audit_log").fetchone()[0])  # type: ignore[index]
    deadline = time.monotonic() + bound
    while not conn.execute("SELECT 1 FROM audit_chain WHERE audit_id = %s", (latest,)).fetchone():
        assert time.monotonic() < deadline, f"audit entry {latest}, written after the fault, not sealed in {bound} s"
        time.sleep(0.2)
    row = conn.execute("SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM audit_chain)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
