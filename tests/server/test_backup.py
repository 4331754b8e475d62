"""`crm-server backup FILE` / `crm-server restore FILE` (CONTRACT.md, server/backup.py).

A source database is made as an operator makes one (`init`), filled with the demo bank
(customers, history with sealed values, audit entries, households), a job's binary
output, an org whose parent came later, and a sealed audit chain. The round trip on
SQLite and on PostgreSQL must give back every table exactly: row counts and content
hashes computed here, from the models, independently of server/backup.py's own. Then
the restored database works (a login, a customer read, a new customer, the audit chain
intact, a sealed value opened with the key file that wrote it), and restore refuses
what it must, leaving the target empty."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import make_url

from server import access, backup, cli
from server.app import create_app
from server.crypto import FieldCipher
from server.db import APPEND_ONLY_TABLES, make_engine, make_sessionmaker
from server.demo import DEMO_PASSWORD, seed_demo
from server.keys import create_key_file
from server.migrate import schema_refusal, upgrade
from server.models import AuditLog, Base, ChangeRecord, Customer, Job, JobOutput, Org, OrgTree, User
from server.models.base import utcnow
from server.services import orgs
from server.settings import get_settings
from shared.enums import OrgKind
from shared.permissions import Action
from shared.schemas import OrgCreate
from tests.server.conftest import id_number, pg_admin_url

#: A job's file with every byte value (NUL included), as binary content must survive.
BLOB = bytes(range(256)) * 9 + b"\x00"
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# ----------------------------------------------------------------------------- databases
class Databases:
    """Empty databases of one kind: SQLite file paths (not yet there) or PostgreSQL
    databases of their own, dropped at the end."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind = kind
        self.tmp = tmp
        self.made: list[str] = []
        if kind == "postgres" and pg_admin_url() is None:
            pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")

    def new(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp / f'db{uuid.uuid4().hex[:8]}.sqlite3'}"
        admin = pg_admin_url()
        assert admin is not None
        name = f"crm_backup_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return make_url(admin).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        admin = pg_admin_url()
        for name in self.made:
            with psycopg.connect(admin, autocommit=True) as conn:  # type: ignore[arg-type]
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def is_empty(url: str) -> bool:
    """Nothing written: no SQLite file, or a PostgreSQL database without a table."""
    if make_url(url).get_backend_name() == "sqlite":
        return not Path(str(make_url(url).database)).exists()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def _norm(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).isoformat()
    if isinstance(v, memoryview):
        return bytes(v)
    return v


def table_hashes(url: str) -> dict[str, tuple[int, str]]:
    """Rows and a content hash per table of the models, in primary-key order (computed
    here, not by server/backup.py)."""
    engine = make_engine(url)
    out: dict[str, tuple[int, str]] = {}
    try:
        with engine.connect() as conn:
            for t in Base.metadata.sorted_tables:
                h, n = hashlib.sha256(), 0
                # `txid` is the writing transaction's id in its own cluster, not content: a
                # restore re-bases it (server/services/auditchain.py `rebase`)
                cols = [c for c in t.columns if c.name != "txid"]
                for row in conn.execute(select(*cols).order_by(*t.primary_key.columns)):
                    h.update(repr(tuple(_norm(v) for v in row)).encode() + b"\n")
                    n += 1
                out[t.name] = (n, h.hexdigest())
    finally:
        engine.dispose()
    return out


