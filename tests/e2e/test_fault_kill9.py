"""`kill -9` under load (issue 15, "Nothing lost"), on PostgreSQL.

A real `crm-server serve --workers 2` (the supervisor and its workers, one process
group) takes customer creates from `IN_FLIGHT` concurrent clients, each write with its
own `Idempotency-Key`; once `ACKED_PER_CYCLE` writes of the cycle have been answered
2xx, the whole group gets SIGKILL with writes in flight. A new server is started on the
same database and the ledger is checked against the table, `CYCLES` times:

* every acknowledged write is there exactly once, its id the one answered, every field
  as sent, its search keys and its history with it;
* no write (marker) is there twice;
* each unacknowledged write is whole (all of the above, and the API finds it by its exact
  resident ID) or absent — never a part of it;
* re-sending each unacknowledged write with its SAME key gives the first answer
  (`idempotent-replayed`) if it had committed, else creates it once; never a second
  copy, never a 5xx. A write killed after its key was reserved and before it committed
  leaves the reservation behind: the repeat is 409 `idempotency.in_progress` until the
  reservation is stale (`server.idempotency.STALE_RESERVATION`, 2 minutes). The test
  ages those reservations in the database instead of waiting, then re-sends once more.

The control (`test_the_checker_sees_a_lost_or_duplicated_write`) runs the same checker
against a database where an acknowledged write was deleted, duplicated, altered, or
left half-written (in a transaction rolled back afterwards), and requires it to say so.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import run
from tests.e2e.faults import (
    MARK,
    Server,
    Write,
    account_manager,
    check,
    kill_group,
    make_write,
    pg_db,
    read_state,
    ready,
    resend_unacknowledged,
    sealer_seals_a_new_entry,
    server_env,
    spawn_server,
    start_server,
)

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

#: kill -9 cycles, and writes acknowledged in each before the kill (issue 15)
#: The issue's figures are 20 cycles of at least 2,000 acknowledged writes each: about 10
#: minutes on a 2-CPU machine (60-90 creates a second), more than CI's 30-minute budget
#: allows beside the rest of the suite. The suite (and CI) runs the 20 kills with 200
#: writes each; the full run is
#: `CRM_FAULT_ACKED_PER_CYCLE=2000 pytest tests/e2e/test_fault_kill9.py -s`, its figures
#: in docs/SECURITY.md.
CYCLES = int(os.environ.get("CRM_FAULT_CYCLES", "20"))
ACKED_PER_CYCLE = int(os.environ.get("CRM_FAULT_ACKED_PER_CYCLE", "200"))
#: concurrent clients, each with one write in flight at a time
IN_FLIGHT = 64
#: `serve --workers`: the supervisor and two workers are killed together
WORKERS = 2
#: every request is answered (or its connection broken) within this, or the test fails
REQUEST_TIMEOUT = 30.0
AM_USERNAME = "am_kill9"
AM_PASSWORD = "Kill9-Manager-Pass-2026"
#: the test's own connection to the database (not one the killed server left)
CHECKER = "kill9-checker"


def wait_no_backends(admin_url: str, db: str, bound: float = 20.0) -> float:
    """How long until the killed server's PostgreSQL backends are gone (they see EOF and
    roll back); fails beyond `bound`."""
    began = time.monotonic()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        while True:
            n = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                             "AND application_name <> %s", (db, CHECKER)).fetchone()[0]  # type: ignore[index]
            if n == 0:
                return time.monotonic() - began
            assert time.monotonic() - began < bound, f"{n} backends of the killed server left after {bound} s"
            time.sleep(0.05)


# ----------------------------------------------------------------------------- load
@dataclass
class CycleLoad:
    acked: int = 0
    in_flight_at_kill: int = 0
    acked_after_kill: int = 0
    errors_before_kill: list[str] = field(default_factory=list)
    killed_at: float | None = None
    seconds: float = 0.0


class NoAnswer(Exception):
    """The connection ended (or timed out) before a whole answer arrived."""


class Connection:
    """One keep-alive HTTP/1.1 connection, by hand: the load generator shares the two
    CPUs with the server and PostgreSQL, and httpx spent ~4 ms of CPU per request here
    (this: well under 1 ms). An answer counts only once its whole body has arrived."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\n").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, key: str) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._post(path, body, key), REQUEST_TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise NoAnswer(repr(exc)) from None

    async def _post(self, path: str, body: bytes, key: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\n" + self.head
                          + f"Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readuntil(b"\r\n")).split(b" ", 2)[1])
        length, close, chunked = 0, False, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value == b"close":
                close = True
            elif name == b"transfer-encoding" and b"chunked" in value:
                chunked = True
        if chunked:  # a replayed answer (server/idempotency.py sends no length)
            data = b""
            while n := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                data += (await self.reader.readexactly(n + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            data = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load_until_kill(server: Server, token: str, writes: Iterator[Write], ledger: list[Write],
                          target: int) -> CycleLoad:
    """Writes from IN_FLIGHT clients until `target` are acknowledged, then SIGKILL to the
    server's process group at once (in the same step of the event loop that counted the
    last acknowledgement, so the writes in flight are exactly those sent and unanswered)."""
    out = CycleLoad()
    began = time.monotonic()
    url = httpx.URL(server.base)
    sent: set[int] = set()

    async def client_loop() -> None:
        conn = Connection(url.host, int(url.port or 80), token)
        try:
            while out.killed_at is None:
                w = next(writes)
                ledger.append(w)
                w.status = "sent"
                sent.add(w.n)
                try:
                    status, data = await conn.post("/api/v1/customers", w.raw, w.key)
                except NoAnswer as exc:
                    w.status, w.answer = "unknown", str(exc)
                    if out.killed_at is None:
                        out.errors_before_kill.append(f"{w.marker}: {exc}")
                    return
                finally:
                    sent.discard(w.n)
                if status == 201:
                    w.status, w.id = "acked", int(json.loads(data)["id"])
                    if out.killed_at is not None:
                        out.acked_after_kill += 1
                        continue
                    out.acked += 1
                    if out.acked >= target:
                        out.in_flight_at_kill = len(sent)
                        out.killed_at = time.monotonic()
                        os.killpg(server.proc.pid, signal.SIGKILL)
                else:
                    w.status, w.answer = "failed", f"{status} {data[:200]!r}"
                    if out.killed_at is None:
                        out.errors_before_kill.append(f"{w.marker}: {w.answer}")
        finally:
            conn.close()

    await asyncio.gather(*(client_loop() for _ in range(IN_FLIGHT)))
    out.seconds = (out.killed_at or time.monotonic()) - began
    return out


# ----------------------------------------------------------------------------- setup
@dataclass
class Setup:
    env: dict[str, str]
    db_url: str
    admin_url: str
    db_name: str
    org_id: int
    manager_id: int
    token: str


def set_up(pg_db: tuple[str, str], tmp_path: Path) -> tuple[Setup, Server]:
    admin_url, db_url = pg_db
    env = server_env(tmp_path)
    for args in (["init", "--database-url", db_url], ["create-admin", "admin", "--database-url", db_url]):
        r = run(args, env)
        assert r.returncode == 0, r.stdout + r.stderr
    server = start_server(env, db_url, tmp_path / "server.log", WORKERS)
    am = account_manager(server.base, AM_USERNAME, AM_PASSWORD, "K9")
    setup = Setup(env, db_url, admin_url, str(make_url(db_url).database), am.org_id, am.user_id, am.token)
    return setup, server


def write_source(setup: Setup, tag: str, start: int, cycle: list[int]) -> Iterator[Write]:
    n = start
    while True:
        yield make_write(n, cycle[0], setup.org_id, tag)
        n += 1


def search_finds(base: str, token: str, writes: list[Write], ids: dict[str, int]) -> list[str]:
    """The API finds each present write by its exact resident ID (its search keys work)."""
    wrong = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT) as c:
        for w in writes:
            r = c.get("/api/v1/customers", params={"q": w.body["id_number"]})
            found = [i["id"] for i in r.json().get("items", [])] if r.status_code == 200 else r.status_code
            if found != [ids[w.marker]]:
                wrong.append(f"{w.marker}: search by id_number gave {found}, stored as {ids[w.marker]}")
    return wrong


# ----------------------------------------------------------------------------- the test
def test_kill9_under_load_loses_and_duplicates_nothing(pg_db, tmp_path):  # type: ignore[no-untyped-def]
    began = time.monotonic()
    setup, server = set_up(pg_db, tmp_path)
    log = tmp_path / "server.log"
    tag = uuid.uuid4().hex[:6]
    ledger: list[Write] = []
    cycle = [0]
    source = write_source(setup, tag, 0, cycle)
    totals: Counter[str] = Counter()
    conn = psycopg.connect(setup.db_url, autocommit=True, application_name=CHECKER)
    try:
        for c in range(1, CYCLES + 1):
            cycle[0] = c
            first = len(ledger)
            load = asyncio.run(load_until_kill(server, setup.token, source, ledger, ACKED_PER_CYCLE))
            kill_group(server.proc)
            mine = ledger[first:]
            assert not load.errors_before_kill, f"cycle {c}: errors before the kill: {load.errors_before_kill[:5]}"
            assert load.acked >= ACKED_PER_CYCLE and load.in_flight_at_kill > 0, load
            backends_gone = wait_no_backends(setup.admin_url, setup.db_name)
            server = spawn_server(setup.env, setup.db_url, log, WORKERS)  # it starts while the table is checked
            unknown = [w for w in mine if w.status == "unknown"]
            state = read_state(conn, [w.marker for w in mine])
            findings = check(mine, state, setup.manager_id, every_marker=False)
            assert not findings, f"cycle {c}: {findings}"
            server = ready(server, log)
            present = {w.marker for w in unknown if w.marker in state}
            wrong = search_finds(server.base, setup.token, [w for w in unknown if w.marker in present],
                                 {m: state[m][0].id for m in present})
            assert not wrong, f"cycle {c}: {wrong}"
            resent = resend_unacknowledged(server.base, setup.token, unknown, present, conn, setup.manager_id)
            assert not resent.problems, f"cycle {c}: {resent.problems[:5]}"
            state = read_state(conn, [w.marker for w in mine])
            findings = check(mine, state, setup.manager_id, every_marker=False)
            assert not findings, f"cycle {c}, after re-sending: {findings}"
            assert all(w.status in ("acked", "recovered") for w in mine)
            dup = sum(1 for rows in state.values() if len(rows) > 1)
            figures = dict(acked=load.acked + load.acked_after_kill, in_flight=load.in_flight_at_kill,
                           late_acks=load.acked_after_kill, unknown=len(unknown), committed_unacked=len(present),
                           replayed=resent.replayed, created_on_resend=resent.created,
                           in_progress_409=resent.in_progress, created_after_stale=resent.after_stale,
                           lost=len(findings.lost), duplicated=dup)
            totals.update(figures)
            line = (f"cycle {c:2d}: {figures['acked']} acknowledged in {load.seconds:.1f} s "
                    f"({load.acked / load.seconds:.0f}/s), {load.in_flight_at_kill} in flight at the kill "
                    f"({load.acked_after_kill} answered after it), {len(unknown)} unacknowledged: "
                    f"{len(present)} committed (replayed {resent.replayed}), {resent.created} created on re-send, "
                    f"{resent.in_progress} 409 in progress -> {resent.after_stale} created once stale; "
                    f"lost {figures['lost']}, duplicated {dup}; backends gone {backends_gone:.2f} s, "
                    f"restart {server.started_in:.1f} s")
            print(line, flush=True)
        # all cycles at once: every marked row is one of ours, once, whole
        state = read_state(conn)
        findings = check(ledger, state, setup.manager_id)
        assert not findings, findings
        assert sum(len(rows) for rows in state.values()) == len(ledger)
        entries, sealed = sealer_seals_a_new_entry(conn, server.base, AM_USERNAME, AM_PASSWORD)
        total = (f"TOTAL: {CYCLES} kill -9 cycles ({WORKERS} workers, {IN_FLIGHT} in flight), "
                 f"{totals['acked']} writes acknowledged, {totals['in_flight']} in flight at the kills, "
                 f"{totals['committed_unacked']} of them committed, {totals['unknown']} unacknowledged in all, "
                 f"lost {len(findings.lost)}, duplicated {len(findings.duplicated)}, "
                 f"{totals['in_progress_409']} re-sends answered 409 in progress (reservation left by the kill); "
                 f"{len(ledger)} rows checked; audit entries {entries}, sealed {sealed} (left behind by the sealer: "
                 f"{entries - sealed}); {time.monotonic() - began:.0f} s")
        print(total, flush=True)
    finally:
        conn.close()
        kill_group(server.proc)
    r = run(["audit", "verify", "--database-url", setup.db_url], setup.env)
    assert r.returncode == 0, r.stdout + r.stderr


# ----------------------------------------------------------------------------- the control
def test_the_checker_sees_a_lost_or_duplicated_write(pg_db, tmp_path):  # type: ignore[no-untyped-def]
    """The checker above, against a real database where an acknowledged write was taken
    away, copied, altered or left without its search keys — each in a transaction of the
    superuser rolled back afterwards — reports each; the untouched state passes."""
    setup, server = set_up(pg_db, tmp_path)
    tag = uuid.uuid4().hex[:6]
    ledger: list[Write] = []
    try:
        load = asyncio.run(load_until_kill(server, setup.token, write_source(setup, tag, 0, [1]), ledger, 40))
        kill_group(server.proc)
    finally:
        kill_group(server.proc)
    assert load.acked >= 40
    acked = [w for w in ledger if w.status == "acked"]
    victim, other = acked[0], acked[1]
    with psycopg.connect(setup.db_url) as conn:
        # the untouched state: nothing to report (unacknowledged writes may be either way)
        assert not check(ledger, read_state(conn), setup.manager_id)
        # lost: the acknowledged row deleted (its search keys go with it, ON DELETE CASCADE)
        conn.execute("DELETE FROM customer WHERE id = %s", (victim.id,))
        found = check(ledger, read_state(conn), setup.manager_id)
        assert found.lost == [f"{victim.marker} (id {victim.id})"], found
        conn.rollback()
        # duplicated: a second row with the same marker (another resident ID: that one is unique)
        conn.execute("INSERT INTO customer (customer_no, type, name, sort_code, sort_key, gender, birth_date, "
                     "phone, address, occupation, employer, marital_status, education, income_band, org_id, "
                     "manager_id, version, created_at, updated_at) "
                     "SELECT 'CDUP' || id, type, name, sort_code, sort_key, gender, birth_date, phone, address, "
                     "occupation, employer, marital_status, education, income_band, org_id, manager_id, version, "
                     "created_at, updated_at FROM customer WHERE id = %s", (victim.id,))
        found = check(ledger, read_state(conn), setup.manager_id)
        assert len(found.duplicated) == 1 and found.duplicated[0].startswith(victim.marker), found
        conn.rollback()
        # altered: a field not as sent; half-written: no search keys
        conn.execute("UPDATE customer SET phone = '13811112222' WHERE id = %s", (victim.id,))
        conn.execute("DELETE FROM customer_search_key WHERE customer_id = %s", (other.id,))
        found = check(ledger, read_state(conn), setup.manager_id)
        assert [a.split(":")[0] for a in found.altered] == sorted([victim.marker, other.marker],
                                                                   key=[w.marker for w in ledger].index), found
        assert "phone" in found.altered[0] and "no search keys" in found.altered[1]
        conn.rollback()
        # a row nobody wrote
        conn.execute("UPDATE customer SET occupation = %s WHERE id = %s", (MARK + "nobody", victim.id))
        found = check(ledger, read_state(conn), setup.manager_id)
        assert found.strangers == [MARK + "nobody"] and found.lost, found
        conn.rollback()
        # and after all that, the real state passes again
        assert not check(ledger, read_state(conn), setup.manager_id)


__all__ = ["pg_db"]  # the fixture, from tests/e2e/faults.py
