"""`crm-server backup FILE` and `crm-server restore FILE` (CONTRACT.md: command line).

One portable file format for SQLite and PostgreSQL alike (no pg_dump): gzip-compressed
JSON lines, written and read as a stream, so a table of millions of rows never sits in
memory.

    {"format": "branch-crm-backup", "version": 1, "revision": ..., "dialect": ...,
     "created_at": "...Z", "keys": {key id: {part: check value}}, "sequences": {name: value}}
    {"table": "org", "columns": ["id", "code", ...]}
    [1, "HO", ...]                       one line per row, in primary-key order
    {"table": "org", "rows": 12, "sha256": "..."}
    ...                                  every table, in foreign-key dependency order
    {"end": true, "tables": {"org": {"rows": 12, "sha256": "..."}, ...}}

A value is a JSON scalar (null, true/false, a number, a string) or, where JSON has no
type for it, a one-key object: `{"$b": base64}` bytes, `{"$t": "...Z"}` a timestamp in
UTC to the microsecond (the product keeps every timestamp in UTC; SQLite stores them
naive), `{"$d": "YYYY-MM-DD"}` a date, `{"$n": "12.50"}` a decimal, `{"$f": "inf"}` a
float JSON cannot hold. A table's `sha256` is the hash of its row lines exactly as
written, so a reader checks each table as it streams past.

A backup holds no keys: the header has a check value (a domain-separated SHA-256) of each
key of the key file, so that `restore` can tell the key file that wrote the backup from
another one before it writes anything. Sealed values are opaque strings to a backup.

The backup reads every table in one snapshot (PostgreSQL: a REPEATABLE READ, READ ONLY
transaction; SQLite: one read transaction, which in WAL mode lets writers go on), so a
backup taken while the server works is consistent. The tables and their columns come
from the database itself (the schema at its revision), so tables added later are in
every backup without a change here.

`restore` refuses, before it writes anything, a file that is not a backup or is
truncated or corrupt (every table's row count and hash are checked in a first pass), a
backup of the other kind of database, a schema newer than this release's, a key file
without the backup's keys, and a database that is not empty. Then, in one transaction,
it builds the schema at the backup's revision with the migrations, writes the rows as
they were (the migrations' own rows replaced, triggers off: what they maintain is in
the backup already), sets every PostgreSQL sequence to where the source's stood, checks
that each table now hashes as it did in the backup, and migrates to this release's head.
A failed restore leaves the database empty (a SQLite file it created, removed).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import math
import os
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from server.keys import KeyFileError, load_key_file
from server.services import auditchain

FORMAT = "branch-crm-backup"
VERSION = 1
#: Rows fetched (server-side cursor) and inserted per round trip.
BATCH = 1000
#: The parts of a key file's key that data in the database depends on.
KEY_PARTS = ("encryption", "blind_index")
#: The migrations' own bookkeeping: the revision is in the header.
_SKIPPED = frozenset({"alembic_version"})

Out = Callable[[str], None]


class BackupError(Exception):
    """A refusal or failure, said in one line (the CLI prints it and exits non-zero)."""


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


@dataclass
class Summary:
    """What a backup file holds (or a restore wrote)."""

    revision: str
    dialect: str
    tables: dict[str, TableDigest] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


# ----------------------------------------------------------------------------- keys
def _check_value(part: str, raw: bytes) -> str:
    """A check value of one key: tells keys apart, gives nothing of them away (SHA-256
    of 256 random bits, in its own domain)."""
    return hashlib.sha256(b"branch-crm backup key check v1\x00" + part.encode() + b"\x00" + raw).hexdigest()


def key_check_values(key_file: Path) -> dict[str, dict[str, str]]:
    """{key id: {part: check value}} of every key in the key file."""
    try:
        data = load_key_file(key_file)
    except KeyFileError as exc:
        raise BackupError(str(exc)) from None
    out: dict[str, dict[str, str]] = {}
    for kid, entry in data["keys"].items():
        parts: dict[str, str] = {}
        for part in KEY_PARTS:
            if isinstance(entry, dict) and isinstance(entry.get(part), str):
                parts[part] = _check_value(part, base64.b64decode(entry[part]))
        out[str(kid)] = parts
    return out


def _refuse_other_keys(wrote: Any, key_file: Path) -> None:
    if not isinstance(wrote, dict) or not all(isinstance(p, dict) for p in wrote.values()):
        raise BackupError("the backup's header is malformed (keys)")
    have = key_check_values(key_file)
    for kid, parts in wrote.items():
        mine = have.get(kid)
        if mine is None:
            raise BackupError(f"the key file {key_file} has no key {kid!r}, which wrote this backup: "
                              "restore needs the key file that wrote the backup (CRM_KEY_FILE)")
        for part, check in parts.items():
            if mine.get(part) != check:
                raise BackupError(f"key {kid!r} of the key file {key_file} is not the one that wrote this backup "
                                  f"({part} differs): restore needs the key file that wrote the backup (CRM_KEY_FILE)")


# ----------------------------------------------------------------------------- values
def _timestamp(v: datetime) -> dict[str, str]:
    if v.tzinfo is not None:
        v = v.astimezone(UTC).replace(tzinfo=None)
    return {"$t": v.isoformat(timespec="microseconds") + "Z"}


def _float(v: float) -> Any:
    return v if math.isfinite(v) else {"$f": repr(v)}


def _bytes(v: bytes | bytearray | memoryview) -> dict[str, str]:
    return {"$b": base64.b64encode(bytes(v)).decode()}


_PLAIN = frozenset({type(None), bool, int, str})
#: By exact type (the hot path: millions of values); subclasses go through isinstance.
_ENCODERS: dict[type, Callable[[Any], Any]] = {
    float: _float, datetime: _timestamp, date: lambda v: {"$d": v.isoformat()}, time: lambda v: {"$h": v.isoformat()},
    Decimal: lambda v: {"$n": str(v)}, bytes: _bytes, bytearray: _bytes, memoryview: _bytes,
    uuid.UUID: lambda v: {"$u": str(v)}}


def encode_value(v: Any) -> Any:
    """A database value as JSON, type-stable (module docstring)."""
    t = type(v)
    if t in _PLAIN:
        return v
    encoder = _ENCODERS.get(t)
    if encoder is None:
        if isinstance(v, bool | int | str):
            return v
        # datetime before date: a datetime is a date
        encoder = next((e for k, e in sorted(_ENCODERS.items(), key=lambda kv: kv[0] is not datetime)
                        if isinstance(v, k)), None)
        if encoder is None:
            raise BackupError(f"cannot back up a value of type {t.__name__}")
    return encoder(v)


_DECODERS: dict[str, Callable[[str], Any]] = {
    "$b": lambda x: base64.b64decode(x, validate=True), "$d": date.fromisoformat, "$h": time.fromisoformat,
    "$n": Decimal, "$f": float, "$u": uuid.UUID}


def decode_value(v: Any, naive_utc: bool = False) -> Any:
    """The inverse of `encode_value`; `naive_utc`: timestamps as SQLite keeps them."""
    if type(v) is not dict:
        if type(v) is list:
            raise ValueError("a value is never a list")
        return v
    if len(v) != 1:
        raise ValueError("a tagged value has one key")
    ((tag, s),) = v.items()
    if type(s) is not str:
        raise ValueError("a tagged value is a string")
    if tag == "$t":
        t = datetime.fromisoformat(s.removesuffix("Z"))
        return t if naive_utc else t.replace(tzinfo=UTC)
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise ValueError(f"unknown tag {tag}")
    return decoder(s)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_JSON_DECODE = json.JSONDecoder().decode


def _line(obj: Any) -> bytes:
    return _JSON.encode(obj).encode() + b"\n"


# ----------------------------------------------------------------------------- schema
@dataclass
class _Shape:
    """A table as the database has it (columns, primary key, references to itself)."""

    table: sa.Table
    order: list[Any]
    #: nullable single-column references to the table's own single-column primary key
    self_refs: list[str]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.table.columns]


def _shapes(conn: Connection) -> list[_Shape]:
    """Every table of the database's schema, in foreign-key dependency order. Built from
    the inspector's columns and keys (not `MetaData.reflect`, which also reflects the
    indexes and warns on the expression ones)."""
    insp = sa.inspect(conn)
    pg = conn.dialect.name == "postgresql"
    shapes = []
    for name, _fks in insp.get_sorted_table_and_fkc_names():
        if name is None or name in _SKIPPED:
            continue
        cols = insp.get_columns(name)
        pk = list(insp.get_pk_constraint(name).get("constrained_columns") or [])
        table = sa.Table(name, sa.MetaData(), *[
            sa.Column(c["name"], c["type"], primary_key=c["name"] in pk, nullable=bool(c["nullable"]),
                      autoincrement=False) for c in cols])
        # primary-key order, strings byte by byte ("C"), so that the order and the
        # table's hash do not depend on the database's default collation
        keys = [table.c[k] for k in pk] or list(table.c)
        order: list[Any] = [k.collate("C") if pg and isinstance(k.type, sa.String) else k for k in keys]
        nullable = {c["name"] for c in cols if c["nullable"]}
        self_refs = [fk["constrained_columns"][0] for fk in insp.get_foreign_keys(name)
                     if fk["referred_table"] == name and len(fk["constrained_columns"]) == 1
                     and fk["referred_columns"] == pk and len(pk) == 1 and fk["constrained_columns"][0] in nullable]
        shapes.append(_Shape(table, order, self_refs))
    return shapes


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext
    return MigrationContext.configure(conn).get_current_revision()


def _table_lines(conn: Connection, shape: _Shape, batch: int) -> Iterator[list[bytes]]:
    """The table's row lines in primary-key order, a batch at a time (a server-side cursor)."""
    result = conn.execute(sa.select(shape.table).order_by(*shape.order), execution_options={"yield_per": batch})
    for part in result.partitions():
        yield [_line([encode_value(v) for v in row]) for row in part]


