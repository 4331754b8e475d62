"""How a hot read's statements reach the database, without a thread hand-off.

The request path's hottest routes (a customer search, opening a customer, `/auth/me`,
and the session check in front of them) are written once, as `async` service functions
over an `Executor`, with the same SQLAlchemy Core statements the rest of the server uses:

* `PsycopgExecutor` (PostgreSQL, in the server): the statement is compiled once per
  shape (SQLAlchemy's own cache key, the engine's dialect, its bind and result
  processors) and sent on a connection of psycopg's own asyncio pool (`AsyncDatabase`),
  in autocommit, straight from the event loop. Measured on this machine (bench/
  sync_vs_async.py, docs/PERFORMANCE.md): a session check and a look-up cost 0.32 ms of
  server CPU this way, 0.56 ms through SQLAlchemy's AsyncConnection, 0.86 ms through an
  AsyncSession and 1.6 ms through a Session in a worker thread.
* `SessionExecutor` (SQLite, and the tests' transaction-per-test sessions): the same
  statements through the request's Session in a worker thread, so what the tests see is
  what these functions do.

Rows come back with attribute access by the statement's column labels (either a
SQLAlchemy Row or, from psycopg, a named tuple), which the schema mappers read alike.
Only SELECT, and INSERT/UPDATE of explicit values: Python-side column defaults are not
applied here (`audit.append` gives every column), nor is the ORM unit of work.
"""
from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from starlette.concurrency import run_in_threadpool

from server.crypto import FieldCipher, cipher_of

#: Values for a statement's unvalued `bindparam()`s, as `Session.execute` takes them.
Params = dict[str, Any] | None


class Executor(Protocol):
    """A request's way to its database for the async services (see the module doc)."""

    #: Identifies the database (the process-wide caches are keyed by it).
    database: Any

    @property
    def cipher(self) -> FieldCipher:
        """The key file's cipher (audit rows carry a MAC)."""
        ...

    async def all(self, stmt: Executable, params: Params = None) -> Sequence[Any]: ...

    async def first(self, stmt: Executable, params: Params = None) -> Any | None: ...

    async def scalar(self, stmt: Executable, params: Params = None) -> Any: ...

    async def scalars(self, stmt: Executable, params: Params = None) -> list[Any]: ...

    async def run(self, stmt: Executable, params: Params = None) -> int:
        """A write (its rowcount): autocommitted on PostgreSQL, in the request's unit of work otherwise."""
        ...


