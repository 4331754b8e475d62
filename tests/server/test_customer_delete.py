"""Deleting a customer only through four eyes, archived whole first, and restored within
the window (REQUIREMENTS R-204; CONTRACT.md "Four-eyes approvals (general)";
roles-and-permissions.md: "delete customer: account manager request (A); branch manager
request (A), checker", "approve ... deletion: branch manager checker in subtree; head-office
admin checker for ... items escalated from a branch with no other checker"). An admin's
reset of someone's second factor waits for a second admin the same way.

Expectations are the spec's; the world is tests/server/conftest.py's (`main` is in A1 and
am_a's book; bm_a is branch A's only branch manager, bm_b branch B's).
"""
from __future__ import annotations

import base64
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
import pytest
from sqlalchemy import func, select, text, update

from server.crypto import FieldCipher
from server.keys import create_key_file
from server.models import (
    ApprovalRequest,
    AuditLog,
    Customer,
    CustomerArchive,
    HouseholdMember,
    RecoveryCode,
    SecondFactor,
    User,
)
from shared.masking import mask_id_number
from tests.server.conftest import PASSWORD, id_number

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
FAMILY = [{"name": "张三丰", "relation": "self", "birth_date": "1990-03-07", "occupation": "工程师"},
          {"name": "李秀英", "relation": "spouse", "birth_date": "1991-05-01"}]


# ----------------------------------------------------------------------------- helpers
def cid_of(world: Any, key: str) -> int:
    return int(world.customers[key])


def get(api: Any, world: Any, user: str, path: str) -> httpx.Response:
    return api.get(path, headers=world.h(user))


def request_delete(api: Any, world: Any, user: str, cid: int, reason: str = "客户重复建档，申请删除",
                   version: int | None = None) -> httpx.Response:
    if version is None:
        version = get(api, world, "bm_a" if user in ("am_a", "am_a2", "bm_a") else "bm_b",
                      f"/customers/{cid}").json()["version"]
    return api.request("DELETE", f"/customers/{cid}", headers=world.h(user), json={"version": version,
                                                                                  "reason": reason})


def decide(api: Any, headers: dict[str, str], db: Any, aid: int, verb: str = "approve",
           reason: str | None = "同意") -> httpx.Response:
    version = db.scalar(select(ApprovalRequest.version).where(ApprovalRequest.id == aid))
    return api.post(f"/approvals/{aid}/{verb}", headers=headers, json={"version": version, "reason": reason})


def delete_approved(api: Any, world: Any, db: Any, key: str = "main", maker: str = "am_a",
                    checker: str = "bm_a") -> int:
    r = request_delete(api, world, maker, cid_of(world, key))
    assert r.status_code == 202, r.text
    ok = decide(api, world.h(checker), db, r.json()["approval_id"])
    assert ok.status_code == 200, ok.text
    return int(r.json()["approval_id"])


def seed_main(api: Any, world: Any) -> None:
    """main with a household, a balance sheet, an income table naming a member, and edits
    in its history (a phone among them: sealed there)."""
    cid = cid_of(world, "main")
    h = api.put(f"/customers/{cid}/household", headers=world.h("am_a"), json={"version": 0, "members": FAMILY})
    assert h.status_code == 200, h.text
    spouse = h.json()["members"][1]["id"]
    assert api.post(f"/customers/{cid}/balance-sheets", headers=world.h("am_a"), json={
        "as_of": "2026-06-30", "lines": [{"type": "cash", "amount": "20000.00"},
                                         {"type": "mortgage", "amount": "300000.00"}]}).status_code == 201
    assert api.post(f"/customers/{cid}/income-statements", headers=world.h("am_a"), json={
        "year": 2025, "lines": [{"type": "wages", "amount": "120000.00"},
                                {"type": "wages", "amount": "80000.00", "member_id": spouse}]}).status_code == 201
    v = get(api, world, "am_a", f"/customers/{cid}").json()["version"]
    assert api.patch(f"/customers/{cid}", headers=world.h("am_a"), json={
        "version": v, "phone": "13911112222", "occupation": "高级工程师"}).status_code == 200


