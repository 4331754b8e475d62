"""Everything the import derives from customers' names — the sort code, sort key and
search keys of server/search.py — computed once per distinct name and written in bulk.

This is the one module of the import that knows how names are indexed: `NameTable`
collects the distinct names of a file while it is staged, computes each name's entry
(`entry`: `server.search.index_entry`, what the API's writes use) — in worker processes
for a big file, while the database is busy with the staging and the checks — loads the
entries into a temporary table `imp_name (name, sort_code, sort_key, keys)` (keys a
text[] on PostgreSQL, joined by SEP on SQLite), and `write_keys` turns the entries into
`customer_search_key` rows for a set of customers with one INSERT … SELECT.
Names repeat (2 million customers have about 1.2 million distinct names), so keying the
work by name saves a third of it. The sort code and sort key travel into the customer
row (`CUSTOMER_COLUMNS`), the sort code also into each key row.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from multiprocessing.pool import AsyncResult
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from server.search import index_entry

#: Separates the keys of one name in `imp_name.keys`. A name holding it has control
#: characters, so it is rejected and its entry never used.
SEP = "\x1f"
TABLE = "imp_name"
#: Customer columns that come from the name: column -> expression over `imp_name n`.
CUSTOMER_COLUMNS = {"sort_code": "n.sort_code", "sort_key": "n.sort_key"}
#: Below this many distinct names the entries are computed in this process.
PARALLEL_MIN_NAMES = 20_000
_CHUNK = 5_000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def entry(name: str) -> tuple[int, str, str]:
    """(sort code, sort key, search keys joined by SEP) of a name, as the API writes them."""
    e = index_entry(name)
    return e.sort_code, e.sort_key, SEP.join(sorted(e.keys))


_NEEDS_COPY_ESCAPE = re.compile(r"[\\\t\n\r]")


def _array(keys: frozenset[str] | set[str]) -> str:
    """A PostgreSQL text[] literal of the keys, every element quoted."""
    if not keys:
        return "{}"
    joined = '","'.join(keys)
    if joined.count('"') != 2 * (len(keys) - 1) or "\\" in joined:  # a key holds a quote or backslash
        joined = '","'.join(k.replace("\\", "\\\\").replace('"', '\\"') for k in keys)
    return '{"' + joined + '"}'


def _copy_text(names: list[str]) -> bytes:
    """Entries as COPY text rows `name, sort_code, sort_key, keys[]` (in a worker process)."""
    out: list[str] = []
    append = out.append
    for n in names:
        e = index_entry(n)
        keys = _array(e.keys)
        if _NEEDS_COPY_ESCAPE.search(n) is None and "\\" not in keys:
            append(f"{n}\t{e.sort_code}\t{e.sort_key}\t{keys}\n")
        else:  # the name's own backslash, tab or line break, or an escaped key
            append("\t".join(v.translate(_COPY_ESCAPES) for v in (n, str(e.sort_code), e.sort_key, keys)) + "\n")
    return "".join(out).encode("utf-8")


class NameTable:
    """The distinct names of one import and their entries."""

    def __init__(self, db: Session, *, submit: Callable[..., AsyncResult[Any]] | None = None) -> None:
        """`submit(fn, args)` runs work in worker processes (None: here, at `load`)."""
        self._db = db
        self._pg = db.get_bind().dialect.name == "postgresql"
        self._seen: set[str] = set()
        self._pending: list[str] = []
        self._submit_to = submit if self._pg else None
        self._results: list[AsyncResult[Any]] = []

    # ------------------------------------------------------------------ collecting
    def add(self, names: Iterable[str | None]) -> None:
        for n in names:
            if n and n not in self._seen:
                self._seen.add(n)
                self._pending.append(n)

    def start(self) -> None:
        """Hand the names collected so far to the workers (their entries are only needed
        once customers are inserted: meanwhile the database checks the rows)."""
        if self._submit_to is not None and self._pending:
            self._submit()

    def _submit(self) -> None:
        assert self._submit_to is not None
        for i in range(0, len(self._pending), _CHUNK):
            self._results.append(self._submit_to(_copy_text, (self._pending[i:i + _CHUNK],)))
        self._pending = []

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        """Create and fill `imp_name` with every name collected so far."""
        db = self._db
        db.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        if self._pg:
            db.execute(text(f"CREATE TEMP TABLE {TABLE} (name text, sort_code bigint, sort_key text COLLATE \"C\", "
                            "keys text[])"))
            if self._submit_to is not None and self._pending:
                self._submit()
            with _raw(db).cursor() as cur, cur.copy(f"COPY {TABLE} (name, sort_code, sort_key, keys) FROM STDIN") as cp:
                for r in self._results:
                    cp.write(r.get())
                if self._pending:
                    cp.write(_copy_text(self._pending))
            db.execute(text(f"ANALYZE {TABLE}"))
        else:
            db.execute(text(f"CREATE TEMP TABLE {TABLE} (name TEXT PRIMARY KEY, sort_code BIGINT, sort_key TEXT, "
                            "keys TEXT)"))
            self._insert(self._pending)
        self._pending, self._results = [], []

    def _insert(self, names: list[str]) -> None:
        if names:
            rows = [{"n": n, "c": code, "s": sk, "k": [k for k in keys.split(SEP) if k] if self._pg else keys}
                    for n, (code, sk, keys) in ((n, entry(n)) for n in names)]
            self._db.execute(text(f"INSERT INTO {TABLE} (name, sort_code, sort_key, keys) VALUES (:n, :c, :s, :k)"),
                             rows)

    def drop(self) -> None:
        self._db.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))

    # ------------------------------------------------------------------ writing
    def write_keys(self, where: str, params: dict[str, Any] | None = None, *, replace: bool) -> int:
        """The search keys of the customers `where` (SQL over `customer c`) selects, as
        they are now, after deleting their old keys when `replace`. Returns the number of
        key rows written. Every name must be loaded (`load`)."""
        db, params = self._db, params or {}
        customers_sql = f"SELECT c.id, c.name, c.org_id, c.sort_code FROM customer c WHERE {where}"
        if replace:
            db.execute(text(f"DELETE FROM customer_search_key WHERE customer_id IN (SELECT c.id FROM "
                            f"({customers_sql}) c)"), params)
        if self._pg:
            # unnest in the select list (a ProjectSet), not in FROM: a function scan per
            # customer fills and reads a tuplestore of its few keys (12.1 s instead of 14.9 s
            # at 2 M customers, docs/PERFORMANCE.md)
            res = db.execute(text(
                "INSERT INTO customer_search_key (sort_code, customer_id, org_id, key) "
                f"SELECT c.sort_code, c.id, c.org_id, unnest(n.keys) FROM ({customers_sql}) c "
                f"JOIN {TABLE} n ON n.name = c.name"), params)
            return int(getattr(res, "rowcount", 0) or 0)
        rows = [{"k": k, "c": cid, "o": org, "s": code}
                for cid, org, code, keys in db.execute(text(
                    f"SELECT c.id, c.org_id, c.sort_code, n.keys FROM ({customers_sql}) c "
                    f"JOIN {TABLE} n ON n.name = c.name"), params)
                for k in (keys or "").split(SEP) if k]
        if rows:
            db.execute(text("INSERT INTO customer_search_key (sort_code, customer_id, org_id, key) "
                            "VALUES (:s, :c, :o, :k)"), rows)
        return len(rows)


def _raw(db: Session) -> Any:
    """The session's psycopg connection (for COPY)."""
    return db.connection().connection.driver_connection