# ----------------------------------------------------------------------------- the Session way
class SessionExecutor:
    """The statements through the request's Session, one worker-thread hop each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        bind = session.get_bind()
        self.database = bind.engine.url

    @property
    def cipher(self) -> FieldCipher:
        return cipher_of(self.session)

    async def all(self, stmt: Executable, params: Params = None) -> Sequence[Any]:
        return await run_in_threadpool(lambda: self.session.execute(stmt, params).all())

    async def first(self, stmt: Executable, params: Params = None) -> Any | None:
        return await run_in_threadpool(lambda: self.session.execute(stmt, params).first())

    async def scalar(self, stmt: Executable, params: Params = None) -> Any:
        return await run_in_threadpool(self.session.scalar, stmt, params)

    async def scalars(self, stmt: Executable, params: Params = None) -> list[Any]:
        return await run_in_threadpool(lambda: list(self.session.scalars(stmt, params)))

    async def run(self, stmt: Executable, params: Params = None) -> int:
        result = await run_in_threadpool(self.session.execute, stmt, params)
        return int(getattr(result, "rowcount", 0) or 0)


# ----------------------------------------------------------------------------- the psycopg way
class _Prepared:
    """A statement shape compiled once: its SQL, how to build its parameters, its rows."""

    __slots__ = ("compiled", "expanding", "expansions", "postcompile", "results", "row")

    def __init__(self, compiled: SQLCompiler, dialect: Dialect) -> None:
        self.compiled = compiled
        self.postcompile = bool(compiled.literal_execute_params or compiled.post_compile_params)
        self.expanding = sorted(compiled.bind_names[b] for b in compiled.post_compile_params)
        if compiled.literal_execute_params or any(not b.expanding for b in compiled.post_compile_params):
            raise ValueError("literal-execute parameters are not supported here; use expanding IN lists only")
        #: lengths of the IN lists -> (SQL, each list's parameter names, processors)
        self.expansions: dict[tuple[int, ...], tuple[str, Any, dict[str, Any]]] = {}
        columns = compiled._result_columns  # (keyname, name, objects, type) of each selected column
        names = [c[0] for c in columns]
        self.row: Any = namedtuple("Row", names, rename=True) if names else None
        procs = [c[3]._cached_result_processor(dialect, None) for c in columns]
        self.results: list[tuple[int, Callable[[Any], Any]]] = [(i, p) for i, p in enumerate(procs) if p]

    def sql_and_params(self, extracted: Sequence[Any] | None, values: Params) -> tuple[str, dict[str, Any]]:
        compiled = self.compiled
        params: Any = compiled.construct_params(values, extracted_parameters=extracted, escape_names=False)
        processors: Any = compiled._bind_processors
        sql = compiled.string
        if self.postcompile:  # IN lists: the SQL depends only on their lengths, so it is kept per lengths
            lengths = tuple(len(params[name]) for name in self.expanding)
            expansion = self.expansions.get(lengths)
            if expansion is None:
                expanded = compiled._process_parameters_for_postcompile(dict(params))  # (it edits its argument)
                expansion = self.expansions[lengths] = (expanded.statement, expanded.parameter_expansion,
                                                        {**processors, **expanded.processors})
            sql, names, processors = expansion
            flat = {k: v for k, v in params.items() if k not in names}
            for name, targets in names.items():
                flat.update(zip(targets, params[name], strict=True))
            params = flat
        escaped = compiled.escaped_bind_names
        return sql, {escaped.get(k, k) if escaped else k: (processors[k](v) if k in processors else v)
                     for k, v in params.items()}

    def rows(self, raw: list[tuple[Any, ...]]) -> list[Any]:
        if self.row is None:
            return []
        if self.results:
            fixed = []
            for r in raw:
                values = list(r)
                for i, proc in self.results:
                    values[i] = proc(values[i])
                fixed.append(values)
            return [self.row._make(v) for v in fixed]
        return [self.row._make(r) for r in raw]


_S = TypeVar("_S", bound=Executable)
#: Statements built once, their values all `bindparam()`s given at execution: looked up
#: by identity, without computing SQLAlchemy's cache key (a walk of the whole statement).
_CONSTANTS: dict[int, Executable] = {}


def constant(stmt: _S) -> _S:
    """Mark a statement that is built once and executed with values (`Params`) many times."""
    _CONSTANTS[id(stmt)] = stmt
    return stmt


class StatementCache:
    """Compiled statements by SQLAlchemy's cache key (bounded; least recently used out)."""

    def __init__(self, dialect: Dialect, size: int = 500) -> None:
        self.dialect = dialect
        self.size = size
        self._entries: OrderedDict[Any, _Prepared] = OrderedDict()
        self._constants: dict[int, _Prepared] = {}
        self._lock = threading.Lock()

    def prepare(self, stmt: Executable) -> tuple[_Prepared, Sequence[Any] | None]:
        if _CONSTANTS.get(id(stmt)) is stmt:
            known = self._constants.get(id(stmt))
            if known is None:
                known = self._constants[id(stmt)] = self._compile(stmt, None)
            return known, None
        key = stmt._generate_cache_key()  # type: ignore[attr-defined]
        if key is None:  # a statement SQLAlchemy cannot cache: compiled every time
            return self._compile(stmt, None), None
        with self._lock:
            prepared = self._entries.get(key.key)
            if prepared is not None:
                self._entries.move_to_end(key.key)
                return prepared, key.bindparams
        prepared = self._compile(stmt, key)
        with self._lock:
            self._entries[key.key] = prepared
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return prepared, key.bindparams

    def _compile(self, stmt: Executable, key: Any) -> _Prepared:
        # compiled with its cache key, as SQLAlchemy does, so that a later statement of the
        # same shape gives its own values (`extracted_parameters`) to this compiled form
        compiled = stmt.compile(dialect=self.dialect, cache_key=key)  # type: ignore[attr-defined]
        return _Prepared(compiled, self.dialect)