def reads(api: Any, world: Any, cid: int, user: str = "bm_a") -> dict[str, Any]:
    """Everything a branch manager reads of the customer."""
    out: dict[str, Any] = {}
    for name in ("", "/household", "/balance-sheets", "/income-statements", "/history?page_size=200"):
        r = get(api, world, user, f"/customers/{cid}{name}")
        out[name] = (r.status_code, r.json())
    return out


def found_ids(api: Any, world: Any, user: str, q: str) -> set[int]:
    r = api.get("/customers", headers=world.h(user), params={"q": q})
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


def archive_page(api: Any, world: Any, user: str, q: str | None = None) -> httpx.Response:
    return api.get("/archive/customers", headers=world.h(user), params={"q": q} if q is not None else None)


def audit_count(db: Any, action: str, object_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == action, AuditLog.object_id == str(object_id))) or 0)


# ----------------------------------------------------------------------------- the whole way
def test_a_deletion_waits_for_a_checker_archives_everything_and_a_restore_brings_it_back(api, world, db):
    seed_main(api, world)
    cid = cid_of(world, "main")
    c = db.get(Customer, cid)
    idn, phone, address, customer_no, name = c.id_number, c.phone, c.address, c.customer_no, c.name
    before = reads(api, world, cid)
    assert all(status == 200 for status, _ in before.values())
    assert before["/history?page_size=200"][1]["total"] >= 5

    r = request_delete(api, world, "am_a", cid)
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    aid = r.json()["approval_id"]
    # nothing is removed before approval
    assert reads(api, world, cid) == before
    assert get(api, world, "am_a", f"/customers/{cid}").status_code == 200
    listed = next(a for a in get(api, world, "bm_a", "/approvals?status=pending").json()["items"] if a["id"] == aid)
    assert listed["kind"] == "customer.delete" and listed["object_id"] == str(cid)
    assert listed["details"]["customer_no"] == customer_no and idn not in str(listed)
    assert aid in {a["id"] for a in get(api, world, "am_a", "/approvals?mine=true").json()["items"]}
    # an account manager is no checker; the other branch's manager does not reach it
    assert decide(api, world.h("am_a"), db, aid).status_code == 403
    assert decide(api, world.h("bm_b"), db, aid).status_code == 404
    assert audit_count(db, "customer.delete_request", cid) == 1

    ok = decide(api, world.h("bm_a"), db, aid)
    assert ok.status_code == 200 and ok.json()["status"] == "approved", ok.text
    assert ok.json()["decided_by"]["username"] == "bm_a"

    # gone from reads, for everyone who could read it
    for user in ("am_a", "bm_a", "teller_a1"):
        gone = get(api, world, user, f"/customers/{cid}")
        assert gone.status_code == 404 and set(gone.json()) <= PROBLEM_KEYS
    for name_ in ("/household", "/balance-sheets", "/income-statements", "/history"):
        assert get(api, world, "bm_a", f"/customers/{cid}{name_}").status_code == 404
    assert get(api, world, "auditor", f"/customers/{cid}/history").status_code == 404
    # ... and from search: by name, customer number, exact resident ID, phone
    for q in (name, name[1:], customer_no, idn, phone):
        assert cid not in found_ids(api, world, "bm_a", q), q
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.id == cid)) == 0

    # the archive: branch managers in scope and auditors; not another branch; not the others
    for user in ("bm_a", "auditor"):
        page = archive_page(api, world, user)
        assert page.status_code == 200, page.text
        item = next(i for i in page.json()["items"] if i["id"] == cid)
        assert item["customer_no"] == customer_no and item["name"] == name
        assert item["id_number"] == mask_id_number(idn) and item["id_number"] != idn
        assert item["archived_by"]["username"] == "bm_a" and item["requested_by"]["username"] == "am_a"
        assert item["reason"] == "客户重复建档，申请删除" and item["approval_id"] == aid
        assert item["org_id"] == world.orgs["A1"] and item["restorable_until"] > item["archived_at"]
    other = archive_page(api, world, "bm_b")
    assert other.status_code == 200 and other.json()["total"] == 0 and other.json()["items"] == []
    for user in ("teller_a1", "am_a", "admin"):
        refused = archive_page(api, world, user)
        assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"
    # q: the exact customer number, the exact resident ID (lower-case x too), a fragment of the name
    for q in (customer_no, customer_no.lower(), idn, idn.lower(), "三丰", name):
        assert [i["id"] for i in archive_page(api, world, "bm_a", q).json()["items"]] == [cid], q
    for q in (idn[:-1], "李四", "C0", phone):
        assert archive_page(api, world, "bm_a", q).json()["total"] == 0, q

    # the archive's table holds no identifier, phone or address in plain text (nor in base64)
    raw = " ".join(str(v) for row in db.execute(text("SELECT * FROM customer_archive")).all() for v in row)
    for secret in (idn, phone, address, "13912345678"):
        assert secret not in raw and base64.b64encode(secret.encode()).decode() not in raw, secret
    # the act is recorded once
    assert audit_count(db, "customer.delete", cid) == 1

    # the id number is free: a restore now would find it taken only if someone took it
    restored = api.post(f"/archive/customers/{cid}/restore", headers=world.h("bm_a"),
                        json={"reason": "误删，恢复"})
    assert restored.status_code == 200, restored.text
    assert restored.json() == before[""][1]
    after = reads(api, world, cid)
    for part in ("", "/household", "/balance-sheets", "/income-statements"):
        assert after[part] == before[part], part
    hist_before, hist_after = before["/history?page_size=200"][1], after["/history?page_size=200"][1]
    added = [e for e in hist_after["items"] if e["action"] == "restore"]
    assert added and all(e["actor"]["username"] == "bm_a" for e in added)
    assert {e["field"]: e["new"] for e in added}.get("restore_reason") == "误删，恢复"
    assert hist_after["items"][len(added):] == hist_before["items"]
    assert hist_after["total"] == hist_before["total"] + len(added)
    for q in (name, name[1:], customer_no, idn):
        assert cid in found_ids(api, world, "bm_a", q), q
    assert archive_page(api, world, "bm_a").json()["total"] == 0
    assert api.post(f"/archive/customers/{cid}/restore", headers=world.h("bm_a")).status_code == 404
    assert audit_count(db, "customer.restore", cid) == 1


