"""Nothing personal reaches a log line or a traceback (N-1): the formatter masks what
looks like a resident ID, a mobile or a credit code; SQL errors carry no parameters."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from server.db import make_engine
from server.logs import RedactingFormatter, redact


@pytest.mark.parametrize("raw, hidden", [
    ("Key (id_number)=(110101199003074514) already exists.", "110101199003074514"),
    ("q=11010119900307451X&page=1", "11010119900307451X"),
    ("phone 13912345678 called", "13912345678"),
    ("+8613912345678", "13912345678"),
    ("uscc 91350100M000100Y43 taken", "91350100M000100Y43"),
])
def test_redact_masks_identifiers(raw, hidden):
    out = redact(raw)
    assert hidden not in out and "*" in out


def test_redact_leaves_ordinary_numbers_alone():
    for s in ("GET /api/v1/customers/12345 200 3.1ms", "took 1733000000000 ms", "version 2147483647"):
        assert redact(s) == s


def test_a_traceback_is_redacted_too():
    record = logging.LogRecord("crm", logging.ERROR, __file__, 1, "unhandled %s", ("IntegrityError",), None)
    try:
        raise ValueError("duplicate key: Key (id_number)=(110101199003074514)")
    except ValueError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    out = RedactingFormatter("%(message)s").format(record)
    assert "ValueError" in out and "110101199003074514" not in out


def test_sql_errors_carry_no_parameters(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": "110101199003074514"})
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": "110101199003074514"})
    assert "110101199003074514" not in str(caught.value)


def test_no_line_per_request_unless_the_access_log_is_switched_on(backend, tmp_path, caplog):  # type: ignore[no-untyped-def]
    """N-3: an INFO line per request costs CPU on the hottest path; operators switch it
    on with CRM_ACCESS_LOG, and then it carries the path and parameter names only."""
    import logging

    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.db import make_sessionmaker
    w = backend.world
    for enabled in (False, True):
        settings = backend.settings.model_copy(update={"access_log": enabled})
        app = create_app(settings, make_sessionmaker(backend.engine, settings.resolved_key_file))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="crm.access"), TestClient(app) as client:
            r = client.get("/api/v1/customers", params={"q": "110101199003074514"}, headers=w.h("am_a"))
            assert r.status_code == 200
        lines = [rec.getMessage() for rec in caplog.records if rec.name == "crm.access"]
        if not enabled:
            assert lines == []
        else:
            assert len(lines) == 1 and "/api/v1/customers?q" in lines[0] and "110101" not in lines[0]


@pytest.mark.parametrize("raw", ["user\nFAKE 2026-12-03 INFO crm.auth: admin logged in", "a\r\nb", "a\rb",
                                 "\x1b[2J cleared", "line\u2028separator", "para\u2029graph", "nel\x85x", "nul\x00x",
                                 "del\x7fx"])
def test_one_event_is_one_line_whatever_the_message_holds(raw):
    record = logging.LogRecord("crm", logging.WARNING, __file__, 1, "login failed for %s", (raw,), None)
    out = RedactingFormatter("%(message)s").format(record)
    assert len(out.splitlines()) == 1 and "\x1b" not in out and "\x00" not in out and "\x7f" not in out
    assert out.startswith("login failed for ")


def test_a_traceback_is_one_line_too():
    record = logging.LogRecord("crm", logging.ERROR, __file__, 1, "unhandled", (), None)
    try:
        raise ValueError("first\nsecond")
    except ValueError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    out = RedactingFormatter("%(message)s").format(record)
    assert len(out.splitlines()) == 1 and "Traceback" in out and "ValueError: first\\nsecond" in out


def test_tabs_and_ordinary_text_stay_as_they_are():
    record = logging.LogRecord("crm", logging.INFO, __file__, 1, "a\tb 张三 ok", (), None)
    assert RedactingFormatter("%(message)s").format(record) == "a\tb 张三 ok"