def _digest(conn: Connection, shape: _Shape, batch: int) -> TableDigest:
    h = hashlib.sha256()
    n = 0
    for lines in _table_lines(conn, shape, batch):
        for ln in lines:
            h.update(ln)
        n += len(lines)
    return TableDigest(n, h.hexdigest())


def _sequences(conn: Connection) -> dict[str, int]:
    """Where PostgreSQL's sequences stand (also those no column owns, e.g. customer
    numbers): a restore continues from there and never gives a number twice."""
    if conn.dialect.name != "postgresql":
        return {}
    rows = conn.execute(sa.text("SELECT sequencename, last_value FROM pg_sequences "
                                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"))
    return {str(name): int(value) for name, value in rows}


# ----------------------------------------------------------------------------- backup
@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One connection reading every table in one snapshot."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
            return
        # SQLite: the engine's BEGIN IMMEDIATE would take the write lock for the whole
        # backup; a deferred BEGIN is a read transaction, its snapshot taken at its first read
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.exec_driver_sql("ROLLBACK")
            conn.invalidate()  # its isolation level was changed: not for the pool


def backup(engine: Engine, path: Path, key_file: Path, *, out: Out = print, batch: int = BATCH) -> Summary:
    """Write the whole database to `path` (atomically: a temporary file beside it,
    fsync'd, renamed; mode 0600)."""
    keys = key_check_values(key_file)
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise BackupError(f"no such directory: {directory}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)  # 0600
    try:
        with os.fdopen(fd, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw) as gz:
                summary = _write(engine, gz, keys, out, batch)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    out(f"backup written: {path} ({len(summary.tables)} tables, {summary.rows:,} rows, "
        f"schema {summary.revision}, {summary.dialect})")
    return summary


def _write(engine: Engine, gz: gzip.GzipFile, keys: dict[str, dict[str, str]], out: Out, batch: int) -> Summary:
    with _snapshot(engine) as conn:
        revision = _revision(conn)  # the snapshot's first read
        if revision is None:
            raise BackupError("the database has no schema (never initialised): nothing to back up")
        summary = Summary(revision, engine.dialect.name)
        shapes = _shapes(conn)
        gz.write(_line({"format": FORMAT, "version": VERSION, "revision": revision, "dialect": engine.dialect.name,
                        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "keys": keys,
                        "sequences": _sequences(conn)}))
        for shape in shapes:
            gz.write(_line({"table": shape.name, "columns": shape.columns}))
            h = hashlib.sha256()
            n = 0
            for lines in _table_lines(conn, shape, batch):
                chunk = b"".join(lines)
                h.update(chunk)
                gz.write(chunk)
                n += len(lines)
            digest = TableDigest(n, h.hexdigest())
            summary.tables[shape.name] = digest
            gz.write(_line({"table": shape.name, "rows": n, "sha256": digest.sha256}))
            out(f"  {shape.name}: {n:,} rows")
        gz.write(_line({"end": True, "tables": {k: {"rows": d.rows, "sha256": d.sha256}
                                                for k, d in summary.tables.items()}}))
    return summary


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- reading
@dataclass
class _Table:
    name: str
    columns: list[str]


@dataclass
class _Row:
    line: bytes


@dataclass
class _TableEnd:
    name: str
    digest: TableDigest


_Event = _Table | _Row | _TableEnd


def _meta(line: bytes) -> dict[str, Any]:
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("not an object")
    return obj


def read_header(path: Path) -> dict[str, Any]:
    """The backup's header; refuses a file that is not a backup."""
    try:
        with gzip.open(path, "rb") as f:
            first = f.readline(1 << 20)
        header = _meta(first)
    except FileNotFoundError:
        raise BackupError(f"no such file: {path}") from None
    except (OSError, EOFError, zlib.error, ValueError):
        raise BackupError(f"{path} is not a Branch CRM backup") from None
    if header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Branch CRM backup")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        raise BackupError(f"{path} was written by a newer release (backup format {header.get('version')!r}): "
                          "restore it with that release")
    if not isinstance(header.get("revision"), str) or not isinstance(header.get("dialect"), str):
        raise BackupError(f"{path}: the backup's header is malformed")
    return header


def _events(path: Path) -> Iterator[_Event]:
    """The file's tables and rows after the header, checked as they stream past: a
    table's row count and hash against its trailer, the tables against the end line,
    nothing after it, the gzip stream's own CRC and length. Raises BackupError on the
    first inconsistency (a consumer writing as it reads must then roll back)."""
    corrupt = f"{path} is truncated or corrupt"
    seen: dict[str, TableDigest] = {}
    try:
        with gzip.open(path, "rb") as f:
            f.readline()  # the header (read_header)
            current: _Table | None = None
            h = hashlib.sha256()
            n = 0
            ended = False
            for line in f:
                if ended:
                    raise BackupError(f"{corrupt}: data after the end")
                if current is not None and line.startswith(b"["):
                    h.update(line)
                    n += 1
                    yield _Row(line)
                    continue
                meta = _meta(line)
                if current is None and meta.keys() == {"end", "tables"} and meta["end"] is True:
                    listed = {k: TableDigest(int(v["rows"]), str(v["sha256"])) for k, v in meta["tables"].items()}
                    if listed != seen:
                        raise BackupError(f"{corrupt}: its tables do not match its end")
                    ended = True
                elif current is None and meta.keys() == {"table", "columns"}:
                    name, columns = meta["table"], meta["columns"]
                    if not isinstance(name, str) or name in seen or not isinstance(columns, list) \
                            or not all(isinstance(c, str) for c in columns):
                        raise BackupError(f"{corrupt}: a malformed table")
                    current, h, n = _Table(name, columns), hashlib.sha256(), 0
                    yield current
                elif current is not None and meta.keys() == {"table", "rows", "sha256"}:
                    digest = TableDigest(n, h.hexdigest())
                    if meta["table"] != current.name or meta["rows"] != n or meta["sha256"] != digest.sha256:
                        raise BackupError(f"{corrupt}: table {current.name} does not match its check "
                                          f"({n:,} rows read, {meta['rows']!r} written)")
                    seen[current.name] = digest
                    yield _TableEnd(current.name, digest)
                    current = None
                else:
                    raise BackupError(f"{corrupt}: an unexpected line")
            if not ended:
                raise BackupError(f"{corrupt}: it ends before its end")
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{corrupt} ({type(exc).__name__}: {exc})") from None


def verify(path: Path) -> Summary:
    """Read the whole file and check it (every table's rows and hash); what it holds."""
    header = read_header(path)
    summary = Summary(header["revision"], header["dialect"])
    for event in _events(path):
        if isinstance(event, _TableEnd):
            summary.tables[event.name] = event.digest
    return summary


# ----------------------------------------------------------------------------- restore
def _refuse_unless_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        tables = sorted(sa.inspect(conn).get_table_names())
        if not tables:
            return
        if "alembic_version" in tables:
            rev = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            if rev is not None:
                raise BackupError(f"the database is not empty (it has a schema, {rev}): restore needs an empty "
                                  "database")
        for name in tables:
            table = sa.table(name)
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None:
                raise BackupError(f"the database is not empty (table {name} holds rows): restore needs an empty "
                                  "database")
    raise BackupError(f"the database is not empty (it has tables: {', '.join(tables[:5])}"
                      f"{', ...' if len(tables) > 5 else ''}): restore needs an empty database")


def _migrate(conn: Connection, revision: str) -> None:
    """Alembic on the restore's own connection and transaction, without its INFO lines
    (a refusal or failure is then the one line on stderr)."""
    from alembic import command

    from server.migrate import alembic_config
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(max(level, logging.WARNING))
    try:
        command.upgrade(cfg, revision)
    finally:
        alembic_log.setLevel(level)


def _head_and_known(revision: str) -> str:
    """This release's head; refuses a backup of a schema this release does not know."""
    from alembic.script import ScriptDirectory

    from server.migrate import alembic_config
    script = ScriptDirectory.from_config(alembic_config())
    if revision not in {r.revision for r in script.walk_revisions()}:
        raise BackupError(f"the backup's schema ({revision}) is newer than this release's: restore it with the "
                          "release that wrote it, or a newer one")
    head = script.get_current_head()
    assert head is not None
    return head


@contextmanager
def _triggers_off(conn: Connection) -> Iterator[None]:
    """The rows are written as they were: a trigger maintaining other tables (org_tree's
    version, migration 0012) would rewrite what the backup holds of them."""
    q = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        found = [(str(t), str(g)) for t, g in conn.execute(sa.text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND c.relnamespace = current_schema()::regnamespace"))]
        for table, trigger in found:
            conn.exec_driver_sql(f"ALTER TABLE {q(table)} DISABLE TRIGGER {q(trigger)}")
        yield
        for table, trigger in found:
            conn.exec_driver_sql(f"ALTER TABLE {q(table)} ENABLE TRIGGER {q(trigger)}")
        return
    made = [(str(n), str(s)) for n, s in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")]
    for name, _sql in made:  # SQLite cannot disable one: dropped and made again, in the transaction
        conn.exec_driver_sql(f"DROP TRIGGER {q(name)}")
    yield
    for _name, sql in made:
        conn.exec_driver_sql(sql)


def _reset_sequences(conn: Connection, saved: dict[str, int]) -> None:
    """Every sequence where the source's stood, and at least at its column's highest value."""
    if conn.dialect.name != "postgresql":
        return
    q = conn.dialect.identifier_preparer.quote
    rows = conn.execute(sa.text(
        "SELECT s.relname, t.relname, a.attname, ps.seqmin FROM pg_class s "
        "JOIN pg_sequence ps ON ps.seqrelid = s.oid "
        "LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
        "  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "LEFT JOIN pg_class t ON t.oid = d.refobjid "
        "LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace")).all()
    for seq, table, column, minimum in rows:
        values = [saved.get(seq)]
        if table is not None and column is not None:
            values.append(conn.execute(sa.text(f"SELECT max({q(column)}) FROM {q(table)}")).scalar())
        value = max((int(v) for v in values if v is not None), default=None)
        if value is not None and value >= minimum:
            conn.execute(sa.text("SELECT setval(CAST(:s AS regclass), :v)"), {"s": q(seq), "v": value})


def _insert_table(conn: Connection, shape: _Shape, columns: list[str], events: Iterator[_Event], batch: int,
                  naive_utc: bool) -> TableDigest:
    """The table's rows, in batches, until its trailer (checked by `_events`)."""
    table = shape.table
    write = _writer(conn, table, columns)
    pk = table.primary_key.columns.values()[0].name if shape.self_refs else ""
    seen: set[Any] = set()
    later: dict[str, list[dict[str, Any]]] = {c: [] for c in shape.self_refs}
    rows: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, _TableEnd):
            if rows:
                write(rows)
            for col, fixes in later.items():  # references to rows that came later, now there
                if fixes:
                    conn.execute(table.update().where(table.c[pk] == sa.bindparam("_pk"))
                                 .values({col: sa.bindparam("_ref")}), fixes)
            return event.digest
        if not isinstance(event, _Row):
            break
        row = _decode_row(shape.name, columns, event.line, naive_utc)
        if shape.self_refs:
            seen.add(row[pk])
            for col in shape.self_refs:
                if row[col] is not None and row[col] not in seen:
                    later[col].append({"_pk": row[pk], "_ref": row[col]})
                    row[col] = None
        rows.append(row)
        if len(rows) >= batch:
            write(rows)
            rows = []
    raise BackupError(f"table {shape.name} ends early")


def _writer(conn: Connection, table: sa.Table, columns: list[str]) -> Callable[[list[dict[str, Any]]], None]:
    """How a batch of rows goes in: PostgreSQL's COPY (psycopg adapts the decoded values,
    which are the driver's own types; an executemany was three times slower), SQLite's
    executemany through the table's types."""
    if conn.dialect.name != "postgresql":
        def insert(rows: list[dict[str, Any]]) -> None:
            conn.execute(table.insert(), rows)
        return insert
    import psycopg
    q = conn.dialect.identifier_preparer.quote
    sql = f"COPY {q(table.name)} ({', '.join(q(c) for c in columns)}) FROM STDIN"
    driver: Any = conn.connection.driver_connection

    def copy(rows: list[dict[str, Any]]) -> None:
        try:
            with driver.cursor() as cur, cur.copy(sql) as cp:
                for r in rows:
                    cp.write_row([r[c] for c in columns])
        except psycopg.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
    return copy


def _decode_row(table: str, columns: list[str], line: bytes, naive_utc: bool) -> dict[str, Any]:
    try:
        values = _JSON_DECODE(line.decode())
        if type(values) is not list or len(values) != len(columns):
            raise ValueError("not a row of its columns")
        return dict(zip(columns, [decode_value(v, naive_utc) for v in values], strict=True))
    except (ValueError, InvalidOperation) as exc:
        raise BackupError(f"a row of table {table} is malformed ({exc})") from None


def restore(engine: Engine, path: Path, key_file: Path, *, out: Out = print, batch: int = BATCH) -> Summary:
    """Restore the backup at `path` into the empty database of `engine` (module docstring)."""
    path = Path(path)
    header = read_header(path)
    if header["dialect"] != engine.dialect.name:
        raise BackupError(f"this is a backup of a {header['dialect']} database: restore it into {header['dialect']} "
                          f"(not {engine.dialect.name})")
    _refuse_other_keys(header.get("keys"), key_file)
    head = _head_and_known(header["revision"])
    saved = header.get("sequences") or {}
    if not isinstance(saved, dict) or not all(isinstance(v, int) for v in saved.values()):
        raise BackupError(f"{path}: the backup's header is malformed (sequences)")
    expected = verify(path)
    out(f"backup verified: {len(expected.tables)} tables, {expected.rows:,} rows, schema {expected.revision}, "
        f"written {header.get('created_at')}")
    created = _sqlite_file_to_create(engine)
    try:
        _refuse_unless_empty(engine)
        _restore(engine, path, expected, saved, head, out, batch)
    except BaseException:
        if created is not None:
            engine.dispose()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{created}{suffix}").unlink(missing_ok=True)
        raise
    upgraded = f", then migrated to {head}" if head != expected.revision else ""
    out(f"restored {len(expected.tables)} tables, {expected.rows:,} rows from {path} "
        f"(schema {expected.revision}{upgraded}) into {engine.url.render_as_string(hide_password=True)}")
    return expected


def _sqlite_file_to_create(engine: Engine) -> Path | None:
    """The SQLite file a restore will create (removed again if the restore fails)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    p = Path(database)
    return None if p.exists() else p


def _restore(engine: Engine, path: Path, expected: Summary, saved: dict[str, int], head: str, out: Out,
             batch: int) -> None:
    naive_utc = engine.dialect.name == "sqlite"
    with engine.begin() as conn:  # one transaction: all of it, or an empty database
        if naive_utc:
            # references are checked at the commit: a row may name one further down the file
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        _migrate(conn, expected.revision)
        shapes = {s.name: s for s in _shapes(conn)}
        if set(shapes) != set(expected.tables):
            missing, extra = sorted(set(shapes) - set(expected.tables)), sorted(set(expected.tables) - set(shapes))
            raise BackupError(f"the backup's tables do not match schema {expected.revision} "
                              f"(not in the backup: {', '.join(missing) or '-'}; unknown: {', '.join(extra) or '-'})")
        with _triggers_off(conn):
            for shape in reversed(shapes.values()):  # the migrations' own rows: the backup has them as they were
                conn.execute(shape.table.delete())
            events = _events(path)
            for event in events:
                if not isinstance(event, _Table):
                    raise BackupError(f"{path} is truncated or corrupt")
                shape = shapes[event.name]
                if set(event.columns) != set(shape.columns):
                    raise BackupError(f"table {event.name}: the backup's columns do not match schema "
                                      f"{expected.revision}")
                digest = _insert_table(conn, shape, event.columns, events, batch, naive_utc)
                out(f"  {event.name}: {digest.rows:,} rows")
        _reset_sequences(conn, saved)
        for name, shape in shapes.items():  # what is in the database now is what was backed up
            if _digest(conn, shape, batch) != expected.tables[name]:
                raise BackupError(f"table {name} does not read back as it was backed up: nothing restored")
        if head != expected.revision:
            _migrate(conn, head)
        auditchain.rebase(conn)  # the source cluster's transaction ids mean nothing here


# ----------------------------------------------------------------------------- the commands
def _failure(exc: SQLAlchemyError) -> str:
    """The driver's first line (never its DETAIL, which can quote a row's values), redacted."""
    from server.logs import redact
    orig = getattr(exc, "orig", None)
    first = (str(orig or exc).splitlines() or [""])[0][:200]
    return f"database error ({type(orig or exc).__name__}: {redact(first)})"


def run_backup(url: str, path: Path, key_file: Path, *, out: Out = print, err: Out = print) -> int:
    """`crm-server backup FILE`: 0, or non-zero with one line on `err`."""
    from server.db import make_engine
    engine = make_engine(url)
    try:
        backup(engine, path, key_file, out=out)
    except BackupError as exc:
        err(f"backup refused: {exc}")
        return 2
    except SQLAlchemyError as exc:
        err(f"backup failed: {_failure(exc)}")
        return 1
    except OSError as exc:
        err(f"backup failed: {exc}")
        return 1
    finally:
        engine.dispose()
    return 0


def run_restore(url: str, path: Path, key_file: Path, app_role: str, *, out: Out = print, err: Out = print) -> int:
    """`crm-server restore FILE`: 0, or non-zero with one line on `err` (the database
    stays empty)."""
    from server.db import make_engine, prepare_app_role
    engine = make_engine(url)
    try:
        try:
            restore(engine, path, key_file, out=out)
        except BackupError as exc:
            err(f"restore refused: {exc}")
            return 2
        except SQLAlchemyError as exc:
            err(f"restore failed, nothing restored: {_failure(exc)}")
            return 1
        except OSError as exc:
            err(f"restore failed, nothing restored: {exc}")
            return 1
        try:  # as `init` does: the application's own role, with its grants
            if prepare_app_role(engine, app_role):
                out(f"the server will act as the PostgreSQL role {app_role} (no superuser powers)")
        except SQLAlchemyError as exc:
            err(f"restored, but the application role {app_role} could not be prepared (run `crm-server init`): "
                f"{_failure(exc)}")
            return 1
    finally:
        engine.dispose()
    return 0