def test_the_maker_never_approves_and_a_lone_branch_manager_escalates_to_the_head_office(api, world, db):
    cid = cid_of(world, "a_other")
    r = request_delete(api, world, "bm_a", cid)  # bm_a is branch A's only possible checker
    assert r.status_code == 202, r.text
    aid = r.json()["approval_id"]
    own = decide(api, world.h("bm_a"), db, aid)
    assert own.status_code == 403 and own.json()["code"] == "approval.own_request"
    assert db.scalar(select(ApprovalRequest.escalated).where(ApprovalRequest.id == aid)) is True
    assert aid in {a["id"] for a in get(api, world, "admin", "/approvals?status=pending").json()["items"]}
    assert decide(api, world.h("bm_b"), db, aid).status_code == 404
    ok = decide(api, world.h("admin"), db, aid)
    assert ok.status_code == 200, ok.text
    assert get(api, world, "bm_a", f"/customers/{cid}").status_code == 404
    assert audit_count(db, "customer.delete", cid) == 1


def test_an_account_managers_request_is_decided_in_the_branch_not_at_the_head_office(api, world, db):
    r = request_delete(api, world, "am_a", cid_of(world, "main"))
    aid = r.json()["approval_id"]
    assert db.scalar(select(ApprovalRequest.escalated).where(ApprovalRequest.id == aid)) is False
    assert aid not in {a["id"] for a in get(api, world, "admin", "/approvals").json()["items"]}
    assert decide(api, world.h("admin"), db, aid).status_code == 404


# ----------------------------------------------------------------------------- refusals that change nothing
def test_a_customer_changed_after_the_request_makes_the_approval_stale_and_nothing_is_deleted(api, world, db):
    cid = cid_of(world, "main")
    aid = request_delete(api, world, "am_a", cid).json()["approval_id"]
    v = get(api, world, "am_a", f"/customers/{cid}").json()["version"]
    assert api.patch(f"/customers/{cid}", headers=world.h("am_a"), json={"version": v, "occupation": "律师"}
                     ).status_code == 200
    stale = decide(api, world.h("bm_a"), db, aid)
    assert stale.status_code == 409 and stale.json()["code"] == "approval.stale", stale.text
    assert db.scalar(select(ApprovalRequest.status).where(ApprovalRequest.id == aid)) == "pending"
    assert get(api, world, "bm_a", f"/customers/{cid}").status_code == 200
    assert db.scalar(select(func.count()).select_from(CustomerArchive)) == 0
    assert audit_count(db, "customer.delete", cid) == 0


