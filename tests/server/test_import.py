"""The core-banking customer import (R-703, CONTRACT.md "Accounts, transactions and the
core-banking import", domain/risk-and-import.md), on SQLite and PostgreSQL.

Expectations come from the spec: a bad row is rejected whole with its line, column and
the API's own error code while the rest is applied; a file whose header or trailer is
wrong is refused whole; too many rejects fail the batch; a batch is applied once.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from stdnum.cn import uscc as stdnum_uscc

from server import crypto
from server.imports import engine as import_engine
from server.imports import run_import
from server.imports.customers import CustomersImport, judge
from server.imports.fastcheck import COLUMNS, CONTROL_CHARACTERS, birth_dates, plainly_valid, scan_lines, slow_lines
from server.models import AuditLog, ChangeRecord, Customer, CustomerSearchKey, ImportBatch, ImportReject
from server.services import parameters
from shared import schemas
from shared.parameters import IMPORT_LIMITS
from shared.permissions import Action
from shared.validators import id_check_char
from tests.server.conftest import actor_for, id_number, pg_admin_url
from tests.server.test_jobs import assert_search_keys_exact

DAY = date(2026, 12, 1)
IDN = id_number("320102", "19880808", 21, True)  # not in the world


def uscc(body17: str) -> str:
    return body17 + stdnum_uscc.calc_check_digit(body17)


def person(core: str = "K1", name: str = "钱七", idn: str = IDN, phone: str = "13500000001", branch: str = "TA1",
           manager: str = "", **over: str) -> dict[str, str]:
    male = int(idn[16]) % 2 == 1 if idn[16].isdigit() else True
    row = {"core_customer_id": core, "type": "personal", "name": name, "gender": "male" if male else "female",
           "birth_date": f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}", "id_number": idn, "uscc": "", "phone": phone,
           "address": "", "occupation": "", "employer": "", "branch_code": branch, "manager_username": manager}
    row.update(over)
    return row


def company(core: str = "E1", name: str = "城东机械有限公司", code: str | None = None, branch: str = "TA",
            **over: str) -> dict[str, str]:
    row = {c: "" for c in COLUMNS}
    row.update(core_customer_id=core, type="corporate", name=name, uscc=code or uscc("91110000600037341"),
               phone="13600000009", branch_code=branch)
    row.update(over)
    return row


def csv_file(path: Path, rows: list[dict[str, str] | str], *, trailer: str | None = None,
             header: str | None = None) -> Path:
    """Header, rows (dicts, or raw lines written as they are), trailer TRAILER,<rows>,0."""
    buf = io.StringIO()
    buf.write((header if header is not None else ",".join(COLUMNS)) + "\n")
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        if isinstance(r, str):
            buf.write(r + "\n")
        else:
            w.writerow([r[c] for c in COLUMNS])
    buf.write((trailer if trailer is not None else f"TRAILER,{len(rows)},0") + "\n")
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def importer(db_factory, settings, tmp_path):  # type: ignore[no-untyped-def]
    """importer(rows, **file options, business_date=, sequence=) -> Outcome, in the test's transaction."""
    crypto.attach(db_factory, crypto.FieldCipher.from_key_file(settings.resolved_key_file))

    def run(rows: list[dict[str, str] | str], *, business_date: date = DAY, sequence: int = 1,
            path: Path | None = None, **file: Any) -> import_engine.Outcome:
        p = path or csv_file(tmp_path / f"customers-{uuid.uuid4().hex[:6]}.csv", rows, **file)
        return run_import(db_factory, "customers", p, business_date, sequence)
    return run


@pytest.fixture
def loose(db, world):  # type: ignore[no-untyped-def]
    """Any share of rejects is allowed (tests of single rejects in small files)."""
    admin = actor_for(db, world.users["admin"], Action.PARAMETER_WRITE)
    parameters.change(db, admin, IMPORT_LIMITS, 1, {"max_reject_ratio": "1"})
    db.commit()


def count(db, model=Customer) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def by_id_number(db, idn: str) -> Customer | None:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(Customer).where(Customer.id_number == idn))