def crm(capsys: pytest.CaptureFixture[str] | None, key_file: Path, *args: str,
        env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`crm-server ARGS` in this process with CRM_KEY_FILE (and `env`) set."""
    with mock.patch.dict(os.environ, {"CRM_KEY_FILE": str(key_file), **(env or {})}):
        if capsys is not None:
            capsys.readouterr()
        code = cli.main(list(args))
    if capsys is None:
        return code, "", ""
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- the source
@dataclass
class Source:
    kind: str
    url: str
    key_file: Path
    file: Path  # a backup of it, taken once
    dbs: Databases
    tmp: Path


def populate(url: str, key_file: Path) -> None:
    """`init`, the demo bank, a job's binary output, an org whose parent has a higher id
    (a reference forward in primary-key order), and the audit chain sealed."""
    assert crm(None, key_file, "init", "--database-url", url)[0] == 0
    engine = make_engine(url)
    factory = make_sessionmaker(engine, key_file)
    with factory() as db:
        seed_demo(db, customers=30)
        admin = db.scalars(select(User).where(User.username == "admin")).one()
        actor = access.acting_as(admin, Action.ORG_MANAGE, "test")
        assert actor is not None
        ho = db.scalars(select(Org).where(Org.parent_id.is_(None))).one()
        x = orgs.create_org(db, actor, OrgCreate(code="TX", name="滨江支行", kind=OrgKind.BRANCH, parent_id=ho.id))
        y = orgs.create_org(db, actor, OrgCreate(code="TX01", name="滨江支行江南分理处", kind=OrgKind.SUB_BRANCH,
                                                 parent_id=x.id))
        z = orgs.create_org(db, actor, OrgCreate(code="TZ", name="萧山支行", kind=OrgKind.BRANCH, parent_id=ho.id))
        db.commit()
        z_path = db.get(Org, z.id).path  # type: ignore[union-attr]
        db.execute(text("UPDATE org SET parent_id = :z, path = :p WHERE id = :y"),
                   {"z": z.id, "p": f"{z_path}{y.id}/", "y": y.id})
        job = Job(kind="statements.batch", params="{}", status="succeeded", done=1, total=1, attempts=1,
                  created_by=admin.id, org_id=ho.id)
        db.add(job)
        db.flush()
        db.add(JobOutput(job_id=job.id, name="statement.pdf", content=BLOB))
        db.commit()
    engine.dispose()
    assert crm(None, key_file, "audit", "head", "--database-url", url)[0] == 0


@pytest.fixture(scope="module", params=KINDS)
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    tmp = tmp_path_factory.mktemp(f"backup-{request.param}")
    dbs = Databases(request.param, tmp)
    try:
        url = dbs.new()
        key_file = tmp / "keys.json"
        populate(url, key_file)
        file = tmp / "source.crmbackup"
        assert crm(None, key_file, "backup", str(file), "--database-url", url)[0] == 0
        yield Source(request.param, url, key_file, file, dbs, tmp)
    finally:
        dbs.drop_all()


def lines_of(file: Path) -> list[bytes]:
    with gzip.open(file, "rb") as f:
        return f.readlines()


def rows_of(file: Path, table: str) -> list[dict[str, Any]]:
    """The rows of one table as the file holds them (column -> encoded value)."""
    columns: list[str] | None = None
    out = []
    for line in lines_of(file)[1:]:
        if line.startswith(b"{"):
            meta = json.loads(line)
            columns = meta["columns"] if meta.get("table") == table and "columns" in meta else None
        elif columns is not None:
            out.append(dict(zip(columns, json.loads(line), strict=True)))
    return out


def blocks(file: Path) -> tuple[bytes, list[tuple[str, list[bytes]]]]:
    """The header line and each table's lines (its head, rows and trailer)."""
    lines = lines_of(file)
    out: list[tuple[str, list[bytes]]] = []
    i = 1
    while not json.loads(lines[i]).get("end"):
        j = i + 1
        while lines[j].startswith(b"["):
            j += 1
        out.append((json.loads(lines[i])["table"], lines[i:j + 1]))
        i = j + 1
    return lines[0], out


def write_blocks(to: Path, header: bytes, tables: list[tuple[str, list[bytes]]]) -> None:
    end = {"end": True, "tables": {name: {k: json.loads(ls[-1])[k] for k in ("rows", "sha256")}
                                   for name, ls in tables}}
    with gzip.open(to, "wb") as f:
        f.write(b"".join([header, *(ln for _name, ls in tables for ln in ls), json.dumps(end).encode() + b"\n"]))


def forge(file: Path, to: Path, edit: Callable[[str, list[bytes]], list[bytes]]) -> None:
    """A copy whose rows `edit` changed, with every check value made to match: a file
    that verifies, but whose content is not what was backed up."""
    header, tables = blocks(file)
    out = []
    for name, ls in tables:
        rows = edit(name, ls[1:-1])
        trailer = {"table": name, "rows": len(rows), "sha256": hashlib.sha256(b"".join(rows)).hexdigest()}
        out.append((name, [ls[0], *rows, json.dumps(trailer).encode() + b"\n"]))
    write_blocks(to, header, out)


# ----------------------------------------------------------------------------- the round trip
def test_round_trip_gives_back_every_table_and_a_working_database(source: Source, capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    # the variable names the database when no flag does
    file = tmp_path / "nightly.crmbackup"
    code, out, err = crm(capsys, source.key_file, "backup", str(file), env={"CRM_DATABASE_URL": source.url})
    assert code == 0, err
    assert "org:" in out and "job_output: 1 rows" in out and out.strip().splitlines()[-1].startswith("backup written")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [file]  # no temporary file left beside it

    target = source.dbs.new()
    code, out, err = crm(capsys, source.key_file, "restore", str(file), "--database-url", target,
                         env={"CRM_DATABASE_URL": "sqlite:////nonexistent/dir/never.sqlite3"})  # the flag wins
    assert code == 0, err
    assert "change_history:" in out and "restored " in out

    before, after = table_hashes(source.url), table_hashes(target)
    assert after == before
    assert {t for t, (n, _h) in before.items() if n} >= {"org", "org_tree", "app_user", "customer", "change_history",
                                                         "audit_log", "audit_chain", "job_output", "balance_sheet"}
    # the file covers every table of the schema, with the counts the databases hold
    assert set(backup.verify(file).tables) == {t.name for t in Base.metadata.sorted_tables}
    assert {k: d.rows for k, d in backup.verify(file).tables.items()} == {k: n for k, (n, _h) in after.items()}

    engine = make_engine(target)
    factory = make_sessionmaker(engine, source.key_file)
    src_engine = make_engine(source.url)
    try:
        assert schema_refusal(engine) is None
        with factory() as db, make_sessionmaker(src_engine)() as src:
            # the org tree's version as it was, not what the triggers would have made of the inserts
            assert db.get(OrgTree, 1).version == src.get(OrgTree, 1).version  # type: ignore[union-attr]
            assert db.scalar(select(JobOutput.content)) == BLOB
            # a sealed value opens with the key file that wrote it
            sealed = db.scalars(select(ChangeRecord).where(ChangeRecord.new_sealed.is_not(None))
                                .order_by(ChangeRecord.id)).all()
            assert sealed
            cipher = FieldCipher.from_key_file(source.key_file)
            original = {r.id: r for r in src.scalars(select(ChangeRecord).where(ChangeRecord.new_sealed.is_not(None)))}
            for r in sealed:
                assert cipher.open(r.new_sealed or "", r.field or "") == \
                    cipher.open(original[r.id].new_sealed or "", r.field or "")
            zsf = db.scalars(select(Customer).where(Customer.name == "张三丰")).one()
            manager = db.scalars(select(User).where(User.username == "manager")).one()
        settings = get_settings(database_url=target, key_file=str(source.key_file), profile="development",
                                mfa_roles="")
        with TestClient(create_app(settings, factory), base_url="http://testserver/api/v1") as client:
            r = client.post("/auth/login", json={"username": "manager", "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            h = {"Authorization": f"Bearer {r.json()['access_token']}"}
            r = client.get(f"/customers/{zsf.id}", headers=h)
            assert r.status_code == 200 and r.json()["name"] == "张三丰", r.text
            assert client.get("/customers", headers=h, params={"q": "张三丰"}).json()["total"] >= 1
            # numbers and ids go on where the source's stood (sequences / counters restored)
            idn = id_number("110101", "19991231", 77, True)
            r = client.post("/customers", headers=h, json={"name": "备份后新客户", "gender": "male",
                                                           "birth_date": "1999-12-31", "id_number": idn,
                                                           "phone": "13600001111", "org_id": manager.org_id})
            assert r.status_code == 201, r.text
            with factory() as db:
                assert r.json()["id"] > max(db.scalars(select(Customer.id).where(Customer.id != r.json()["id"])))
        with factory() as db:  # the triggers are back: a new org moves the tree's version
            version = db.get(OrgTree, 1).version  # type: ignore[union-attr]
            admin = access.acting_as(db.scalars(select(User).where(User.username == "admin")).one(),
                                     Action.ORG_MANAGE, "test")
            assert admin is not None
            orgs.create_org(db, admin, OrgCreate(code="TNEW", name="新建支行", kind=OrgKind.BRANCH,
                                                 parent_id=db.scalars(select(Org.id).where(Org.parent_id.is_(None))).one()))
            db.commit()
            db.expire_all()
            assert db.get(OrgTree, 1).version != version  # type: ignore[union-attr]
        code, out, _err = crm(capsys, source.key_file, "audit", "verify", "--database-url", target)
        assert code == 0 and out.startswith("intact"), out
        if source.kind == "postgres":
            with engine.connect() as conn:
                def may(table: str, what: str) -> bool:
                    return bool(conn.execute(text("SELECT has_table_privilege('crm_app', :t, :w)"),
                                             {"t": table, "w": what}).scalar())
                assert may("customer", "UPDATE") and may("audit_log", "INSERT")
                assert not any(may(t, w) for t in APPEND_ONLY_TABLES for w in ("UPDATE", "DELETE", "TRUNCATE"))
    finally:
        engine.dispose()
        src_engine.dispose()


def test_the_backup_holds_no_key_material(source: Source) -> None:
    assert stat.S_IMODE(source.file.stat().st_mode) == 0o600
    raw = gzip.decompress(source.file.read_bytes())
    keys = json.loads(source.key_file.read_text())["keys"]
    secrets = [(part, k[part]) for k in keys.values() for part in ("encryption", "blind_index")]
    assert len(secrets) >= 2
    for _part, b64 in secrets:
        key = base64.b64decode(b64)
        for form in (b64.encode(), key, key.hex().encode(), base64.urlsafe_b64encode(key).rstrip(b"=")):
            assert form not in raw
    header = json.loads(raw.splitlines()[0])
    assert header["format"] == "branch-crm-backup" and header["version"] == 1
    assert header["created_at"].endswith("Z") and header["dialect"] == ("sqlite" if source.kind == "sqlite"
                                                                         else "postgresql")
    assert set(header["keys"]) == set(keys) and "alembic_version" not in raw.decode()


def test_an_older_backup_is_restored_and_migrated_to_head(source: Source, tmp_path: Path) -> None:
    """A backup of a database at an earlier revision (a release ago) restores into that
    schema, then the migrations take it to head."""
    old = source.dbs.new()
    engine = make_engine(old)
    upgrade(engine, "0016_job_output")
    at = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    stored = at if source.kind == "postgres" else at.strftime("%Y-%m-%d %H:%M:%S.%f")  # as UtcDateTime keeps it
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO org (code, name, kind, path, version, created_at, updated_at) VALUES "
                          "('HO', '总行', 'head_office', '/1/', 1, :t, :t)"), {"t": stored})
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version FROM org_tree")).scalar()
    file = tmp_path / "old.crmbackup"
    backup.backup(engine, file, source.key_file, out=lambda _line: None)
    engine.dispose()
    assert backup.read_header(file)["revision"] == "0016_job_output"
    target = source.dbs.new()
    assert crm(None, source.key_file, "restore", str(file), "--database-url", target)[0] == 0
    restored = make_engine(target)
    try:
        assert schema_refusal(restored) is None  # at head
        with make_sessionmaker(restored)() as db:
            ho = db.scalars(select(Org)).one()
            assert (ho.code, ho.name, ho.created_at) == ("HO", "总行", at)
            assert db.get(OrgTree, 1).version == version  # type: ignore[union-attr]
    finally:
        restored.dispose()


def test_what_triggers_maintain_comes_from_the_backup_whatever_the_order(source: Source, tmp_path: Path) -> None:
    """The org tree's version (kept by triggers on `org`, migration 0012) is restored as
    it was, even when its row comes before the orgs whose inserts would move it."""
    header, tables = blocks(source.file)
    order = [name for name, _ls in tables]
    tree = tables.pop(order.index("org_tree"))
    tables.insert(order.index("org"), tree)
    early = tmp_path / "org-tree-first.crmbackup"
    write_blocks(early, header, tables)
    target = source.dbs.new()
    assert crm(None, source.key_file, "restore", str(early), "--database-url", target)[0] == 0
    assert table_hashes(target)["org_tree"] == table_hashes(source.url)["org_tree"]


# ----------------------------------------------------------------------------- refusals
def refused(capsys: pytest.CaptureFixture[str], source: Source, file: Path, target: str,
            key_file: Path | None = None) -> str:
    code, _out, err = crm(capsys, key_file or source.key_file, "restore", str(file), "--database-url", target)
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("restore refused: "), err
    assert is_empty(target)
    return lines[0]


def test_restore_refuses_a_database_that_is_not_empty(source: Source, capsys: pytest.CaptureFixture[str]) -> None:
    before = table_hashes(source.url)
    assert "not empty" in refused_into_source(capsys, source)
    assert table_hashes(source.url) == before
    # a database with nothing but an empty table is not empty either
    target = source.dbs.new()
    engine = make_engine(target)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    code, _out, err = crm(capsys, source.key_file, "restore", str(source.file), "--database-url", target)
    assert code != 0 and "not empty (it has tables: notes)" in err


def refused_into_source(capsys: pytest.CaptureFixture[str], source: Source) -> str:
    code, _out, err = crm(capsys, source.key_file, "restore", str(source.file), "--database-url", source.url)
    assert code != 0 and err.count("\n") == 1, err
    return err


def test_restore_refuses_a_key_file_that_did_not_write_the_backup(source: Source, capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    other = tmp_path / "other-keys.json"
    create_key_file(other)  # the same key id, k1, other keys
    line = refused(capsys, source, source.file, source.dbs.new(), other)
    assert "k1" in line and "key file that wrote the backup" in line
    renamed = tmp_path / "renamed-keys.json"
    data = json.loads(source.key_file.read_text())
    data["keys"] = {"k9": data["keys"]["k1"]}
    data["active"] = "k9"
    fd = os.open(renamed, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    assert "has no key 'k1'" in refused(capsys, source, source.file, source.dbs.new(), renamed)
    assert "not found" in refused(capsys, source, source.file, source.dbs.new(), tmp_path / "missing.json")


def test_restore_refuses_a_truncated_or_corrupt_file(source: Source, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    data = source.file.read_bytes()
    truncated = tmp_path / "truncated.crmbackup"
    truncated.write_bytes(data[: len(data) // 2])
    assert "truncated or corrupt" in refused(capsys, source, truncated, source.dbs.new())
    flipped = tmp_path / "flipped.crmbackup"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:])
    assert "truncated or corrupt" in refused(capsys, source, flipped, source.dbs.new())
    # a changed row in an intact gzip stream: the table's own hash finds it
    lines = lines_of(source.file)
    i = next(i for i, ln in enumerate(lines) if b"\xe5\xbc\xa0\xe4\xb8\x89\xe4\xb8\xb0" in ln and ln.startswith(b"["))
    edited = tmp_path / "edited.crmbackup"
    with gzip.open(edited, "wb") as f:
        f.write(b"".join([*lines[:i], lines[i].replace("张三丰".encode(), "张三疯".encode()), *lines[i + 1:]]))
    assert "does not match its check" in refused(capsys, source, edited, source.dbs.new())
    # the end cut off at a line boundary, in a well-formed gzip stream
    cut = tmp_path / "cut.crmbackup"
    with gzip.open(cut, "wb") as f:
        f.write(b"".join(lines[:-1]))
    assert "ends before its end" in refused(capsys, source, cut, source.dbs.new())


def test_restore_refuses_what_is_not_a_backup(source: Source, capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup\n")
    assert "not a Branch CRM backup" in refused(capsys, source, text_file, source.dbs.new())
    other_json = tmp_path / "other.jsonl.gz"
    with gzip.open(other_json, "wb") as f:
        f.write(b'{"format": "something-else", "version": 1}\n')
    assert "not a Branch CRM backup" in refused(capsys, source, other_json, source.dbs.new())
    empty = tmp_path / "empty.crmbackup"
    empty.write_bytes(b"")
    assert "not a Branch CRM backup" in refused(capsys, source, empty, source.dbs.new())
    assert "no such file" in refused(capsys, source, tmp_path / "absent.crmbackup", source.dbs.new())
    newer = tmp_path / "newer.crmbackup"
    lines = lines_of(source.file)
    header = json.loads(lines[0])
    with gzip.open(newer, "wb") as f:
        f.write(json.dumps({**header, "revision": "9999_from_the_future"}).encode() + b"\n" + b"".join(lines[1:]))
    assert "newer than this release" in refused(capsys, source, newer, source.dbs.new())


def test_a_backup_restores_only_into_its_kind_of_database(source: Source, capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    if source.kind == "sqlite":
        if pg_admin_url() is None:
            pytest.skip("CRM_TEST_DATABASE_URL is not set")
        other = Databases("postgres", tmp_path)
        try:
            assert "backup of a sqlite database" in refused(capsys, source, source.file, other.new())
        finally:
            other.drop_all()
    else:
        target = f"sqlite:///{tmp_path / 'x.sqlite3'}"
        assert "backup of a postgresql database" in refused(capsys, source, source.file, target)


def test_a_restore_that_fails_midway_leaves_the_database_empty(source: Source, capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    """A file that verifies but cannot be written (a user twice: the unique key refuses
    the second) is rolled back whole: migrations, rows and all."""
    twice = tmp_path / "twice.crmbackup"
    forge(source.file, twice, lambda table, rows: [*rows, rows[-1]] if table == "app_user" else rows)
    target = source.dbs.new()
    code, _out, err = crm(capsys, source.key_file, "restore", str(twice), "--database-url", target)
    assert code == 1 and err.startswith("restore failed, nothing restored: database error (") \
        and err.count("\n") == 1, err
    assert is_empty(target)


# ----------------------------------------------------------------------------- consistency
def test_a_backup_taken_during_writes_is_one_snapshot(source: Source, tmp_path: Path) -> None:
    """A writer commits an audit entry and a history row together, again and again, while
    the backup runs (slowly: it pauses after each table). In one snapshot the two tables
    hold the same number of them; read table by table they would not."""
    url = source.dbs.new()
    assert crm(None, source.key_file, "init", "--database-url", url)[0] == 0
    writer_engine = make_engine(url)
    stop = threading.Event()
    ticks = [0]

    def write() -> None:
        while not stop.is_set():
            with writer_engine.begin() as conn:
                conn.execute(insert(AuditLog).values(at=utcnow(), action="test.tick", outcome="success"))
                conn.execute(insert(ChangeRecord).values(resource="tick", resource_id="1", at=utcnow(),
                                                         action="update"))
            ticks[0] += 1
            time.sleep(0.002)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    while ticks[0] < 5:
        time.sleep(0.01)
    started = ticks[0]
    file = tmp_path / "busy.crmbackup"
    engine = make_engine(url)
    try:
        backup.backup(engine, file, source.key_file, out=lambda _line: time.sleep(0.1))
        during = ticks[0] - started
    finally:
        stop.set()
        thread.join()
        engine.dispose()
        writer_engine.dispose()
    assert during >= 3, "the writer did not write while the backup ran"
    summary = backup.verify(file)
    audit_ticks = [r for r in rows_of(file, "audit_log") if r["action"] == "test.tick"]
    history_ticks = [r for r in rows_of(file, "change_history") if r["resource"] == "tick"]
    assert len(audit_ticks) == len(history_ticks) >= started
    assert len(audit_ticks) < ticks[0]  # later writes are not in it
    target = source.dbs.new()
    assert crm(None, source.key_file, "restore", str(file), "--database-url", target)[0] == 0
    assert {k: n for k, (n, _h) in table_hashes(target).items()} == {k: d.rows for k, d in summary.tables.items()}


# ----------------------------------------------------------------------------- the format
def test_values_keep_their_type_through_the_format() -> None:
    east8 = timezone(timedelta(hours=8))
    values = [None, True, False, 0, -(2**63), 2**63 - 1, 1.5, float("inf"), "张三丰 \"quoted\"\n", b"\x00\xff" * 3,
              datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=east8), date(1958, 4, 9), Decimal("12345.60")]
    encoded = json.loads(json.dumps([backup.encode_value(v) for v in values], allow_nan=False))
    decoded = [backup.decode_value(v) for v in encoded]
    assert decoded == values
    assert [type(v) for v in decoded] == [type(v) for v in values]
    assert decoded[10].tzinfo is UTC and encoded[10] == {"$t": "2026-01-01T19:04:05.000006Z"}
    # SQLite's naive timestamps are UTC
    assert backup.encode_value(datetime(2026, 1, 1, 19, 4, 5, 6)) == encoded[10]
    assert backup.decode_value(encoded[10], naive_utc=True) == datetime(2026, 1, 1, 19, 4, 5, 6)
    with pytest.raises(backup.BackupError):
        backup.encode_value(object())


def test_entries_written_after_a_restore_are_sealed_whatever_the_source_clusters_ids(
        source: Source, capsys: pytest.CaptureFixture[str]) -> None:
    """A restore into a new cluster: its transaction ids may be far behind the source's.
    The chain must go on (entries written after the restore sealed), not wait for ids
    the cluster will reach in years. The source's ids are pushed far ahead here."""
    from server.services import audit, auditchain
    src = make_engine(source.url)
    factory = make_sessionmaker(src, source.key_file)
    with factory() as db:  # an entry not yet sealed, written "in the future"
        audit.record(db, "test.before_backup", actor_name="tester")
        db.commit()
    if source.kind == "postgres":
        with src.begin() as conn:  # as an owner would see it from a cluster far ahead
            conn.execute(text("UPDATE audit_log SET txid = txid + 4000000000"))
            conn.execute(text("UPDATE audit_chain SET txid = txid + 4000000000"))
    src.dispose()
    file = source.tmp / f"ahead-{uuid.uuid4().hex[:6]}.crmbackup"
    assert crm(capsys, source.key_file, "backup", str(file), "--database-url", source.url)[0] == 0
    target = source.dbs.new()
    assert crm(capsys, source.key_file, "restore", str(file), "--database-url", target)[0] == 0
    engine = make_engine(target)
    restored = make_sessionmaker(engine, source.key_file)
    with restored() as db:
        audit.record(db, "test.after_restore", actor_name="tester")
        db.commit()
    auditchain.seal_all(restored)
    with restored() as db:
        report = auditchain.verify(db)
    engine.dispose()
    assert report.intact, report.breaks
    assert report.pending == 0  # both the entry from before the backup and the new one