def test_a_rejected_deletion_keeps_its_reason_and_deletes_nothing(api, world, db):
    cid = cid_of(world, "main")
    aid = request_delete(api, world, "am_a", cid).json()["approval_id"]
    r = decide(api, world.h("bm_a"), db, aid, "reject", "客户仍有业务往来")
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["reason"] == "客户仍有业务往来"
    mine = next(a for a in get(api, world, "am_a", "/approvals?mine=true").json()["items"] if a["id"] == aid)
    assert mine["status"] == "rejected" and mine["reason"] == "客户仍有业务往来"
    assert get(api, world, "bm_a", f"/customers/{cid}").status_code == 200
    assert db.scalar(select(func.count()).select_from(CustomerArchive)) == 0
    # once decided, a new request may be filed
    assert request_delete(api, world, "am_a", cid).status_code == 202


def test_one_pending_deletion_per_customer_and_a_stale_version_is_409_with_current(api, world, db):
    cid = cid_of(world, "main")
    assert request_delete(api, world, "am_a", cid).status_code == 202
    again = request_delete(api, world, "bm_a", cid)
    assert again.status_code == 409 and again.json()["code"] == "customer.delete.pending", again.text
    assert set(again.json()) <= PROBLEM_KEYS
    stale = request_delete(api, world, "bm_a", cid_of(world, "a_other"), version=99)
    assert stale.status_code == 409 and stale.json()["code"] == "resource.version_conflict"
    assert stale.json()["current"]["id"] == cid_of(world, "a_other")
    assert db.scalar(select(func.count()).select_from(ApprovalRequest).where(
        ApprovalRequest.kind == "customer.delete")) == 1


@pytest.mark.parametrize("body, field, code", [
    (None, "body", "field.required"),
    ({"version": 1}, "reason", "field.required"),
    ({"version": 1, "reason": ""}, "reason", "field.required"),
    ({"version": 1, "reason": "   "}, "reason", "field.required"),
    ({"version": 1, "reason": "x" * 501}, "reason", "field.too_long"),
    ({"reason": "重复"}, "version", "field.required"),
    ({"version": 1, "reason": "重复", "force": True}, "force", "field.unknown"),
])
def test_a_bad_deletion_body_is_422_naming_the_field(api, world, db, body, field, code):
    r = api.request("DELETE", f"/customers/{cid_of(world, 'main')}", headers=world.h("am_a"), json=body)
    assert r.status_code == 422, r.text
    assert (field, code) in [(e["field"], e["code"]) for e in r.json()["errors"]], r.json()
    assert db.scalar(select(func.count()).select_from(ApprovalRequest).where(
        ApprovalRequest.kind == "customer.delete")) == 0


@pytest.mark.parametrize("user, key, status", [
    ("teller_a1", "main", 403),  # the role may never
    ("admin", "main", 403),
    ("auditor", "main", 403),
    ("am_a", "a_other", 403),  # may look it up, not in their book
    ("am_a", "b", 404),  # outside the scope: as if it did not exist
    ("bm_a", "b", 404),
])
def test_who_may_ask_for_a_deletion(api, world, user, key, status):
    cid = cid_of(world, key)
    r = api.request("DELETE", f"/customers/{cid}", headers=world.h(user), json={"version": 1, "reason": "删除"})
    assert r.status_code == status, r.text
    assert set(r.json()) <= PROBLEM_KEYS