def rejects(db, batch_id: int) -> list[tuple[int, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(r.line, r.field, r.code) for r in db.scalars(
        select(ImportReject).where(ImportReject.batch_id == batch_id).order_by(ImportReject.line, ImportReject.id))]


def search(api, world, q: str, user: str = "bm_a") -> list[str]:  # type: ignore[no-untyped-def]
    r = api.get("/customers", headers=world.h(user), params={"q": q, "page_size": 200})
    assert r.status_code == 200, r.text
    return [c["name"] for c in r.json()["items"]]


# ----------------------------------------------------------------------------- applied
def test_new_customers_are_created_numbered_and_searchable(importer, api, world, db):
    other = id_number("310104", "19920214", 7, False)
    out = importer([person(), person(core="K2", name="欧阳娜娜", idn=other, phone="13500000002", branch="TA2",
                                     manager="am_a"), company()])
    assert (out.status, out.read, out.applied, out.duplicate, out.rejected) == ("applied", 3, 3, 0, 0)
    assert (out.control_rows, out.control_amount) == (3, "0.00")
    assert set(out.contract()) == {"id", "kind", "business_date", "sequence", "status", "read", "applied",
                                   "duplicate", "rejected", "control_rows", "control_amount", "duration_ms"}
    c = by_id_number(db, IDN)
    assert c is not None and c.name == "钱七" and c.core_customer_id == "K1" and c.import_batch_id == out.id
    assert c.customer_no.startswith("C") and len(c.customer_no) == 11 and c.version == 1
    assert c.org_id == world.orgs["A1"] and c.manager_id is None and c.birth_date == date(1988, 8, 8)
    nana = by_id_number(db, other)
    assert nana is not None and nana.manager_id == world.users["am_a"] and nana.gender == "female"
    corp = db.scalar(select(Customer).where(Customer.uscc == uscc("91110000600037341")))
    assert corp is not None and corp.type == "corporate" and corp.org_id == world.orgs["A"]
    # found by ID, phone, customer number, any fragment of the name and its pinyin
    for q in (IDN, "13500000001", c.customer_no, "钱七", "七", "qianqi", "qq", "qian"):
        assert "钱七" in search(api, world, q), q
    for q in ("欧阳", "阳娜", "ouyang", "oynn"):
        assert "欧阳娜娜" in search(api, world, q), q
    assert "城东机械有限公司" in search(api, world, "机械")
    # the batch is the new customers' provenance: no per-field history, one audit row
    assert db.scalar(select(func.count()).select_from(ChangeRecord)
                     .where(ChangeRecord.resource_id == str(c.id), ChangeRecord.resource == "customer")) == 0
    audits = list(db.scalars(select(AuditLog).where(AuditLog.action == "import.customers")))
    assert len(audits) == 1 and audits[0].object_id == str(out.id) and audits[0].actor_name == "operator"
    assert json.loads(audits[0].detail or "{}")["created"] == 3
    batch = db.get(ImportBatch, out.id)
    assert batch is not None and batch.status == "applied" and len(batch.file_sha256) == 64
    assert batch.finished_at is not None and batch.duration_ms is not None and batch.created_by is None


def test_an_existing_resident_id_updates_that_customer_with_import_history(importer, api, world, db):
    main_idn = id_number("110101", "19900307", 45, True)
    before = db.get(Customer, world.customers["main"])
    assert before is not None
    version, number, manager = before.version, before.customer_no, before.manager_id
    unchanged = id_number("310104", "19850512", 12, False)  # a_other, sent exactly as it is
    out = importer([person(core="K-MAIN", name="张三峰", idn=main_idn, phone="13912340000", address="城东区新路2号",
                           occupation="工程师", branch="TA1"),
                    person(core="", name="李四", idn=unchanged, phone="13800000002", branch="TA")])
    assert (out.status, out.applied, out.duplicate, out.created, out.updated) == ("applied", 1, 1, 0, 1)
    c = by_id_number(db, main_idn)
    assert c is not None and c.id == world.customers["main"]
    assert (c.name, c.phone, c.address, c.core_customer_id) == ("张三峰", "13912340000", "城东区新路2号", "K-MAIN")
    assert c.version == version + 1 and c.customer_no == number and c.manager_id == manager  # empty keeps it
    r = api.get(f"/customers/{c.id}/history", headers=world.h("bm_a"))
    assert r.status_code == 200
    items = [i for i in r.json()["items"] if i["action"] == "import"]
    assert {i["field"] for i in items} == {"name", "phone", "address", "core_customer_id"}  # changed fields only
    phone = next(i for i in items if i["field"] == "phone")
    assert (phone["old"], phone["new"]) == ("13912345678", "13912340000")  # bm_a sees the full values
    assert all(i["actor"] is None for i in items)  # the operator at the command line
    # the name's keys were rewritten
    assert "张三峰" in search(api, world, "三峰") and "张三峰" not in search(api, world, "三丰")
    a_other = db.get(Customer, world.customers["a_other"])
    assert a_other is not None and a_other.version == 1


def test_a_credit_code_updates_that_corporate_customer(importer, world, db):
    code = uscc("91310000MA1FL0000")
    first = importer([company(code=code.lower())])
    assert first.created == 1
    c = db.scalar(select(Customer).where(Customer.uscc == code))  # stored upper-case
    assert c is not None
    again = importer([company(code=code, name="城东机械股份有限公司", branch="TA2")], business_date=date(2026, 12, 2))
    assert (again.status, again.updated, again.created) == ("applied", 1, 0)
    db.expire_all()
    c = db.get(Customer, c.id)
    assert c is not None and c.name == "城东机械股份有限公司" and c.org_id == world.orgs["A2"] and c.version == 2
    keys = set(db.scalars(select(CustomerSearchKey.org_id).where(CustomerSearchKey.customer_id == c.id)))
    assert keys == {world.orgs["A2"]}  # the keys carry the new org


def test_an_api_create_works_after_an_import(importer, api, world, db):
    """Every id and number sequence is where the imported rows left it."""
    rows = [person(core=f"S{i}", name=f"孙{'一二三四五'[i]}", idn=id_number("320102", f"1980010{i + 1}", i, True),
                   phone=f"1350000010{i}") for i in range(5)]
    out = importer(rows)
    assert out.created == 5
    top_id = db.scalar(select(func.max(Customer.id)))
    top_no = db.scalar(select(func.max(Customer.customer_no)))
    body = {"name": "赵六", "gender": "male", "birth_date": "1977-07-07", "id_number": id_number(
        "440106", "19770707", 77, True), "phone": "13611112222", "org_id": world.orgs["A"]}
    r = api.post("/customers", headers=world.h("bm_a"), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id"] > top_id and r.json()["customer_no"] > top_no


def test_a_manager_of_the_customers_branch_is_assigned(importer, world, db, loose):
    ok = id_number("320102", "19700101", 1, True)
    bad = id_number("320102", "19700102", 2, True)
    teller = id_number("320102", "19700103", 3, True)
    out = importer([person(core="M1", idn=ok, branch="TA1", manager="AM_A"),  # usernames are case-insensitive
                    person(core="M2", idn=bad, branch="TA1", manager="am_b"),  # another branch's
                    person(core="M3", idn=teller, branch="TA1", manager="teller_a1")])
    c = by_id_number(db, ok)
    assert c is not None and c.manager_id == world.users["am_a"]
    assert rejects(db, out.id) == [(3, "manager_username", "customer.manager_id.invalid"),
                                   (4, "manager_username", "customer.manager_id.invalid")]


# ----------------------------------------------------------------------------- rejected rows
def _api_body(world, row: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {k: v for k in ("type", "name", "gender", "birth_date", "id_number", "uscc", "phone",
                                           "address", "occupation", "employer") if (v := row[k]) != ""}
    body["org_id"] = world.orgs["A1"]
    return body


BAD_ROWS = [  # (what is wrong, row, field, code); the API's own codes
    ("check character", person(idn=IDN[:17] + ("0" if IDN[17] != "0" else "1")), "id_number",
     "customer.id_number.checksum"),
    ("format", person(idn="32010219880808213"), "id_number", "customer.id_number.format"),
    ("province", person(idn="99" + IDN[2:17] + id_check_char("99" + IDN[2:17])), "id_number",
     "customer.id_number.region"),
    ("birth date in the ID", person(idn="320102198813082" + "1" + "1" + id_check_char("32010219881308211"),
                                    birth_date="1988-08-08"), "id_number", "customer.id_number.birth_date"),
    ("gender against the ID", person(gender="female"), "gender", "customer.gender.mismatch_id"),
    ("birth date against the ID", person(birth_date="1988-08-09"), "birth_date", "customer.birth_date.mismatch_id"),
    ("gender missing", person(gender=""), "gender", "field.required"),
    ("gender unknown", person(gender="M"), "gender", "field.invalid_choice"),
    ("birth date not a date", person(birth_date="1988/08/08"), "birth_date", "field.invalid_date"),
    ("phone", person(phone="12345"), "phone", "customer.phone.format"),
    ("name missing", person(name=""), "name", "field.required"),
    ("name blank", person(name="   "), "name", "field.required"),
    ("name too long", person(name="张" * 101), "name", "field.too_long"),
    ("address too long", person(address="路" * 201), "address", "field.too_long"),
    ("control character", person(name="钱\x07七"), "name", "field.control_characters"),
    ("credit code on a person", person(uscc=uscc("91110000600037341")), "uscc", "field.not_applicable"),
    ("type unknown", person(type="people"), "type", "field.invalid_choice"),
    ("corporate without credit code", company(uscc=""), "uscc", "field.required"),
    ("credit code check", company(code="91110000600037341A"), "uscc", "customer.uscc.checksum"),
    ("credit code format", company(code="9111000060003734"), "uscc", "customer.uscc.format"),
    ("gender on a company", company(gender="male"), "gender", "field.not_applicable"),
]


@pytest.mark.parametrize(("what", "bad", "field", "code"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_a_bad_row_is_rejected_with_its_line_field_and_the_apis_code(importer, api, world, db, loose, what, bad,
                                                                     field, code):
    good_idn = id_number("320102", "19790909", 9, True)
    before, keys = count(db), count(db, CustomerSearchKey)
    out = importer([person(core="G1", name="好人", idn=good_idn), dict(bad, core_customer_id="B1")])
    assert (out.status, out.read, out.applied, out.rejected) == ("applied", 2, 1, 1)
    assert (3, field, code) in rejects(db, out.id)  # line 3: the header is line 1
    assert count(db) == before + 1 and by_id_number(db, good_idn) is not None
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.core_customer_id == "B1")) == 0
    assert count(db, CustomerSearchKey) - keys == len(
        set(db.scalars(select(CustomerSearchKey.key).where(CustomerSearchKey.customer_id == by_id_number(
            db, good_idn).id))))  # type: ignore[union-attr]  # only the good row's keys
    # the API answers the same values with the same code
    r = api.post("/customers", headers=world.h("bm_a"), json=_api_body(world, bad))
    assert r.status_code == 422 and (field, code) in {(e["field"], e["code"]) for e in r.json()["errors"]}


@pytest.mark.parametrize(("what", "change", "field", "code"), [
    ("unknown branch", {"branch_code": "NOPE"}, "branch_code", "customer.org_id.not_found"),
    ("no branch", {"branch_code": ""}, "branch_code", "field.required"),
    ("unknown manager", {"manager_username": "nobody"}, "manager_username", "customer.manager_id.invalid"),
    ("core id too long", {"core_customer_id": "K" * 41}, "core_customer_id", "field.too_long"),
    ("core id of another customer", {"core_customer_id": "G1"}, "core_customer_id", "import.duplicate_in_file"),
])
def test_rows_the_database_judges_are_rejected_too(importer, db, loose, what, change, field, code):
    out = importer([person(core="G1", name="好人", idn=id_number("320102", "19790909", 9, True)),
                    {**person(core="B1"), **change}])
    assert (out.applied, out.rejected) == (1, 1)
    assert (3, field, code) in rejects(db, out.id)
    assert by_id_number(db, IDN) is None


def test_a_core_id_another_customer_holds_is_rejected(importer, db, loose):
    importer([person(core="CORE-7")])
    other = id_number("320102", "19790909", 9, True)
    out = importer([person(core="CORE-7", idn=other)], business_date=date(2026, 12, 2))
    assert rejects(db, out.id) == [(2, "core_customer_id", "import.core_customer_id.taken")]
    assert by_id_number(db, other) is None


def test_a_row_with_the_wrong_number_of_fields_is_rejected_alone(importer, db, loose):
    good = ",".join(person()[c] for c in COLUMNS)
    out = importer([good, "K9,personal,王五,male", good.replace("K1", "K2").replace("13500000001", "13500000002")
                    .replace(IDN, id_number("320102", "19790909", 9, True)).replace("1988-08-08", "1979-09-09")])
    assert (out.read, out.applied, out.rejected) == (3, 2, 1)
    assert rejects(db, out.id) == [(3, None, "import.row.columns")]


def test_quoted_fields_and_line_breaks_inside_them_are_read_and_lines_counted(importer, db, loose):
    """A record spanning two physical lines: the next row's line number is still its line."""
    second = id_number("320102", "19790909", 9, True)
    out = importer([person(address="城东区\n朝阳路1号, 3楼"), person(core="K2", idn=second, phone="1")])
    c = by_id_number(db, IDN)
    assert c is not None and c.address == "城东区\n朝阳路1号, 3楼"
    assert rejects(db, out.id) == [(4, "phone", "customer.phone.format")]  # line 2-3 hold the first row


def test_values_are_normalised_as_the_api_stores_them(importer, db):
    idn = "11010519491231002x"
    out = importer([person(idn=idn, gender="female", birth_date="1949-12-31", phone="+86 139-1234-0000",
                           occupation="  教师 ", address=" ")])
    assert out.applied == 1, rejects(db, out.id)
    c = by_id_number(db, "11010519491231002X")
    assert c is not None and c.phone == "13912340000" and c.occupation == "教师" and c.address is None


@pytest.mark.parametrize("first_normalised", [False, True])
def test_a_repeat_is_found_also_when_one_of_the_two_is_written_otherwise(importer, db, loose, first_normalised):
    """ " 3201…" is the same resident ID once the spaces are gone."""
    plain = person()
    spaced = person(core="K2", idn=IDN[:6] + " " + IDN[6:], phone="13500000002", gender="male",
                    birth_date="1988-08-08")
    out = importer([spaced, plain] if first_normalised else [plain, spaced])
    assert rejects(db, out.id) == [(3, "id_number", "import.duplicate_in_file")]
    assert count(db, Customer) == 4 + 1


ODD_NAMES = ['O"Neil, Anna', "Li\\Wei", "张＂三", "Anna\tLee", "买买提·艾力", "𠮷祥", "Null", "John Null"]


def test_odd_names_get_exactly_the_keys_the_api_gives_them(importer, db):
    """Quotes, commas, backslashes, tabs, full-width marks (NFKC: a quote in the keys)."""
    rows = [person(core=f"N{i}", name=name, idn=id_number("320102", f"1980030{i + 1}", i, True),
                   phone=f"1350000030{i}") for i, name in enumerate(ODD_NAMES)]
    out = importer(rows)
    assert (out.status, out.created) == ("applied", len(ODD_NAMES)), rejects(db, out.id)
    assert assert_search_keys_exact(db) == count(db)


def test_names_scanned_in_worker_processes_get_their_keys(importer, db, monkeypatch):
    """A big file's lines are scanned beside COPY in worker processes: every row applied
    still has its name's entry, odd names included."""
    monkeypatch.setattr(import_engine, "BIG_FILE_BYTES", 0)
    rows = [person(core=f"N{i}", name=name, idn=id_number("320102", f"1980030{i + 1}", i, True),
                   phone=f"1350000030{i}") for i, name in enumerate(ODD_NAMES)]
    out = importer(rows)
    assert (out.status, out.created) == ("applied", len(ODD_NAMES)), rejects(db, out.id)
    assert assert_search_keys_exact(db) == count(db)


@pytest.mark.parametrize("big", [False, True], ids=["here", "in_workers"])
def test_the_same_resident_id_twice_in_a_file_rejects_the_later_row(importer, db, loose, monkeypatch, big):
    """Also when the lines are scanned in worker processes (a big file)."""
    if big:
        monkeypatch.setattr(import_engine, "BIG_FILE_BYTES", 0)
    out = importer([person(), person(core="K2", name="钱七七", phone="13500000002"),
                    person(core="K1", idn=id_number("320102", "19790909", 9, True))])
    assert rejects(db, out.id) == [(3, "id_number", "import.duplicate_in_file"),
                                   (4, "core_customer_id", "import.duplicate_in_file")]
    c = by_id_number(db, IDN)
    assert c is not None and c.name == "钱七"  # the first row is the one applied


# ----------------------------------------------------------------------------- refused, failed
@pytest.mark.parametrize(("what", "file", "code"), [
    ("trailer counts other rows", {"trailer": "TRAILER,3,0"}, "import.file.trailer_mismatch"),
    ("customers carry no amount", {"trailer": "TRAILER,1,100.00"}, "import.file.trailer_mismatch"),
    ("trailer missing", {"trailer": ""}, "import.file.trailer_missing"),
    ("trailer not numbers", {"trailer": "TRAILER,one,0"}, "import.file.trailer_missing"),
    ("header wrong", {"header": "id,name"}, "import.file.header"),
    ("header in another order", {"header": ",".join(reversed(COLUMNS))}, "import.file.header"),
])
def test_a_file_whose_header_or_trailer_is_wrong_is_refused_whole(importer, db, what, file, code):
    before, keys, history = count(db), count(db, CustomerSearchKey), count(db, ChangeRecord)
    main_idn = id_number("110101", "19900307", 45, True)
    out = importer([person(idn=main_idn, name="改名了")] if "amount" in what else [person()], **file)
    assert out.status == "refused" and out.error_code == code and out.applied == 0
    assert count(db) == before and count(db, CustomerSearchKey) == keys and count(db, ChangeRecord) == history
    assert [r[1:] for r in rejects(db, out.id)] == [(None, code)]
    assert db.get(ImportBatch, out.id).status == "refused"  # type: ignore[union-attr]


def test_a_file_that_is_not_utf8_is_refused(importer, db, tmp_path):
    p = tmp_path / "gbk.csv"
    csv_file(p, [person()])
    p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))
    out = importer([], path=p)
    assert (out.status, out.error_code) == ("refused", "import.file.encoding")
    assert by_id_number(db, IDN) is None


def test_a_refused_batch_may_be_imported_again_once_the_file_is_right(importer, db):
    first = importer([person()], trailer="TRAILER,2,0")
    assert first.status == "refused"
    again = importer([person()])
    assert (again.status, again.id, again.created) == ("applied", first.id, 1)
    assert rejects(db, again.id) == []


def test_more_rejects_than_the_limit_fail_the_batch_and_apply_nothing(importer, db):
    """Default limit 1 %: one bad row in ten is too many."""
    rows = [person(core=f"F{i}", idn=id_number("320102", f"1980020{i}", i, True), phone=f"1350000020{i}")
            for i in range(1, 10)]
    before = count(db)
    out = importer([*rows, person(core="BAD", phone="1")])
    assert (out.status, out.error_code, out.read, out.applied, out.rejected) == \
        ("failed", "import.rejects_above_limit", 10, 0, 1)
    assert count(db) == before
    assert rejects(db, out.id) == [(11, "phone", "customer.phone.format")]  # the report is kept


def test_the_same_batch_twice_is_already_imported_and_changes_nothing(importer, db):
    first = importer([person()])
    before, history = count(db), count(db, ChangeRecord)
    again = importer([person(name="别的名字")])  # even a different file under the same batch identity
    assert (again.status, again.id, again.applied, again.read) == ("already_imported", first.id, 1, 1)
    assert again.notes  # it says the file differs
    assert count(db) == before and count(db, ChangeRecord) == history
    assert by_id_number(db, IDN).name == "钱七"  # type: ignore[union-attr]
    other = importer([person(name="别的名字")], sequence=2)  # another sequence is another batch
    assert (other.status, other.updated) == ("applied", 1)


# ----------------------------------------------------------------------------- the fast check
def _valid_rows(rng: random.Random, n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        y, m, d = rng.randint(1930, 2005), rng.randint(1, 12), rng.randint(1, 28)
        male = rng.random() < 0.5
        body = f"{rng.choice(['110101', '310104', '440106', '650121', '820000'])}{y:04d}{m:02d}{d:02d}" \
               f"{rng.randint(0, 99):02d}{rng.choice('13579' if male else '02468')}"
        idn = body + id_check_char(body)
        if idn.endswith("X") and rng.random() < 0.5:
            idn = idn[:-1] + "x"
        if rng.random() < 0.1:
            rows.append([f"C{i}", "corporate", "某某公司", "", "", "", uscc(f"9{rng.randint(10**15, 10**16 - 1)}"),
                         "", "某路1号", "", "", "TA", ""])
            continue
        rows.append([f"C{i}", rng.choice(["personal", ""]), rng.choice(["张三", "欧阳娜娜", "Anna Li", "王"]),
                     "male" if male else "female", f"{y:04d}-{m:02d}-{d:02d}", idn, "",
                     rng.choice(["", f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}"]),
                     rng.choice(["", "城东区朝阳路1号"]), rng.choice(["", "教师"]), "", "TA1", ""])
    return rows


_NOISE = ["", " ", "\u3000", "x", "X", "０", "1", "9", "-", "+86", "\t", "Ⅸ", "²", "١", "a", "\x7f", "\x00", "\x1c",
          "\x0b"]


def _mutate(rng: random.Random, row: list[str]) -> list[str]:
    row = list(row)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(11)
        v = row[i]
        how = rng.randrange(5)
        if how == 0:
            row[i] = ""
        elif how == 1 and v:
            k = rng.randrange(len(v))
            row[i] = v[:k] + rng.choice(_NOISE) + v[k + 1:]
        elif how == 2:
            row[i] = rng.choice(_NOISE) + v + rng.choice(_NOISE)
        elif how == 3:
            row[i] = rng.choice(["male", "female", "personal", "corporate", "1990-01-01", "2099-01-01",
                                 "19900101", row[5], row[6], "A" * 41, "A" * 60, "A" * 61, "A" * 100, "A" * 101,
                                 "A" * 200, "路" * 201])
        else:
            row[i] = v.lower() if rng.random() < 0.5 else v.upper()
    return row


def _as_stored(raw: dict[str, str | None]) -> dict[str, Any]:
    """What the database stores for a row the fast check vouched for (customers._build_ok)."""
    return {"type": raw["type"] or "personal", "name": raw["name"], "gender": raw["gender"],
            "birth_date": date.fromisoformat(raw["birth_date"]) if raw["birth_date"] else None,
            "id_number": raw["id_number"].upper() if raw["id_number"] else None, "uscc": raw["uscc"],
            "phone": raw["phone"], "address": raw["address"], "occupation": raw["occupation"],
            "employer": raw["employer"]}


def _corpus() -> tuple[list[list[str]], list[list[str]]]:
    rng = random.Random(20261201)
    valid = _valid_rows(rng, 3000)
    return valid, valid + [_mutate(rng, r) for r in valid for _ in range(4)]


def test_the_fast_check_vouches_only_for_rows_the_api_accepts_unchanged():
    """Whatever `plainly_valid` accepts (and the database then stores as it is, but for
    an upper-case X), the API's own rules accept with the same stored values; and it does
    accept the plain rows real files consist of."""
    dates = birth_dates(date.today())
    valid, corpus = _corpus()
    assert all(plainly_valid(r, dates) for r in valid)
    vouched = 0
    for row in corpus:
        if CONTROL_CHARACTERS.search("".join(row)) or not plainly_valid(row, dates):
            continue
        raw = {c: (v if v != "" else None) for c, v in zip(COLUMNS, row, strict=True)}
        errs, values = judge(raw)
        assert errs == [] and values == _as_stored(raw), (row, errs)
        vouched += 1
    assert vouched > 3000  # mutations that are still plain and valid (another value) count too


def test_the_chunk_scan_collects_the_same_values_on_both_of_its_paths():
    """`scan_lines` hands the main process each plain line's core id, name, resident ID
    (upper case) and credit code, whether the chunk takes the one-match path (every line
    a plain personal row) or the line-by-line one (here: one corporate line among them)."""
    valid, _corpus_rows = _corpus()
    plain = [r for r in valid if r[1] != "corporate"][:200]
    corporate = next(r for r in valid if r[1] == "corporate")
    for r in plain[:50]:
        r[5] = r[5].lower()
    one = scan_lines(2, "".join(",".join(r) + "\n" for r in plain).encode("utf-8"), date.today())
    mixed = scan_lines(2, "".join(",".join(r) + "\n" for r in [*plain, corporate]).encode("utf-8"), date.today())
    def values(scanned: tuple[Any, ...]) -> list[list[str]]:  # an empty value is none
        return [[v for v in joined.split("\n") if v] for joined in scanned[1:]]

    assert one[0] == [] and mixed[0] == []
    assert values(one) == [[r[0] for r in plain], [r[2] for r in plain], [r[5].upper() for r in plain], []]
    assert values(mixed) == [[r[0] for r in plain] + [corporate[0]], [r[2] for r in plain] + [corporate[2]],
                             [r[5].upper() for r in plain], [corporate[6]]]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_the_chunk_check_on_raw_lines_vouches_only_for_rows_the_api_accepts(newline):
    """`slow_lines`, the workers' check of raw lines as COPY will read them, agrees: a line
    it does not name is one the API accepts with the stored values. A chunk of plain
    personal lines takes its one-match path (tried here line by line, so that every
    mutation meets it), any other chunk the row-by-row one."""
    dates = birth_dates(date.today())
    valid, corpus = _corpus()
    lines = [",".join(r) for r in corpus if not any(c in v for v in r for c in ',"\r\n')]
    plain = [",".join(r) for r in valid if r[1] != "corporate"]
    assert slow_lines(2, (newline.join(plain) + newline).encode("utf-8"), date.today()) == []
    assert slow_lines(2, (newline.join(lines) + newline).encode("utf-8"), date.today()) == [
        2 + i for i, line in enumerate(lines) if slow_lines(2, (line + newline).encode("utf-8"), date.today())]
    vouched = 0
    for line in lines:
        if slow_lines(2, (line + newline).encode("utf-8"), date.today()):
            assert not plainly_valid(line.split(","), dates) or CONTROL_CHARACTERS.search(line), line
            continue
        raw = {c: (v if v != "" else None) for c, v in zip(COLUMNS, line.split(","), strict=True)}
        errs, values = judge(raw)
        assert errs == [] and values == _as_stored(raw), (line, errs)
        vouched += 1
    assert vouched > 3000


def test_the_fast_check_agrees_with_the_resident_id_rules_on_many_ids():
    from shared.validators import id_consistency_errors, id_number_errors
    rng = random.Random(7)
    dates = birth_dates(date.today())
    agree = 0
    for _ in range(20000):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        if rng.random() < 0.7:  # mostly plausible: a province, a date
            body = rng.choice(["11", "31", "44", "65", "71", "99", "00"]) + body[2:6] + \
                f"{rng.randint(1890, 2030):04d}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}" + body[14:]
        check = id_check_char(body) if rng.random() < 0.8 else rng.choice("0123456789X")
        idn = body + check
        born = f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"
        gender = rng.choice(["male", "female"])
        row = ["", "personal", "某", gender, born, idn, "", "", "", "", "", "TA", ""]
        api_ok = not id_number_errors(idn)
        if api_ok:
            try:
                api_ok = not id_consistency_errors(idn, gender, date.fromisoformat(born))
            except ValueError:
                api_ok = False
        assert plainly_valid(row, dates) == api_ok, idn
        agree += api_ok
    assert agree > 1000


def test_the_control_characters_are_the_apis():
    assert CONTROL_CHARACTERS.pattern == schemas.CONTROL_CHARACTERS.pattern


# ----------------------------------------------------------------------------- big files
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_big_load_uses_worker_processes_and_rebuilds_indexes(importer, api, world, db, monkeypatch):
    """The path of a first migration: entries in worker processes, indexes and foreign
    keys dropped and built again, all inside the transaction."""
    monkeypatch.setattr(import_engine, "BIG_FILE_BYTES", 0)
    monkeypatch.setattr(sys.modules[CustomersImport.__module__], "BULK_MIN", 1)
    definition = text("SELECT indexdef FROM pg_indexes WHERE tablename IN ('customer', 'customer_search_key') "
                      "ORDER BY indexname")
    constraints = text("SELECT conname, convalidated FROM pg_constraint WHERE conrelid IN "
                       "('customer'::regclass, 'customer_search_key'::regclass) ORDER BY conname")
    indexes, cons = db.execute(definition).all(), db.execute(constraints).all()
    rows = [person(core=f"W{i}", name=f"周{'一二三四五六七八九十'[i % 10]}{i}",
                   idn=id_number("320102", f"19800{(i % 9) + 1}1{i % 10}", i, i % 2 == 1),
                   phone=f"135{i:08d}") for i in range(40)]
    rows += [person(core=f"N{i}", name=name, idn=id_number("320102", f"1980030{i + 1}", i, True),
                    phone=f"1350000030{i}") for i, name in enumerate(ODD_NAMES)]
    out = importer(rows)
    assert (out.status, out.created) == ("applied", len(rows))
    assert db.execute(definition).all() == indexes and db.execute(constraints).all() == cons
    assert "周三2" in search(api, world, "zhousan")
    assert assert_search_keys_exact(db) == count(db)
    r = api.post("/customers", headers=world.h("bm_a"), json={  # the sequences are past the imported rows
        "name": "赵六", "gender": "male", "birth_date": "1977-07-07", "id_number": id_number("440106", "19770707", 77,
                                                                                          True),
        "phone": "13611112222", "org_id": world.orgs["A"]})
    assert r.status_code == 201, r.text


@pytest.mark.postgres
def test_after_a_bulk_load_commits_the_rebuilt_tables_are_vacuumed(tmp_path, monkeypatch):
    """The key rows are not written in key order: a key's index-only walk reads no heap
    page only if the visibility map says every page is all-visible, so the import
    vacuums the tables it rebuilt once it has committed (on its own database here: the
    tests' transaction cannot hold a VACUUM)."""
    from server.db import make_engine, make_sessionmaker
    from server.keys import create_key_file
    from server.migrate import upgrade
    from server.services.orgs import HEAD_OFFICE_CODE, ensure_head_office
    admin = pg_admin_url()
    assert admin is not None
    name = f"crm_vacuum_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(make_url(admin).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        create_key_file(tmp_path / "keys.json")
        factory = make_sessionmaker(engine, tmp_path / "keys.json")
        with factory() as db:
            ensure_head_office(db)
            db.commit()
        monkeypatch.setattr(import_engine, "BIG_FILE_BYTES", 0)
        monkeypatch.setattr(sys.modules[CustomersImport.__module__], "BULK_MIN", 1)
        rows = [person(core=f"V{i}", name=f"王{'一二三四五六七八九十'[i % 10]}{i}", branch=HEAD_OFFICE_CODE,
                       idn=id_number("320102", f"19800{(i % 9) + 1}1{i % 10}", i, i % 2 == 1), phone=f"135{i:08d}")
                for i in range(300)]
        stages: list[str] = []

        class Seen:
            def stage(self, stage: str) -> None:
                stages.append(stage)

            def rows(self, rows: int, done_bytes: int, total_bytes: int) -> None:
                pass

        out = run_import(factory, "customers", csv_file(tmp_path / "bulk.csv", rows), DAY, progress=Seen())
        assert (out.status, out.created) == ("applied", 300)
        assert stages[-1] == "vacuuming"
        with engine.connect() as conn:
            for table in ("customer", "customer_search_key"):
                pages, visible = conn.execute(text("SELECT relpages, relallvisible FROM pg_class WHERE relname = :t"),
                                              {"t": table}).one()
                assert pages > 0 and visible == pages, (table, pages, visible)
        with factory() as db:
            assert assert_search_keys_exact(db) == 300
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----------------------------------------------------------------------------- the command
def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("crm-server")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
    return subprocess.run(cmd + args, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli_env(request, tmp_path):  # type: ignore[no-untyped-def]
    """A fresh, initialised database for a real `crm-server` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env["CRM_KEY_FILE"] = str(tmp_path / "keys.json")
    name = None
    if request.param == "sqlite":
        env["CRM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    else:
        admin = pg_admin_url()
        if admin is None:
            pytest.skip("CRM_TEST_DATABASE_URL is not set")
        name = f"crm_cli_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["CRM_DATABASE_URL"] = make_url(admin).set(database=name).render_as_string(hide_password=False)
    r = _cli(["init"], env)
    assert r.returncode == 0, r.stderr
    yield env
    if name is not None:
        with psycopg.connect(pg_admin_url(), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.e2e
def test_the_import_command_answers_one_json_line_and_its_exit_code(cli_env, tmp_path):
    from server.services.orgs import HEAD_OFFICE_CODE
    rows = [person(branch=HEAD_OFFICE_CODE), person(core="K2", idn=id_number("320102", "19790909", 9, True),
                                                     phone="13500000002", branch=HEAD_OFFICE_CODE)]
    good = csv_file(tmp_path / "good.csv", rows)
    args = ["import", "customers", str(good), "--business-date", "2026-12-01"]
    r = _cli(args, cli_env)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout.strip().splitlines()[-1])
    assert answer == {**answer, "kind": "customers", "business_date": "2026-12-01", "sequence": 1,
                      "status": "applied", "read": 2, "applied": 2, "duplicate": 0, "rejected": 0,
                      "control_rows": 2, "control_amount": "0.00"}
    assert set(answer) == {"id", "kind", "business_date", "sequence", "status", "read", "applied", "duplicate",
                           "rejected", "control_rows", "control_amount", "duration_ms"}
    assert "reading" in r.stderr  # progress goes to stderr, the answer alone to stdout
    r = _cli(args, cli_env)
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "already_imported"
    assert json.loads(r.stdout)["id"] == answer["id"]
    bad = csv_file(tmp_path / "bad.csv", rows, trailer="TRAILER,5,0")
    r = _cli(["import", "customers", str(bad), "--business-date", "2026-12-02", "--sequence", "3"], cli_env)
    assert r.returncode == 1 and json.loads(r.stdout)["status"] == "refused"
    assert json.loads(r.stdout)["sequence"] == 3
    r = _cli(["import", "customers", str(tmp_path / "missing.csv"), "--business-date", "2026-12-02"], cli_env)
    assert r.returncode == 2 and r.stdout == ""
    r = _cli(["import", "customers", str(good), "--business-date", "2026-13-01"], cli_env)
    assert r.returncode == 2
