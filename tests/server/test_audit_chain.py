"""The audit trail cannot be quietly changed (issue 15; CONTRACT.md `audit verify`,
`audit head`): each entry carries a MAC under the key file, a sealer chains final
entries, and `crm-server audit verify` finds an edited, deleted, inserted or reordered
entry and prints the first break. Each tampering case first shows the intact chain
passing, so the test can see the difference.

Tampering is done as the database superuser / file owner, as an intruder would: the
application's own role may not UPDATE, DELETE or TRUNCATE the log or the chain."""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from server import cli
from server.db import make_engine, make_sessionmaker, prepare_app_role, use_app_role
from server.keys import create_key_file
from server.migrate import upgrade
from server.models import AuditChain, AuditLog
from server.services import audit, auditchain
from tests.server.conftest import pg_admin_url


@dataclass
class Fresh:
    name: str
    url: str
    admin: Engine  # the owner / superuser: the intruder's access
    factory: sessionmaker[Session]  # the application's sessions (the app role on PostgreSQL)
    key_file: Path


def _new_database(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'chain.sqlite3'}", None
    admin = pg_admin_url()
    if admin is None:
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    name = f"crm_chain_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(database=name).render_as_string(hide_password=False), name


def _drop(name: str | None) -> None:
    if name is not None:
        with psycopg.connect(pg_admin_url(), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fresh]:
    url, dropped = _new_database(request.param, tmp_path)
    key_file = tmp_path / "keys.json"
    create_key_file(key_file)
    admin = make_engine(url)
    upgrade(admin)
    prepare_app_role(admin, "crm_app")
    engine = make_engine(url)
    use_app_role(engine, "crm_app")
    try:
        yield Fresh(request.param, url, admin, make_sessionmaker(engine, key_file), key_file)
    finally:
        engine.dispose()
        admin.dispose()
        _drop(dropped)


def write(factory: sessionmaker[Session], n: int, action: str = "test.event") -> None:
    with factory() as db:
        for i in range(n):
            audit.record(db, action, actor_name=f"user{i}", object_type="customer", object_id=i, n=i,
                         note="换行\n和\r控制")
        db.commit()


def ids(f: Fresh) -> list[int]:
    with f.factory() as db:
        return list(db.scalars(select(AuditLog.id).order_by(AuditLog.id)))


def verify(f: Fresh, **kw: str) -> auditchain.Report:
    with f.factory() as db:
        return auditchain.verify(db, **kw)


def tamper(f: Fresh, *statements: str, **params: object) -> None:
    with f.admin.begin() as conn:
        for s in statements:
            conn.execute(text(s), params)


def run_cli(f: Fresh, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
            ) -> tuple[int, str]:
    monkeypatch.setenv("CRM_KEY_FILE", str(f.key_file))
    capsys.readouterr()
    code = cli.main(["audit", *args, "--database-url", f.url])
    return code, capsys.readouterr().out


@pytest.fixture
def sealed(fresh: Fresh) -> Fresh:
    """Ten entries, all sealed, the chain intact (the control every tampering case starts from)."""
    write(fresh.factory, 10)
    assert auditchain.seal_all(fresh.factory) == 10
    r = verify(fresh)
    assert r.intact, r.breaks
    assert (r.sealed, r.pending) == (10, 0)
    return fresh


def test_every_entry_is_written_with_a_valid_mac_and_sealed_once(fresh):
    write(fresh.factory, 25)
    with fresh.factory() as db:
        rows = list(db.scalars(select(AuditLog)))
        cipher = db.info["field_cipher"]
        assert rows and all(cipher.mac_matches(audit.content(r), r.mac) for r in rows)
    assert auditchain.seal_all(fresh.factory) == 25
    assert auditchain.seal_all(fresh.factory) == 0  # nothing is sealed twice
    with fresh.factory() as db:
        chain = list(db.scalars(select(AuditChain).order_by(AuditChain.seq)))
    assert [c.seq for c in chain] == list(range(1, 26))
    assert sorted(c.audit_id for c in chain) == sorted(r.id for r in rows)
    assert verify(fresh).intact


def test_cli_verify_and_head_on_an_intact_chain(sealed, monkeypatch, capsys):
    code, out = run_cli(sealed, monkeypatch, capsys, "head")
    assert code == 0
    head = out.strip()
    assert head.startswith("10:")
    code, out = run_cli(sealed, monkeypatch, capsys, "verify", "--expect-head", head)
    assert code == 0, out
    assert "intact" in out and "10 entries sealed" in out


def test_head_seals_what_is_pending_first(fresh, monkeypatch, capsys):
    write(fresh.factory, 3)
    code, out = run_cli(fresh, monkeypatch, capsys, "head")
    assert code == 0 and out.strip().startswith("3:")


