"""Admission to the database: one session and one pool checkout per request, and never
a thread waiting for a connection it cannot get.

Each server process has a pool of `db_pool_size` connections (server/db.py) and this
gate with as many slots. A request takes a slot, in the event loop, the first time it
needs the database (authentication, for every protected route) and keeps it, with its
one session, until it has been answered; requests beyond the slots wait for one
asynchronously, holding no thread and no connection. So every thread that runs a
request's database work finds a connection at once, and the thread limiter (sized
above the slots in server/app.py) is never the thing a connection waits for — the
mechanism that wedged the old request path under 10,000 sessions (`QueuePool limit
reached`, connections left idle in transaction).

A request that must wait for something slow without the database (a password hash)
gives its slot back first and takes a new one after (`RequestDb.release`).

A hot read (a route marked `async_reads`, server/api/deps.py) on PostgreSQL takes its
one connection from psycopg's asyncio pool instead and never enters a thread
(server/executor.py); every other request uses the engine's pool through a Session.
Both pools have as many connections as the gate has slots.
"""
from __future__ import annotations

import asyncio
import weakref
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from server.executor import AsyncDatabase, Executor, SessionExecutor


class DatabaseGate:
    def __init__(self, factory: sessionmaker[Session], slots: int) -> None:
        self.factory = factory
        self.slots = slots
        # one semaphore per event loop (tests run several loops over one app)
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = \
            weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.slots)
        return sem

    async def acquire(self) -> asyncio.Semaphore:
        sem = self._semaphore()
        await sem.acquire()
        return sem


class RequestDb:
    """The request's slot, connection and session: taken at the first need, given back
    when the request has been answered (server/api/deps.py) or, mid-request, by
    `release`. The session is bound to one connection checked out for the request, so
    its several transactions (an Idempotency-Key reserved, a refusal written after a
    rollback) never check out another."""

    def __init__(self, gate: DatabaseGate, read_only: bool = False, aio: AsyncDatabase | None = None) -> None:
        self.gate = gate
        #: Set for a hot read on PostgreSQL: its connection comes from psycopg's asyncio pool.
        self.aio = aio
        self._aconn: Any = None
        self._executor: Executor | None = None
        #: A GET: its statements autocommit (no BEGIN/COMMIT round trips; on SQLite, reads
        #: run beside each other instead of queueing for the write lock). What such a
        #: request writes — an audit row, the session's last-seen time — is one statement.
        self.read_only = read_only
        self.session: Session | None = None
        self._connection: Connection | None = None
        self._slot: asyncio.Semaphore | None = None

    async def open(self) -> Session:
        """The session, once a slot is ours; its connection is checked out in a thread."""
        await self.slot()
        if self.session is None:
            await run_in_threadpool(self.connect)
        assert self.session is not None
        return self.session

    async def executor(self) -> Executor:
        """The request's way to the database for the async services: its async
        connection (a hot read on PostgreSQL) or else its session, in worker threads."""
        if self._executor is None:
            if self.aio is not None:
                await self.slot()
                self._aconn = await self.aio.getconn()
                self._executor = self.aio.executor(self._aconn)
            else:
                self._executor = SessionExecutor(await self.open())
        return self._executor

    async def slot(self) -> None:
        """Take the slot without a connection yet (`connect` then runs in the caller's thread)."""
        if self._slot is None:
            self._slot = await self.gate.acquire()

    def connect(self) -> Session:
        """In a worker thread, with the slot held: check out the connection, bind the session."""
        assert self._slot is not None, "a database slot first"
        if self.session is None:
            bind = self.gate.factory.kw.get("bind")
            if isinstance(bind, Engine):
                self._connection = bind.connect()
                if self.read_only:
                    self._connection.execution_options(isolation_level="AUTOCOMMIT")
                self.session = self.gate.factory(bind=self._connection)
            else:  # already one connection (the tests' outer transaction)
                self.session = self.gate.factory()
        return self.session

    async def release(self) -> None:
        """Close the session and its connection (rolling back what was not committed)
        and give the slot back."""
        session, connection = self.session, self._connection
        self.session = self._connection = None
        aconn, self._aconn, self._executor = self._aconn, None, None
        try:
            if aconn is not None and self.aio is not None:
                await self.aio.putconn(aconn)  # the pool rolls back or discards a connection left unclean
            if session is not None:
                if session.in_transaction() or (connection is not None and connection.in_transaction()):
                    await run_in_threadpool(_close, session, connection)  # a rollback talks to the database
                else:
                    _close(session, connection)
        finally:
            slot, self._slot = self._slot, None
            if slot is not None:
                slot.release()


def _close(session: Session, connection: Connection | None) -> None:
    try:
        session.close()
    finally:
        if connection is not None:
            connection.close()


def request_db(scope: MutableMapping[str, Any]) -> RequestDb:
    """The request's slot and session, made by server/api/deps.py's `RequestDbMiddleware`."""
    rdb: RequestDb = scope["state"]["db"]
    return rdb


def pool_capacity(engine: Engine) -> int | None:
    """How many connections the engine's pool hands out at most (None: no limit known)."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if not callable(size):
        return None
    total = int(size()) + max(0, int(overflow))
    return total if total > 0 else None
