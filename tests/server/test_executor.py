"""The hot reads' executor (server/executor.py) against PostgreSQL: what a statement
returns through psycopg's asyncio connection is what the same statement returns
through a Session — values, types (the UTC datetime decorator), IN lists of every
length (their SQL is kept per length), statements built once and executed with other
values, writes."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, func, select

from server import crypto
from server.executor import AsyncDatabase, SessionExecutor, constant
from server.models import AuditLog, Customer, Org, UserSession
from server.services import audit

pytestmark = pytest.mark.postgres


def _run(backend: Any, work: Any) -> Any:
    """`work(executor)` on a fresh asyncio connection of the backend's database."""
    aio = AsyncDatabase(backend.engine, 1, cipher=crypto.FieldCipher.from_key_file(backend.settings.resolved_key_file))

    async def go() -> Any:
        conn = await psycopg.AsyncConnection.connect(aio.conninfo(backend.engine), autocommit=True)
        try:
            return await work(aio.executor(conn))
        finally:
            await conn.close()
    return asyncio.run(go())


def _plain(rows: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in rows]


def test_rows_and_types_match_the_session(postgres_backend):  # type: ignore[no-untyped-def]
    stmt = select(UserSession.id, UserSession.expires_at, UserSession.last_seen_at, UserSession.revoked_at) \
        .order_by(UserSession.id)
    with postgres_backend.engine.connect() as conn:
        expected = _plain(conn.execute(stmt))
    got = _run(postgres_backend, lambda x: x.all(stmt))
    assert expected and _plain(got) == expected
    assert all(r.expires_at.tzinfo is not None for r in got)  # UtcDateTime's result processor ran
    assert got[0].id == expected[0][0]  # attribute access by label


@pytest.mark.parametrize("ids", [[], [1], [1, 2, 3], [3, 1, 2, 5, 4, 999]])
def test_in_lists_of_every_length(postgres_backend, ids):  # type: ignore[no-untyped-def]
    stmt = constant(select(Org.id).where(Org.id.in_(bindparam("ids", expanding=True))).order_by(Org.id))
    with postgres_backend.engine.connect() as conn:
        expected = list(conn.scalars(stmt, {"ids": ids}))

    async def twice(x: Any) -> tuple[list[int], list[int]]:  # the second call uses the SQL kept for its length
        return await x.scalars(stmt, {"ids": ids}), await x.scalars(stmt, {"ids": list(reversed(ids))})
    first, second = _run(postgres_backend, twice)
    assert first == second == expected


def test_statements_built_per_request_get_their_own_values(postgres_backend):  # type: ignore[no-untyped-def]
    """Same shape, other literal values: the compiled form is shared, the values are not."""
    async def both(x: Any) -> list[Any]:
        return [await x.scalar(select(func.count()).select_from(Customer).where(Customer.id == n)) for n in (1, -1)]
    assert _run(postgres_backend, both) == [1, 0]


def test_an_audit_row_written_through_it_is_complete(postgres_backend):  # type: ignore[no-untyped-def]
    marker = f"test.executor.{datetime.now(UTC).timestamp()}"
    _run(postgres_backend, lambda x: audit.append(x, marker, actor_name="tester", object_type="x", object_id=7,
                                                  source="127.0.0.1", k="v"))
    with postgres_backend.engine.connect() as conn:  # (the audit log is append-only: the row stays)
        row = conn.execute(select(AuditLog).where(AuditLog.action == marker)).one()
    assert (row.actor_name, row.object_type, row.object_id, row.outcome, row.source) == \
        ("tester", "x", "7", "success", "127.0.0.1")
    assert row.at is not None and '"k": "v"' in row.detail
    cipher = crypto.FieldCipher.from_key_file(postgres_backend.settings.resolved_key_file)
    assert cipher.mac_matches(audit.content(row), row.mac)  # the chain's sealer will accept it


def test_the_session_way_returns_the_same(postgres_backend):  # type: ignore[no-untyped-def]
    stmt = constant(select(Org.id, Org.path).where(Org.id.in_(bindparam("ids", expanding=True))).order_by(Org.id))
    with postgres_backend.engine.connect() as conn:
        from sqlalchemy.orm import Session
        with Session(bind=conn) as db:
            via_session = asyncio.run(SessionExecutor(db).all(stmt, {"ids": [1, 2]}))
    assert _plain(via_session) == _plain(_run(postgres_backend, lambda x: x.all(stmt, {"ids": [1, 2]})))