def test_an_empty_trail_has_a_head_too(fresh, monkeypatch, capsys):
    code, out = run_cli(fresh, monkeypatch, capsys, "head")
    assert code == 0 and out.strip() == auditchain.EMPTY_HEAD
    code, out = run_cli(fresh, monkeypatch, capsys, "verify", "--expect-head", auditchain.EMPTY_HEAD)
    assert code == 0


def _nth(f: Fresh, n: int) -> int:
    return ids(f)[n]


def test_an_edited_entry_is_found(sealed, monkeypatch, capsys):
    victim = _nth(sealed, 4)
    tamper(sealed, "UPDATE audit_log SET outcome = 'denied' WHERE id = :id", id=victim)
    code, out = run_cli(sealed, monkeypatch, capsys, "verify")
    assert code == 1
    assert out.startswith("BROKEN:") and f"entry {victim} " in out.splitlines()[0] and "altered" in out


@pytest.mark.parametrize("column, value", [("detail", '{"n": 99}'), ("actor_name", "someone"),
                                           ("at", "2020-01-01 00:00:00")])
def test_any_column_edited_is_found(sealed, column, value):
    victim = _nth(sealed, 2)
    tamper(sealed, f"UPDATE audit_log SET {column} = :v WHERE id = :id", v=value, id=victim)
    r = verify(sealed)
    assert not r.intact and f"entry {victim} " in r.breaks[0]


def test_a_deleted_entry_is_found(sealed, monkeypatch, capsys):
    victim = _nth(sealed, 6)
    tamper(sealed, "DELETE FROM audit_log WHERE id = :id", id=victim)
    code, out = run_cli(sealed, monkeypatch, capsys, "verify")
    assert code == 1 and f"entry {victim} " in out and "deleted" in out


def test_an_entry_deleted_with_its_chain_row_is_found(sealed):
    victim = _nth(sealed, 6)
    tamper(sealed, "DELETE FROM audit_chain WHERE audit_id = :id", "DELETE FROM audit_log WHERE id = :id", id=victim)
    r = verify(sealed)
    assert not r.intact and "missing" in r.breaks[0]


def test_an_entry_inserted_by_hand_is_found_sealed_or_not(sealed, monkeypatch, capsys):
    tamper(sealed, "INSERT INTO audit_log (at, action, outcome, actor_name, mac) "
                   "VALUES (CURRENT_TIMESTAMP, 'auth.login', 'success', 'intruder', 'k1:00ff')")
    forged = ids(sealed)[-1]
    code, out = run_cli(sealed, monkeypatch, capsys, "verify")
    assert code == 1 and f"entry {forged} " in out and "outside the application" in out
    auditchain.seal_all(sealed.factory)  # the sealer seals it as found, marked: still reported
    code, out = run_cli(sealed, monkeypatch, capsys, "verify")
    assert code == 1 and f"entry {forged} " in out and "not written by the application" in out


def test_an_entry_inserted_in_the_middle_is_found(sealed):
    """A forged entry given an id between sealed ones (one freed by a deletion)."""
    victim = _nth(sealed, 3)
    tamper(sealed, "DELETE FROM audit_log WHERE id = :id", id=victim)
    tamper(sealed, "INSERT INTO audit_log (id, at, action, outcome, actor_name) "
                   "VALUES (:id, CURRENT_TIMESTAMP, 'customer.update', 'success', 'intruder')", id=victim)
    r = verify(sealed)
    assert not r.intact and f"entry {victim} " in r.breaks[0]


def test_a_copied_entry_carrying_a_valid_mac_is_found(sealed):
    """Replaying a genuine entry (its MAC included) as a new one: not in the chain, and
    the chain's own entry is still where it was, so the copy stands out only as pending
    — unless the original is then removed, which the chain shows."""
    victim = _nth(sealed, 5)
    tamper(sealed, "INSERT INTO audit_log (at, actor_id, actor_name, action, object_type, object_id, outcome, "
                   "source, detail, mac) SELECT at, actor_id, actor_name, action, object_type, object_id, outcome, "
                   "source, detail, mac FROM audit_log WHERE id = :id", "DELETE FROM audit_log WHERE id = :id",
           id=victim)
    r = verify(sealed)
    assert not r.intact and f"entry {victim} " in r.breaks[0] and "deleted" in r.breaks[0]


def test_reordered_entries_are_found(sealed, monkeypatch, capsys):
    """Two entries' contents swapped (what was done first now reads as done second)."""
    a, b = _nth(sealed, 1), _nth(sealed, 2)
    tamper(sealed, "UPDATE audit_log SET id = -1 WHERE id = :a", a=a)
    tamper(sealed, "UPDATE audit_log SET id = :a WHERE id = :b", a=a, b=b)
    tamper(sealed, "UPDATE audit_log SET id = :b WHERE id = -1", b=b)
    code, out = run_cli(sealed, monkeypatch, capsys, "verify")
    assert code == 1 and f"entry {a} " in out.splitlines()[0]


