"""The core-banking import engine (R-701 … R-703): one file, one batch, one transaction.

A kind (customers now; accounts and transactions later) declares its columns, its
set-based checks and its merge (`Kind`); the engine does the rest the same way for all:

1. **Batch identity.** (kind, business date, sequence) names the batch. Its row in
   `import_batch` is inserted or locked first, so two imports of one batch queue; an
   applied batch is answered `already_imported` and nothing else happens.
2. **Staging.** The file's data rows go into the temporary table `imp_raw (line, <the
   columns as text>)`: on PostgreSQL with one COPY of the file's own bytes (nothing per
   row in Python); should COPY refuse the data (a row with the wrong number of fields, a
   NUL, a record spanning lines), the file is parsed here instead and each malformed
   row rejected. SQLite gets the parsed rows by executemany.
3. **Control totals.** The header must name the columns and the trailer
   `TRAILER,<rows>,<sum>` must match what was read, or the file is `refused`.
4. **Checks.** The kind rejects rows set-based (into `imp_reject (line, field, code,
   message)`). More rejected rows than the `import-limits` parameter allows: `failed`.
5. **Merge.** The kind applies the rest with INSERT … SELECT / UPDATE … FROM inside a
   savepoint; an error there rolls it back whole (`failed`).

The batch row, its rejects and one audit row (`import.<kind>`) are committed with the
merge, so a batch is applied entirely or not at all.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast

from sqlalchemy import Date, Engine, Result, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from server.context import Actor, Principal
from server.imports import files
from server.imports.files import FileRefused, SourceFile
from server.models import ImportBatch, ImportReject
from server.models.base import UtcDateTime, utcnow
from server.services import audit, parameters
from shared.parameters import IMPORT_LIMITS, ImportLimits

log = logging.getLogger("crm.import")

APPLIED, REFUSED, FAILED, ALREADY_IMPORTED = "applied", "refused", "failed", "already_imported"
#: Why a batch failed (`error_code`).
REJECTS_ABOVE_LIMIT = "import.rejects_above_limit"
INTERNAL_ERROR = "import.internal_error"
#: A row-level reject code of the engine: a NUL or other control character.
CONTROL_CHARACTERS = "field.control_characters"

#: A file at least this big is worked on by worker processes beside the database.
BIG_FILE_BYTES = 8 << 20
RAW = "imp_raw"
REJECTS = "imp_reject"
_RUNNING = "running"


# ----------------------------------------------------------------------------- results
@dataclass
class Outcome:
    """What an import did; `contract()` is the answer's shape (CONTRACT.md)."""

    id: int
    kind: str
    business_date: date
    sequence: int
    status: str
    read: int
    applied: int
    duplicate: int
    rejected: int
    control_rows: int | None
    control_amount: str | None
    duration_ms: int
    error_code: str | None = None
    created: int = 0
    updated: int = 0
    notes: list[str] = field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        d = asdict(self)
        d["business_date"] = self.business_date.isoformat()
        return {k: d[k] for k in ("id", "kind", "business_date", "sequence", "status", "read", "applied",
                                  "duplicate", "rejected", "control_rows", "control_amount", "duration_ms")}


@dataclass
class Merged:
    created: int = 0
    updated: int = 0
    #: Rows that matched a record holding exactly these values already.
    unchanged: int = 0


class Progress(Protocol):
    def stage(self, name: str) -> None: ...

    def rows(self, rows: int, done_bytes: int, total_bytes: int) -> None: ...


class _Silent:
    def stage(self, name: str) -> None:
        pass

    def rows(self, rows: int, done_bytes: int, total_bytes: int) -> None:
        pass