# ----------------------------------------------------------------------------- restoring
def test_restore_is_refused_after_the_window_which_is_a_setting(api, make_client, world, db):
    cid = cid_of(world, "main")
    delete_approved(api, world, db)
    archived_at = db.scalar(select(CustomerArchive.archived_at).where(CustomerArchive.customer_id == cid))
    db.execute(update(CustomerArchive).where(CustomerArchive.customer_id == cid)
               .values(archived_at=archived_at - timedelta(days=30, minutes=1)))
    db.commit()
    late = api.post(f"/archive/customers/{cid}/restore", headers=world.h("bm_a"))
    assert late.status_code == 409 and late.json()["code"] == "archive.restore_expired", late.text
    assert get(api, world, "bm_a", f"/customers/{cid}").status_code == 404
    longer = make_client(restore_days=60)
    item = longer.get("/archive/customers", headers=world.h("bm_a")).json()["items"][0]
    assert item["id"] == cid
    assert longer.post(f"/archive/customers/{cid}/restore", headers=world.h("bm_a")).status_code == 200


def test_the_id_number_is_free_after_deletion_and_restore_then_refuses_naming_nothing(api, world, db):
    cid = cid_of(world, "main")
    idn = db.get(Customer, cid).id_number
    delete_approved(api, world, db)
    assert found_ids(api, world, "bm_a", idn) == set()
    again = api.post("/customers", headers=world.h("am_a"), json={
        "name": "张三丰", "gender": "male", "birth_date": "1990-03-07", "id_number": idn, "org_id": world.orgs["A"]})
    assert again.status_code == 201, again.text
    r = api.post(f"/archive/customers/{cid}/restore", headers=world.h("bm_a"))
    assert r.status_code == 409 and r.json()["code"] == "archive.restore_identifier_taken", r.text
    assert set(r.json()) <= PROBLEM_KEYS and str(again.json()["id"]) not in r.text
    assert archive_page(api, world, "bm_a").json()["total"] == 1  # still archived, still restorable later


@pytest.mark.parametrize("user, status", [("teller_a1", 403), ("am_a", 403), ("admin", 403), ("auditor", 403),
                                          ("bm_b", 404), ("bm_a", 200)])
def test_who_may_restore(api, world, db, user, status):
    cid = cid_of(world, "main")
    delete_approved(api, world, db)
    r = api.post(f"/archive/customers/{cid}/restore", headers=world.h(user), json={})
    assert r.status_code == status, r.text


def test_restore_of_nothing_archived_is_404(api, world):
    assert api.post(f"/archive/customers/{cid_of(world, 'main')}/restore", headers=world.h("bm_a")
                    ).status_code == 404
    assert api.post("/archive/customers/2147483000/restore", headers=world.h("bm_a")).status_code == 404


def test_another_households_member_who_was_the_customer_is_relinked_on_restore(api, world, db):
    main, other = cid_of(world, "main"), cid_of(world, "a_other")
    h = api.put(f"/customers/{main}/household", headers=world.h("bm_a"), json={
        "version": 0, "members": [{"name": "李四", "relation": "other", "customer_id": other}]})
    member = h.json()["members"][0]["id"]
    delete_approved(api, world, db, key="a_other", maker="am_a2")
    assert db.scalar(select(HouseholdMember.customer_id).where(HouseholdMember.id == member)) is None
    assert api.post(f"/archive/customers/{other}/restore", headers=world.h("bm_a")).status_code == 200
    assert get(api, world, "bm_a", f"/customers/{main}/household").json()["members"][0]["customer_id"] == other


def test_deleted_restored_and_deleted_again_is_archived_again(api, world, db):
    cid = cid_of(world, "main")
    delete_approved(api, world, db)
    assert api.post(f"/archive/customers/{cid}/restore", headers=world.h("bm_a")).status_code == 200
    delete_approved(api, world, db)
    assert [i["id"] for i in archive_page(api, world, "auditor").json()["items"]] == [cid]
    rows = db.execute(select(CustomerArchive.restored_at, CustomerArchive.snapshot).where(
        CustomerArchive.customer_id == cid).order_by(CustomerArchive.id)).all()
    assert len(rows) == 2 and rows[0][0] is not None and rows[0][1] is None and rows[1][0] is None


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("id", "balance_sheet_id")}
    if isinstance(value, (list, tuple)):
        return [_without_ids(v) for v in value]
    return value