def test_reordered_chain_rows_are_found(sealed):
    tamper(sealed, "UPDATE audit_chain SET seq = -1 WHERE seq = 3", "UPDATE audit_chain SET seq = 3 WHERE seq = 4",
           "UPDATE audit_chain SET seq = 4 WHERE seq = -1")
    r = verify(sealed)
    assert not r.intact and "chain row 3" in r.breaks[0]


def test_a_rewritten_link_is_found(sealed):
    tamper(sealed, "UPDATE audit_chain SET link = 'k1:' || :h WHERE seq = 5", h="ab" * 32)
    r = verify(sealed)
    assert not r.intact and "chain row 5" in r.breaks[0]


def test_the_newest_entries_cut_off_are_found_against_a_kept_head(sealed, monkeypatch, capsys):
    _, head = run_cli(sealed, monkeypatch, capsys, "head")
    last = ids(sealed)[-2:]
    tamper(sealed, "DELETE FROM audit_chain WHERE seq > 8",
           f"DELETE FROM audit_log WHERE id IN ({', '.join(map(str, last))})")
    assert verify(sealed).intact  # what the chain alone cannot show ...
    code, out = run_cli(sealed, monkeypatch, capsys, "verify", "--expect-head", head.strip())
    assert code == 1 and "head kept elsewhere" in out  # ... the head kept elsewhere does


def test_a_chain_rebuilt_without_the_key_does_not_verify(sealed):
    """An intruder who rewrites entries and recomputes plain hashes has not the key."""
    import hashlib
    tamper(sealed, "UPDATE audit_log SET outcome = 'denied'")
    with sealed.admin.begin() as conn:
        rows = conn.execute(text("SELECT seq, audit_id, mac FROM audit_chain ORDER BY seq")).all()
        prev = ""
        for seq, audit_id, mac in rows:
            prev = "k1:" + hashlib.sha256(f"{prev}|{seq}|{audit_id}|{mac}".encode()).hexdigest()
            conn.execute(text("UPDATE audit_chain SET link = :l WHERE seq = :s"), {"l": prev, "s": seq})
    assert not verify(sealed).intact


def test_verify_with_another_key_file_fails(sealed, tmp_path, monkeypatch, capsys):
    other = tmp_path / "other-keys.json"
    create_key_file(other)
    monkeypatch.setenv("CRM_KEY_FILE", str(other))
    capsys.readouterr()
    assert cli.main(["audit", "verify", "--database-url", sealed.url]) == 1


def test_verify_without_a_key_file_says_so(sealed, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CRM_KEY_FILE", str(tmp_path / "absent.json"))
    assert cli.main(["audit", "verify", "--database-url", sealed.url]) == 2
    assert "key file" in capsys.readouterr().err


@pytest.mark.postgres
def test_the_app_role_cannot_rewrite_the_log_or_the_chain(pg_admin_url_fresh):
    f = pg_admin_url_fresh
    write(f.factory, 2)
    auditchain.seal_all(f.factory)
    for table in ("audit_log", "audit_chain"):
        for stmt in (f"UPDATE {table} SET txid = 1", f"DELETE FROM {table}", f"TRUNCATE {table}"):
            with f.factory() as db, pytest.raises(ProgrammingError, match="permission denied"):
                db.execute(text(stmt))
    assert verify(f).intact


@pytest.fixture
def pg_admin_url_fresh(tmp_path: Path) -> Iterator[Fresh]:
    url, name = _new_database("postgres", tmp_path)
    key_file = tmp_path / "keys.json"
    create_key_file(key_file)
    admin = make_engine(url)
    upgrade(admin)
    prepare_app_role(admin, "crm_app")
    engine = make_engine(url, pool_size=12)
    use_app_role(engine, "crm_app")
    try:
        yield Fresh("postgres", url, admin, make_sessionmaker(engine, key_file), key_file)
    finally:
        engine.dispose()
        admin.dispose()
        _drop(name)


@pytest.mark.postgres
def test_entries_committed_out_of_order_are_all_sealed_exactly_once(pg_admin_url_fresh):
    """Writers that take an entry id early and commit late, while the sealer runs: an
    entry committed after a higher id was sealed must still be sealed (the sealer's
    "final" rule), none twice, and the chain verifies. The test also shows the hazard
    happened: some entries committed after a higher id had."""
    f = pg_admin_url_fresh
    commits: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(40):
            with f.factory() as db:
                audit.record(db, "test.concurrent", actor_name=f"w{seed}")
                db.flush()
                entry = db.scalars(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)).one()
                time.sleep(rnd.random() * 0.01)
                db.commit()
            with lock:
                commits.append(entry)

    def sealer() -> None:
        while not stop.is_set():
            auditchain.seal_all(f.factory)
            time.sleep(0.002)

    s = threading.Thread(target=sealer)
    s.start()
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    s.join()
    auditchain.seal_all(f.factory)
    inversions = sum(1 for i in range(1, len(commits)) if commits[i] < max(commits[:i]))
    assert inversions > 0, "no entry committed after a higher id: the hazard was not exercised"
    with f.factory() as db:
        entries = db.scalar(select(func.count()).select_from(AuditLog))
        chained = list(db.scalars(select(AuditChain.audit_id)))
    assert entries == 320
    assert len(chained) == len(set(chained)) == 320
    r = verify(f)
    assert r.intact and r.sealed == 320 and r.pending == 0