# ----------------------------------------------------------------------------- kinds
@dataclass
class Context:
    """What a kind works with: the session (one transaction), the batch, the clock."""

    db: Session
    batch_id: int
    today: date
    now: datetime
    created_by: int | None
    progress: Progress
    #: The file is big (worth worker processes, index rebuilds).
    big: bool
    rows_read: int = 0
    #: Tables whose indexes a bulk load rebuilt (`indexes_deferred`): vacuumed after the commit.
    rebuilt: list[str] = field(default_factory=list)
    _pool: Any = None

    @property
    def pg(self) -> bool:
        return self.db.get_bind().dialect.name == "postgresql"

    def sql(self, statement: str,
            params: dict[str, Any] | list[dict[str, Any]] | None = None) -> Result[*tuple[Any, ...]]:
        """Run SQL text; datetime and date parameters are bound as the models store them."""
        stmt = text(statement)
        if isinstance(params, dict):
            typed = [bindparam(k, type_=UtcDateTime() if isinstance(v, datetime) else Date())
                     for k, v in params.items() if isinstance(v, date)]
            if typed:
                stmt = stmt.bindparams(*typed)
        return self.db.execute(stmt, params or {})

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> AsyncResult[Any]:
        """Run `fn(*args)` in one of the import's worker processes (started on first use,
        one per core: the database works on the file meanwhile)."""
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(max(1, min(2, os.cpu_count() or 1)))
        return cast("AsyncResult[Any]", self._pool.apply_async(fn, args))

    def close_pool(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def reject(self, rows: Iterable[tuple[int, str | None, str, str]]) -> None:
        """Rejects found in Python: (line, field, code, message)."""
        batch = [{"l": ln, "f": f, "c": c, "m": m[:300]} for ln, f, c, m in rows]
        if batch:
            self.sql(f"INSERT INTO {REJECTS} (line, field, code, message) VALUES (:l, :f, :c, :m)", batch)


class Kind:
    """One kind of file. Subclasses set `name` and `columns` (the header, in order) and
    implement `check` (reject rows, set-based, into `imp_reject`) and `merge` (apply the
    rows that are left, set-based). `imp_raw` holds the staged rows: `line` and one text
    column per file column, NULL for an empty field."""

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    #: The column the trailer's sum adds up; None: the trailer's sum must be 0.
    amount_column: ClassVar[str | None] = None

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def scan_chunk(self, start_line: int, chunk: bytes) -> None:
        """Raw CSV lines (the first is line `start_line`) on their way into COPY, to start
        work on them while the database stages them."""

    def scan_record(self, line: int, fields: list[str]) -> None:
        """A parsed row (all its fields, '' for empty) on its way into the staging table."""

    def control_amount(self) -> Decimal:
        if self.amount_column is None:
            return Decimal(0)
        total = self.ctx.sql(f"SELECT sum(CAST({self.amount_column} AS NUMERIC)) FROM {RAW}").scalar()
        return Decimal(total or 0)

    def check(self) -> None:
        raise NotImplementedError

    def merge(self) -> Merged:
        raise NotImplementedError

    def drop_tables(self) -> None:
        """Drop the kind's own temporary tables."""


KINDS: dict[str, type[Kind]] = {}


def kind(cls: type[Kind]) -> type[Kind]:
    """Register a kind under its `name`."""
    KINDS[cls.name] = cls
    return cls


# ----------------------------------------------------------------------------- running
def run_import(factory: sessionmaker[Session], kind_name: str, path: Path, business_date: date,
               sequence: int = 1, *, actor: Actor | Principal | None = None,
               progress: Progress | None = None) -> Outcome:
    """Import one file as batch (kind_name, business_date, sequence) and commit."""
    from server.imports import customers  # noqa: F401  (registers the kinds)
    kind_cls = KINDS[kind_name]
    progress = progress or _Silent()
    t0 = time.perf_counter()
    now = utcnow()
    created_by = None if actor is None else actor.user_id
    source = SourceFile(path, kind_cls.columns)
    with factory() as db:
        batch = _claim(db, kind_name, business_date, sequence, now)
        if batch.status == APPLIED:
            out = _outcome(batch, ALREADY_IMPORTED, t0)
            if batch.file_sha256 != files.sha256_of(path):
                out.notes.append("this file differs from the one imported as this batch (SHA-256)")
            db.rollback()
            return out
        db.execute(delete(ImportReject).where(ImportReject.batch_id == batch.id))
        for attr, value in {"status": _RUNNING, "error_code": None, "file_name": path.name[:255], "file_sha256": "",
                     "read": 0, "applied": 0, "duplicate": 0, "rejected": 0, "control_rows": None,
                     "control_amount": None, "created_by": created_by, "started_at": now, "finished_at": None,
                     "duration_ms": None}.items():
            setattr(batch, attr, value)
        db.flush()
        pg = db.get_bind().dialect.name == "postgresql"
        if pg:
            _tune(db)
        ctx = Context(db, batch.id, date.today(), now, created_by, progress, big=source.size >= BIG_FILE_BYTES)
        db.execute(text(f"DROP TABLE IF EXISTS {REJECTS}"))
        db.execute(text(f"CREATE TEMP TABLE {REJECTS} (line INTEGER, field VARCHAR(40), code VARCHAR(60), "
                        "message VARCHAR(300))"))
        k = kind_cls(ctx)
        merged = Merged()
        try:
            checked = _stage_and_check(ctx, k, source)
            status, error = checked.status, checked.error
            batch.control_rows, batch.control_amount = checked.control_rows, checked.control_amount
            batch.file_sha256 = source.sha256 or files.sha256_of(path)
            if status is None:
                rejected = _rejected_lines(db)
                limits = cast(ImportLimits, parameters.current(db, IMPORT_LIMITS)[1])
                limit = Decimal(limits.max_reject_ratio)
                if rejected > limit * ctx.rows_read:
                    status, error = FAILED, REJECTS_ABOVE_LIMIT
                else:
                    progress.stage("applying")
                    try:
                        with db.begin_nested():
                            merged = k.merge()
                        status = APPLIED
                    except Exception as exc:
                        _log_failure(batch.id, exc)
                        status, error, merged = FAILED, INTERNAL_ERROR, Merged()
            batch.status, batch.error_code = status, error
            batch.read = ctx.rows_read
            db.execute(text(f"INSERT INTO import_reject (batch_id, line, field, code, message) SELECT :b, line, "
                            f"field, code, message FROM {REJECTS} ORDER BY line"), {"b": batch.id})
            batch.rejected = _rejected_lines(db)
            batch.applied = merged.created + merged.updated
            batch.duplicate = merged.unchanged
            batch.finished_at = utcnow()
            batch.duration_ms = int((time.perf_counter() - t0) * 1000)
            outcome = _outcome(batch, status, t0)
            outcome.created, outcome.updated = merged.created, merged.updated
            who: dict[str, Any] = {"who": actor} if actor is not None else {"actor_name": "operator"}
            audit.record(db, f"import.{kind_name}", **who, object_type="import_batch", object_id=batch.id,
                         outcome="success" if status == APPLIED else status, business_date=business_date,
                         sequence=sequence, status=status, error_code=error, read=batch.read,
                         applied=batch.applied, created=merged.created, updated=merged.updated,
                         duplicate=batch.duplicate, rejected=batch.rejected, file_sha256=batch.file_sha256)
            _drop(db, k)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        finally:
            ctx.close_pool()
    if ctx.rebuilt and status == APPLIED:
        _vacuum(factory, ctx.rebuilt, progress)
    outcome.duration_ms = int((time.perf_counter() - t0) * 1000)
    return outcome


def _vacuum(factory: sessionmaker[Session], tables: Sequence[str], progress: Progress) -> None:
    """After a bulk load has committed: VACUUM the rebuilt tables, so that their
    visibility maps say every page is all-visible and a key's index-only walk reads no
    heap page (the key rows are not in key order: sorting 14 million of them cost more
    than the primary key's own sort; docs/PERFORMANCE.md). Reads and writes go on
    meanwhile. Skipped when the sessions are bound to one connection (a caller's
    transaction, as in the tests): VACUUM cannot run inside one."""
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        return
    progress.stage("vacuuming")
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        q = conn.dialect.identifier_preparer.quote
        for t in tables:
            conn.execute(text(f"VACUUM {q(t)}"))


@dataclass
class _Checked:
    status: str | None = None
    error: str | None = None
    control_rows: int | None = None
    control_amount: str | None = None


def _stage_and_check(ctx: Context, k: Kind, source: SourceFile) -> _Checked:
    """Stage the file and run the kind's checks; status None: the batch may be merged.
    A refused file leaves one reject naming what is wrong with it."""
    db = ctx.db
    out = _Checked()
    try:
        with db.begin_nested():
            source.check_header()
            ctx.progress.stage("reading")
            ctx.rows_read = _stage(ctx, k, source)
            trailer = source.trailer()
            out.control_rows, out.control_amount = trailer.rows, f"{trailer.amount:.2f}"
            if trailer.rows != ctx.rows_read:
                raise FileRefused(files.TRAILER_MISMATCH, f"The trailer counts {trailer.rows} rows, the file has "
                                                          f"{ctx.rows_read}", trailer.line)
            amount = k.control_amount()
            if trailer.amount != amount:
                raise FileRefused(files.TRAILER_MISMATCH, f"The trailer's sum is {trailer.amount}, the rows add up "
                                                          f"to {amount}", trailer.line)
            ctx.progress.stage("checking")
            k.check()
    except FileRefused as r:
        ctx.reject([(r.line, None, r.code, r.message)])
        out.status, out.error = REFUSED, r.code
    except Exception as exc:
        _log_failure(ctx.batch_id, exc)
        out.status, out.error = FAILED, INTERNAL_ERROR
    return out


def _claim(db: Session, kind_name: str, business_date: date, sequence: int, now: datetime) -> ImportBatch:
    """The batch's row, inserted if new, locked either way: a second import of the same
    batch waits here until the first has committed, then sees what it did."""
    values = {"kind": kind_name, "business_date": business_date, "sequence": sequence, "status": _RUNNING,
              "file_sha256": "", "read": 0, "applied": 0, "duplicate": 0, "rejected": 0, "started_at": now}
    ins = (pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert)(ImportBatch)
    db.execute(ins.values(**values).on_conflict_do_nothing(index_elements=["kind", "business_date", "sequence"]))
    return db.scalars(select(ImportBatch).where(ImportBatch.kind == kind_name,
                                                ImportBatch.business_date == business_date,
                                                ImportBatch.sequence == sequence)
                      .with_for_update().execution_options(populate_existing=True)).one()


def _outcome(b: ImportBatch, status: str, t0: float) -> Outcome:
    return Outcome(b.id, b.kind, b.business_date, b.sequence, status, b.read, b.applied, b.duplicate, b.rejected,
                   b.control_rows, b.control_amount, int((time.perf_counter() - t0) * 1000), b.error_code)


def _rejected_lines(db: Session) -> int:
    return int(db.execute(text(f"SELECT count(DISTINCT line) FROM {REJECTS}")).scalar() or 0)


def _tune(db: Session) -> None:
    """Memory for the big sorts, hashes and index builds of one import (this transaction only)."""
    for stmt in ("SET LOCAL work_mem = '1GB'", "SET LOCAL maintenance_work_mem = '2GB'"):
        db.execute(text(stmt))
    try:  # only before the session's first temporary table
        with db.begin_nested():
            db.execute(text("SET LOCAL temp_buffers = '1GB'"))
    except Exception:
        pass


def _drop(db: Session, k: Kind) -> None:
    k.drop_tables()
    for t in (RAW, REJECTS):
        db.execute(text(f"DROP TABLE IF EXISTS {t}"))


# ----------------------------------------------------------------------------- big loads
@contextmanager
def indexes_deferred(ctx: Context, tables: Sequence[tuple[str, bool]], *, enabled: bool) -> Iterator[bool]:
    """For a load that several times outgrows what a table holds: drop the tables'
    secondary indexes, unique constraints and foreign keys (and the primary key where
    its flag says so), let the caller insert, then build them again — one sort per
    index and one check per foreign key instead of index and trigger work per row. The
    tables stay locked (ACCESS EXCLUSIVE) until the import commits. Does nothing (yields
    False) unless `enabled`, on PostgreSQL, and the import's role owns the tables."""
    db = ctx.db
    if not (enabled and ctx.pg and all(db.execute(text(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class WHERE oid = CAST(:t AS regclass)"),
            {"t": t}).scalar() for t, _pk in tables)):
        yield False
        return
    q = db.get_bind().dialect.identifier_preparer.quote
    saved: list[tuple[str, str, str, str]] = []  # (table, kind, name, definition)
    for t, drop_pk in tables:
        for name, contype, definition in db.execute(text(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f') ORDER BY contype"), {"t": t}):
            if contype != "p" or drop_pk:
                saved.append((t, contype, name, definition))
        for name, definition in db.execute(text(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = CAST(:t AS regclass) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"), {"t": t}):
            saved.append((t, "i", name, definition))
    order = {"f": 0, "u": 1, "p": 2, "i": 3}
    for t, kind_, name, _d in sorted(saved, key=lambda s: order[s[1]]):
        db.execute(text(f"DROP INDEX {q(name)}" if kind_ == "i" else f"ALTER TABLE {q(t)} DROP CONSTRAINT {q(name)}"))
    yield True
    ctx.rebuilt += [t for t, _pk in tables]
    for t, kind_, name, definition in sorted(saved, key=lambda s: -order[s[1]]):
        ctx.progress.stage(f"{'checking' if kind_ == 'f' else 'building'} {name}")
        db.execute(text(definition if kind_ == "i" else f"ALTER TABLE {q(t)} ADD CONSTRAINT {q(name)} {definition}"))
    ctx.progress.stage("analysing")
    for t, _pk in tables:
        db.execute(text(f"ANALYZE {q(t)}"))


# ----------------------------------------------------------------------------- staging
class _NotPlain(Exception):
    """COPY took the file but its records do not map one to one onto lines."""


def _stage(ctx: Context, k: Kind, source: SourceFile) -> int:
    """Stage the data rows into `imp_raw`; returns the number of data rows read."""
    db = ctx.db
    cols = k.columns
    db.execute(text(f"DROP TABLE IF EXISTS {RAW}"))
    db.execute(text(f"CREATE TEMP TABLE {RAW} (line INTEGER, " + ", ".join(f"{c} TEXT" for c in cols) + ")"))
    if ctx.pg:
        import psycopg
        try:
            with db.begin_nested():
                return _copy_plain(ctx, k, source)
        except (psycopg.Error, _NotPlain) as exc:
            log.info("import: COPY did not take the file as it is (%s); parsing it row by row", type(exc).__name__)
    return _stage_parsed(ctx, k, source)


def _copy_plain(ctx: Context, k: Kind, source: SourceFile) -> int:
    from psycopg.copy import QueuedLibpqWriter
    db = ctx.db
    db.execute(text("DROP SEQUENCE IF EXISTS imp_line"))
    db.execute(text(f"CREATE TEMP SEQUENCE imp_line START 2 OWNED BY {RAW}.line"))
    db.execute(text(f"ALTER TABLE {RAW} ALTER COLUMN line SET DEFAULT nextval('imp_line')"))
    conn = db.connection().connection.driver_connection
    assert conn is not None
    line = 2
    with conn.cursor() as cur:
        with cur.copy(f"COPY {RAW} ({', '.join(k.columns)}) FROM STDIN (FORMAT csv)",
                      writer=QueuedLibpqWriter(cur)) as cp:
            for chunk in source.raw_chunks():
                cp.write(chunk)
                k.scan_chunk(line, chunk)
                line = 2 + source.data_lines
                ctx.progress.rows(source.data_lines, source.bytes_read, source.size)
        staged = cur.rowcount
    if staged != source.data_lines:
        raise _NotPlain()
    ctx.progress.rows(staged, source.size, source.size)
    return int(staged)


def _stage_parsed(ctx: Context, k: Kind, source: SourceFile) -> int:
    db = ctx.db
    cols = k.columns
    n = len(cols)
    read = 0
    bad: list[tuple[int, str | None, str, str]] = []
    rows: list[tuple[Any, ...]] = []
    copy_cm: Any = None
    cp: Any = None
    if ctx.pg:
        conn = db.connection().connection.driver_connection
        assert conn is not None
        cur = conn.cursor()
        copy_cm = cur.copy(f"COPY {RAW} (line, {', '.join(cols)}) FROM STDIN")
        cp = copy_cm.__enter__()
    insert_sql = text(f"INSERT INTO {RAW} (line, {', '.join(cols)}) VALUES (:line, "
                      + ", ".join(f":{c}" for c in cols) + ")")

    def flush() -> None:
        if rows and cp is None:
            db.execute(insert_sql, [{"line": r[0], **dict(zip(cols, r[1:], strict=True))} for r in rows])
        rows.clear()

    try:
        for line, fields in source.records():
            read += 1
            if len(fields) != n:
                bad.append((line, None, files.ROW_COLUMNS, f"Expected {n} fields, found {len(fields)}"))
                continue
            nul = next((c for c, v in zip(cols, fields, strict=True) if "\x00" in v), None)
            if nul is not None:
                bad.append((line, nul, CONTROL_CHARACTERS, "Contains control characters"))
                continue
            k.scan_record(line, fields)
            row = (line, *[v if v != "" else None for v in fields])
            if cp is not None:
                cp.write_row(row)
            else:
                rows.append(row)
                if len(rows) >= 5000:
                    flush()
            if read % 20000 == 0:
                ctx.progress.rows(read, source.bytes_read, source.size)
        flush()
    except BaseException as exc:
        if copy_cm is not None:
            copy_cm.__exit__(type(exc), exc, exc.__traceback__)
            copy_cm = None
        raise
    finally:
        if copy_cm is not None:
            copy_cm.__exit__(None, None, None)
    ctx.reject(bad)
    ctx.progress.rows(read, source.size, source.size)
    return read


# ----------------------------------------------------------------------------- failures
def _log_failure(batch_id: int, exc: BaseException) -> None:
    """The traceback for the server log without SQL parameters or the driver's message
    (they may quote customer data): for a database error its type and SQL text only."""
    parts: list[str] = []
    e: BaseException | None = exc
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        tb = "".join(traceback.format_tb(e.__traceback__))
        if isinstance(e, StatementError):
            orig = type(e.orig).__name__ if e.orig is not None else "-"
            parts.append(f"{tb}{type(e).__name__} ({orig}) in SQL: {e.statement}")
            break
        if type(e).__module__.startswith("psycopg"):
            parts.append(f"{tb}{type(e).__name__} (SQLSTATE {getattr(e, 'sqlstate', None)})")
            break
        parts.append(f"{tb}{type(e).__name__}: {e}")
        e = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    log.error("import batch %s failed:\n%s", batch_id, "\n-- caused by / during --\n".join(reversed(parts)))