def test_rows_whose_ids_went_to_others_meanwhile_come_back_under_new_ones(api, world, db, backend):
    """PostgreSQL never gives an id twice; SQLite gives a deleted table's highest ids to
    the next rows: those rows come back with new ids, the same content, in the same order."""
    other, main = cid_of(world, "a_other"), cid_of(world, "main")
    lines = [{"type": "cash", "amount": "100.00"}, {"type": "demand_deposits", "amount": "200.00"}]
    assert api.post(f"/customers/{other}/balance-sheets", headers=world.h("bm_a"),
                    json={"as_of": "2026-06-30", "lines": lines}).status_code == 201
    before = reads(api, world, other)
    delete_approved(api, world, db, key="a_other", maker="am_a2")
    took = api.post(f"/customers/{main}/balance-sheets", headers=world.h("bm_a"),
                    json={"as_of": "2026-06-30", "lines": [{"type": "cash", "amount": "5.00"}] * 3})
    assert took.status_code == 201
    assert api.post(f"/archive/customers/{other}/restore", headers=world.h("bm_a")).status_code == 200
    after = reads(api, world, other)
    if backend.name == "postgres":
        assert after["/balance-sheets"] == before["/balance-sheets"]
    else:
        assert _without_ids(after["/balance-sheets"]) == _without_ids(before["/balance-sheets"])
    assert get(api, world, "bm_a", f"/customers/{main}/balance-sheets").json()["items"] == [took.json()]


def test_a_customer_id_sqlite_gave_to_another_refuses_the_restore(api, world, db, backend):
    def new(idn: str) -> int:
        r = api.post("/customers", headers=world.h("am_a"), json={
            "name": "赵六", "gender": "male", "birth_date": "1980-01-01", "id_number": idn,
            "org_id": world.orgs["A"]})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    first = new(id_number("110101", "19800101", 11, True))
    world.customers["newest"] = first
    try:
        delete_approved(api, world, db, key="newest")
    finally:
        del world.customers["newest"]
    second = new(id_number("110101", "19800101", 13, True))
    r = api.post(f"/archive/customers/{first}/restore", headers=world.h("bm_a"))
    if backend.name == "postgres":
        assert second != first and r.status_code == 200, r.text
    else:
        assert second == first  # SQLite's rowid: the highest id deleted is the next one given
        assert r.status_code == 409 and r.json()["code"] == "archive.restore_id_taken", r.text


# ----------------------------------------------------------------------------- the blind index
def test_the_blind_index_is_keyed_bound_to_its_field_and_deterministic(tmp_path):
    create_key_file(tmp_path / "a.json")
    create_key_file(tmp_path / "b.json")
    a, b = FieldCipher.from_key_file(tmp_path / "a.json"), FieldCipher.from_key_file(tmp_path / "b.json")
    idn = id_number("110101", "19900307", 45, True)
    assert a.blind_index("customer.id_number", idn) == a.blind_index("customer.id_number", idn)
    assert len(a.blind_index("customer.id_number", idn)) == 64
    assert a.blind_index("customer.id_number", idn) != a.blind_index("customer.phone", idn)
    assert a.blind_index("customer.id_number", idn) != b.blind_index("customer.id_number", idn)
    assert a.blind_indexes("customer.id_number", idn) == [a.blind_index("customer.id_number", idn)]
    assert idn not in a.blind_index("customer.id_number", idn)