@pytest.mark.postgres
def test_two_sealers_at_once_seal_each_entry_once(pg_admin_url_fresh):
    f = pg_admin_url_fresh
    write(f.factory, 3000)
    threads = [threading.Thread(target=auditchain.seal_all, args=(f.factory,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    auditchain.seal_all(f.factory)
    r = verify(f)
    assert r.intact and r.sealed == 3000


def test_entries_older_than_the_chain_are_vouched_for_by_init_only(tmp_path, monkeypatch, capsys):
    """A database upgraded from before the chain: the `init` that adds the chain seals its
    entries as they are; an entry without a MAC that appears later is reported, however
    often `init` runs again."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0016_job_output")
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(text("INSERT INTO audit_log (at, action, outcome) VALUES (CURRENT_TIMESTAMP, :a, 'success')"),
                         {"a": f"old.{i}"})
    engine.dispose()
    monkeypatch.setenv("CRM_KEY_FILE", str(tmp_path / "keys.json"))
    assert cli.main(["init", "--database-url", url]) == 0
    capsys.readouterr()
    assert cli.main(["audit", "verify", "--database-url", url]) == 0
    assert "3 entries sealed" in capsys.readouterr().out
    engine = make_engine(url)
    with engine.begin() as conn:  # an intruder's entry dressed as an old one
        conn.execute(text("INSERT INTO audit_log (at, action, outcome, txid) VALUES (CURRENT_TIMESTAMP, 'x', "
                          "'success', 0)"))
    engine.dispose()
    assert cli.main(["init", "--database-url", url]) == 0
    capsys.readouterr()
    assert cli.main(["audit", "verify", "--database-url", url]) == 1


@pytest.mark.postgres
def test_a_long_transaction_elsewhere_does_not_hold_sealing_back(pg_admin_url_fresh):
    """Another database's open writing transaction (a report, a stuck session) holds the
    cluster's xmin back; the sealer looks only at this database's writers of the log."""
    f = pg_admin_url_fresh
    with psycopg.connect(pg_admin_url()) as other:  # type: ignore[arg-type]
        other.execute("CREATE TEMP TABLE t (x int)")
        other.execute("INSERT INTO t VALUES (1)")  # holds a transaction id, uncommitted
        write(f.factory, 5)
        assert auditchain.seal_all(f.factory) == 5


@pytest.mark.postgres
def test_an_entry_in_flight_holds_later_ones_back_until_it_commits(pg_admin_url_fresh):
    f = pg_admin_url_fresh
    slow = f.factory()
    audit.record(slow, "test.slow", actor_name="slow")
    slow.flush()  # its entry has an id and a transaction id, not yet committed
    write(f.factory, 4)
    assert auditchain.seal_all(f.factory) == 0  # the later entries wait for it
    slow.commit()
    slow.close()
    assert auditchain.seal_all(f.factory) == 5
    with f.factory() as db:
        first = db.scalars(select(AuditChain.audit_id).order_by(AuditChain.seq).limit(1)).one()
        assert db.get(AuditLog, first).action == "test.slow"  # type: ignore[union-attr]
    assert verify(f).intact


@pytest.mark.postgres
def test_an_entry_written_late_by_a_transaction_that_began_early_is_sealed(pg_admin_url_fresh):
    """A transaction takes its id writing something else (a customer) before another's
    entry is sealed, and writes its own entry afterwards: it must not fall behind the
    chain's head (found under load by the kill -9 test: 121 of 41,266 entries)."""
    f = pg_admin_url_fresh
    early, late = f.factory(), f.factory()
    early.execute(text("SELECT pg_current_xact_id()"))  # its id, as a first write would take it
    audit.record(late, "test.late", actor_name="late")
    late.commit()
    assert auditchain.seal_all(f.factory) == 0  # the early transaction may still write an entry
    audit.record(early, "test.early", actor_name="early")
    early.commit()
    early.close()
    late.close()
    assert auditchain.seal_all(f.factory) == 2
    r = verify(f)
    assert r.intact and r.sealed == 2 and r.pending == 0