class PsycopgExecutor:
    """The statements on one psycopg AsyncConnection (autocommit), in the event loop."""

    def __init__(self, connection: Any, cache: StatementCache, database: Any, cipher: FieldCipher | None) -> None:
        self.connection = connection
        self.cache = cache
        self.database = database
        self._cipher = cipher

    @property
    def cipher(self) -> FieldCipher:
        if self._cipher is None:
            raise RuntimeError("no field cipher: give the AsyncDatabase the key file's cipher")
        return self._cipher

    async def _execute(self, stmt: Executable, values: Params) -> tuple[_Prepared, Any]:
        prepared, extracted = self.cache.prepare(stmt)
        sql, params = prepared.sql_and_params(extracted, values)
        cursor = await self.connection.execute(sql, params)
        return prepared, cursor

    async def all(self, stmt: Executable, params: Params = None) -> Sequence[Any]:
        prepared, cursor = await self._execute(stmt, params)
        return prepared.rows(await cursor.fetchall())

    async def first(self, stmt: Executable, params: Params = None) -> Any | None:
        prepared, cursor = await self._execute(stmt, params)
        row = await cursor.fetchone()
        return None if row is None else prepared.rows([row])[0]

    async def scalar(self, stmt: Executable, params: Params = None) -> Any:
        row = await self.first(stmt, params)
        return None if row is None else row[0]

    async def scalars(self, stmt: Executable, params: Params = None) -> list[Any]:
        return [r[0] for r in await self.all(stmt, params)]

    async def run(self, stmt: Executable, params: Params = None) -> int:
        _prepared, cursor = await self._execute(stmt, params)
        return int(cursor.rowcount or 0)


class AsyncDatabase:
    """psycopg's asyncio pool beside the engine, for the hot reads (`PsycopgExecutor`).

    As many connections as the request gate has slots (server/dbgate.py), so a request
    that holds a slot always finds one; autocommit (these routes write at most one row,
    an audit record or a session's last-seen time); the application's database role set
    on each new connection, as the engine's are (server/db.py `use_app_role`). Opened in
    the event loop that serves the requests (the app's lifespan), closed on shutdown."""

    def __init__(self, engine: Engine, size: int, role: str | None = None, timeout: float = 30.0,
                 cipher: FieldCipher | None = None) -> None:
        #: `role`: the application role, already quoted (server/db.py `app_role_of`);
        #: `timeout`: how long a request waits for a connection (the database down: 503)
        self.engine = engine
        self.cipher = cipher
        self.size = size
        self.timeout = timeout
        self.role = role
        self.database = engine.url
        self.cache = StatementCache(engine.dialect)
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @staticmethod
    def conninfo(engine: Engine) -> str:
        return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def open(self) -> None:
        from psycopg_pool import AsyncConnectionPool
        if self._pool is not None:
            return
        role = self.role

        async def configure(conn: Any) -> None:
            if role is not None:
                await conn.execute(f"SET ROLE {role}")

        self._loop = asyncio.get_running_loop()
        self._pool = AsyncConnectionPool(self.conninfo(self.engine), min_size=self.size, max_size=self.size,
                                         open=False, configure=configure, timeout=self.timeout, max_idle=600,
                                         max_lifetime=3600, name="crm-requests",
                                         kwargs={"autocommit": True, "prepare_threshold": 2})
        await self._pool.open(wait=False)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close(timeout=5)

    async def getconn(self) -> Any:
        if self._pool is None or self._loop is not asyncio.get_running_loop():
            self._pool = None  # a pool belongs to the loop that opened it
            await self.open()
        connection = await self._pool.getconn()
        if self.engine.dialect.server_version_info is None:  # once: compiling needs the server's version
            try:
                await run_in_threadpool(_initialise_dialect, self.engine)
            except BaseException:
                await self._pool.putconn(connection)
                raise
        return connection

    async def putconn(self, connection: Any) -> None:
        if self._pool is not None:
            await self._pool.putconn(connection)

    def executor(self, connection: Any) -> PsycopgExecutor:
        return PsycopgExecutor(connection, self.cache, self.database, self.cipher)


def _initialise_dialect(engine: Engine) -> None:
    """The dialect learns the server's version on its first connection (compiling needs it)."""
    with engine.connect():
        pass