# ----------------------------------------------------------------------------- twenty checkers at once
@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_twenty_simultaneous_approvals_delete_once(live_server):
    from server.security import hash_password

    live = live_server()
    w = live.world
    hashed = hash_password(PASSWORD)
    with live.factory() as db:  # nineteen more branch managers of A: twenty different checkers
        for n in range(19):
            db.add(User(username=f"bm_a_{n}", username_key=f"bm_a_{n}", password_hash=hashed, display_name=f"副行长{n}",
                        role="branch_manager", org_id=w.orgs["A"], position="department_head"))
        db.commit()
    with httpx.Client(base_url=live.url, timeout=60) as client:
        tokens = [w.tokens["bm_a"]] + [
            client.post("/auth/login", json={"username": f"bm_a_{n}", "password": PASSWORD}).json()["access_token"]
            for n in range(19)]
        cid = w.customers["main"]
        v = client.get(f"/customers/{cid}", headers=live.h("am_a")).json()["version"]
        r = client.request("DELETE", f"/customers/{cid}", headers=live.h("am_a"),
                           json={"version": v, "reason": "并发审批测试"})
        assert r.status_code == 202, r.text
        aid = r.json()["approval_id"]
    barrier = threading.Barrier(len(tokens))
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def approve(token: str) -> None:
        with httpx.Client(base_url=live.url, timeout=60) as c:
            barrier.wait()
            a = c.post(f"/approvals/{aid}/approve", headers={"Authorization": f"Bearer {token}"},
                       json={"version": 1, "reason": "同意"})
            with lock:
                answers.append((a.status_code, a.json().get("code")))

    threads = [threading.Thread(target=approve, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers, key=lambda a: a[0]) == [(200, None)] + [(409, "approval.not_pending")] * 19, answers
    with live.factory() as db:
        assert db.scalar(select(func.count()).select_from(CustomerArchive)) == 1
        assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customer.delete")) == 1
        assert db.get(Customer, cid) is None


# ----------------------------------------------------------------------------- a second factor's reset
def _enrol(api: Any, username: str) -> dict[str, Any]:
    first = api.post("/auth/login", json={"username": username, "password": PASSWORD}).json()
    assert first["mfa_enrolment_required"] is True, first
    secret = parse_qs(urlparse(first["otpauth_uri"]).query)["secret"][0]
    r = api.post("/auth/totp", json={"mfa_token": first["mfa_token"], "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200 and r.json()["recovery_codes"], r.text
    return dict(r.json())


def test_an_admins_reset_of_a_second_factor_waits_for_another_admin(make_client, world, db):
    api = make_client(mfa_roles="branch_manager")
    made = api.post("/users", headers=world.h("admin"), json={
        "username": "mfa.bm", "password": PASSWORD, "display_name": "双因素行长", "role": "branch_manager",
        "org_id": world.orgs["A"]})
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    session = _enrol(api, "mfa.bm")
    me = {"Authorization": f"Bearer {session['access_token']}"}
    assert api.get("/auth/me", headers=me).status_code == 200

    r = api.post(f"/users/{uid}/second-factor/reset", headers=world.h("admin"))
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    aid = r.json()["approval_id"]
    # nothing happens before a second admin approves
    assert api.get("/auth/me", headers=me).status_code == 200
    assert api.post("/auth/login", json={"username": "mfa.bm", "password": PASSWORD}).json().get("mfa_required")
    own = decide(api, world.h("admin"), db, aid)
    assert own.status_code == 403 and own.json()["code"] == "approval.own_request"
    assert decide(api, world.h("bm_a"), db, aid).status_code == 404  # user items are the head office's
    ok = decide(api, world.h("admin2"), db, aid)
    assert ok.status_code == 200, ok.text

    assert api.get("/auth/me", headers=me).status_code == 401  # the sessions ended
    again = api.post("/auth/login", json={"username": "mfa.bm", "password": PASSWORD}).json()
    assert again.get("mfa_enrolment_required") is True and again.get("otpauth_uri"), again
    assert db.scalar(select(SecondFactor.secret).where(SecondFactor.user_id == uid)) is None
    assert db.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == uid)) == 0
    assert audit_count(db, "user.mfa_reset", uid) == 1


def test_nobody_resets_their_own_second_factor_or_decides_a_reset_of_their_own(api, world, db):
    me = world.users["admin"]
    r = api.post(f"/users/{me}/second-factor/reset", headers=world.h("admin"))
    assert r.status_code == 403 and r.json()["code"] == "user.self_administration", r.text
    assert db.scalar(select(func.count()).select_from(ApprovalRequest).where(
        ApprovalRequest.kind == "user.mfa_reset")) == 0
    r = api.post(f"/users/{world.users['admin2']}/second-factor/reset", headers=world.h("admin"))
    assert r.status_code == 202
    theirs = decide(api, world.h("admin2"), db, r.json()["approval_id"])
    assert theirs.status_code == 403 and theirs.json()["code"] == "approval.checker_is_target"
    for user in ("bm_a", "am_a", "auditor", "teller_a1"):
        denied = api.post(f"/users/{world.users['am_a2']}/second-factor/reset", headers=world.h(user))
        assert denied.status_code == 403 and denied.json()["code"] == "permission.denied"
