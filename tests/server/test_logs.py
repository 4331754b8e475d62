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
