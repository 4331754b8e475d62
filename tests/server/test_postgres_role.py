"""On PostgreSQL a superuser URL is accepted, but the server acts as its own
non-superuser role, for which the audit log is append-only (CONTRACT.md)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from server.db import make_engine, prepare_app_role, use_app_role
from server.migrate import upgrade

pytestmark = pytest.mark.postgres


def test_server_acts_as_app_role_and_cannot_rewrite_the_audit_log(pg_url):
    admin = make_engine(pg_url)
    upgrade(admin)
    assert prepare_app_role(admin, "crm_app")
    assert prepare_app_role(admin, "crm_app")  # idempotent
    admin.dispose()
    engine = make_engine(pg_url)
    assert use_app_role(engine, "crm_app")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == "crm_app"
        conn.execute(text("INSERT INTO audit_log (at, action, outcome) VALUES (now(), 'test.append', 'success')"))
    for stmt in ("UPDATE audit_log SET outcome = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with engine.begin() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text(stmt))
    with engine.begin() as conn:  # the rest of the schema is usable
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() >= 0
        assert conn.execute(text("SELECT nextval('customer_no_seq')")).scalar() >= 1
    engine.dispose()
