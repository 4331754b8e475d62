"""Customer profiles through HTTP: validation, uniqueness, scope, masking, search,
optimistic concurrency and history (R-201..R-205, N-1)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc as stdnum_uscc

from server.models import AuditLog, ChangeRecord, Customer
from tests.server.conftest import id_number


def new_customer(world, org="A", **over):
    idn = over.pop("id_number", None) or id_number("320102", "19880808", 21, True)
    body = {"name": "赵六", "gender": "male", "birth_date": f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}",
            "id_number": idn, "phone": "13611112222", "org_id": world.orgs[org]}
    body.update(over)
    return body


def count(db, model=Customer):
    return db.scalar(select(func.count()).select_from(model))


def test_create_returns_201_with_number_version_and_manager(api, world):
    r = api.post("/customers", headers=world.h("am_a"), json=new_customer(world))
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["customer_no"].startswith("C") and c["version"] == 1 and c["id"]
    assert c["manager_id"] == world.users["am_a"]  # an account manager's new customer is theirs
    assert c["id_number"] == new_customer(world)["id_number"]  # own book: unmasked


def test_wrong_check_digit_is_422_naming_id_number_and_nothing_is_stored(api, world, db):
    before, changes = count(db), count(db, ChangeRecord)
    body = new_customer(world)
    good = body["id_number"]
    body["id_number"] = good[:17] + ("0" if good[17] != "0" else "1")
    r = api.post("/customers", headers=world.h("am_a"), json=body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    errs = r.json()["errors"]
    assert [(e["field"], e["code"]) for e in errs] == [("id_number", "customer.id_number.checksum")]
    assert count(db) == before and count(db, ChangeRecord) == changes


def test_lower_case_x_is_stored_upper_case(api, world):
    body = new_customer(world, id_number="11010519491231002x", gender="female", birth_date="1949-12-31")
    r = api.post("/customers", headers=world.h("am_a"), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id_number"] == "11010519491231002X"


def test_gender_and_birth_date_must_agree_with_the_id(api, world):
    r = api.post("/customers", headers=world.h("am_a"),
                 json=new_customer(world, gender="female", birth_date="1988-08-09"))
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("gender", "customer.gender.mismatch_id"), ("birth_date", "customer.birth_date.mismatch_id")}


@pytest.mark.parametrize("change, field, code", [
    ({"phone": "1234567"}, "phone", "customer.phone.format"),
    ({"name": ""}, "name", "field.required"),
    ({"name": "   "}, "name", "field.required"),
    ({"name": "名" * 101}, "name", "field.too_long"),
    ({"gender": "other"}, "gender", "field.invalid_choice"),
    ({"birth_date": "1988-02-30"}, "birth_date", "field.invalid_date"),
    ({"surprise_field": 1}, "surprise_field", "field.unknown"),
    ({"address": "a\x00b"}, "address", "field.control_characters"),
    ({"org_id": 999999}, "org_id", "customer.org_id.not_found"),
])
def test_field_level_errors(api, world, db, change, field, code):
    before = count(db)
    r = api.post("/customers", headers=world.h("am_a"), json=new_customer(world, **change))
    assert r.status_code == 422, r.text
    assert (field, code) in {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert count(db) == before


def test_missing_required_fields_are_all_named(api, world):
    r = api.post("/customers", headers=world.h("am_a"), json={"name": "钱七", "org_id": world.orgs["A"]})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"gender", "birth_date", "id_number"}


def test_duplicate_id_from_another_branch_is_409_revealing_nothing(api, world):
    main = api.get(f"/customers/{world.customers['main']}", headers=world.h("bm_a")).json()
    body = new_customer(world, org="B", id_number=main["id_number"], gender="male", birth_date=main["birth_date"],
                        name="冒名者")
    r = api.post("/customers", headers=world.h("am_b"), json=body)
    assert r.status_code == 409
    assert r.json()["code"] == "customer.id_number.duplicate"
    text = r.text
    for secret in ("张三丰", main["phone"], main["customer_no"], str(world.orgs["A1"]) + ","):
        assert secret not in text


@pytest.mark.parametrize("name", ["Zoë O'Brien-Łukasz", "买买提·艾力", "𠮷田 祥子", "😀 王"])
def test_names_are_stored_exactly_as_typed(api, world, name):
    r = api.post("/customers", headers=world.h("am_a"), json=new_customer(world, name=name))
    assert r.status_code == 201, r.text
    got = api.get(f"/customers/{r.json()['id']}", headers=world.h("am_a")).json()
    assert got["name"] == name


# ----------------------------------------------------------------------------- scope
@pytest.mark.parametrize("user", ["teller_b", "am_b", "bm_b"])
def test_another_branch_cannot_see_a_customer_by_id(api, world, user):
    cid = world.customers["main"]
    for path in (f"/customers/{cid}", f"/customers/{cid}/history"):
        r = api.get(path, headers=world.h(user))
        if user == "teller_b" and path.endswith("history"):
            assert r.status_code == 403  # tellers may not read history at all
            continue
        assert r.status_code == 404
        assert r.json()["code"] == "resource.not_found"
        assert "张三丰" not in r.text
    missing = api.get("/customers/99999999", headers=world.h(user))
    assert missing.json() == api.get(f"/customers/{cid}", headers=world.h(user)).json()
    r = api.patch(f"/customers/{cid}", headers=world.h(user), json={"version": 1, "phone": "13500000000"})
    assert r.status_code == 404


@pytest.mark.parametrize("user", ["teller_b", "am_b", "bm_b"])
def test_another_branch_cannot_find_a_customer_by_search(api, world, user):
    for q in ("张三丰", "三丰", "zsf", "13912345678"):
        r = api.get("/customers", headers=world.h(user), params={"q": q})
        assert r.status_code == 200
        assert all(item["id"] != world.customers["main"] for item in r.json()["items"])
    r = api.get("/customers", headers=world.h(user), params={"q": "张"})
    expected = 0 if user == "teller_b" else 1  # only 张伟 of branch B (not in the teller's sub-branch)
    assert r.json()["total"] == len(r.json()["items"]) == expected


def test_head_office_admin_and_auditor_cannot_look_up_customers(api, world):
    for user in ("admin", "auditor"):
        assert api.get("/customers", headers=world.h(user)).status_code == 403
        assert api.get(f"/customers/{world.customers['main']}", headers=world.h(user)).status_code == 403


# ----------------------------------------------------------------------------- search
@pytest.mark.parametrize("q", ["110101199003074514", "13912345678", "张", "三", "三丰", "张三丰", "zsf", "ZSF",
                               "zhangsanfeng", "zhangsan", "zhangs", "zh", "zs", "+86 139 1234 5678"])
def test_find_by_id_phone_fragment_and_pinyin(api, world, q):
    q = q if q[0] != "1" or len(q) != 18 else api.get(f"/customers/{world.customers['main']}",
                                                       headers=world.h("am_a")).json()["id_number"]
    r = api.get("/customers", headers=world.h("am_a"), params={"q": q})
    assert r.status_code == 200
    assert world.customers["main"] in [c["id"] for c in r.json()["items"]], q


def test_find_by_customer_number(api, world):
    no = api.get(f"/customers/{world.customers['main']}", headers=world.h("am_a")).json()["customer_no"]
    r = api.get("/customers", headers=world.h("teller_a1"), params={"q": no.lower()})
    assert [c["id"] for c in r.json()["items"]] == [world.customers["main"]]


@pytest.mark.parametrize("q", ["'", '"; DROP TABLE customer; --', "%", "_", "\\", "😀", "张%", "a" * 100])
def test_any_text_is_a_harmless_query(api, world, q):
    r = api.get("/customers", headers=world.h("am_a"), params={"q": q})
    assert r.status_code == 200
    assert r.json()["total"] == 0


def test_results_are_masked_paged_and_filtered(api, world):
    r = api.get("/customers", headers=world.h("bm_a"), params={"page_size": 1, "sort": "name"})
    body = r.json()
    assert body["total"] == 2 and body["page_size"] == 1 and len(body["items"]) == 1
    assert body["items"][0]["name"] == "李四"  # pinyin order: li < zhang
    assert "*" in body["items"][0]["id_number"] and "*" in body["items"][0]["phone"]
    r = api.get("/customers", headers=world.h("bm_a"), params={"org_id": world.orgs["A1"]})
    assert [c["id"] for c in r.json()["items"]] == [world.customers["main"]]
    r = api.get("/customers", headers=world.h("bm_a"), params={"manager_id": world.users["am_a2"]})
    assert [c["id"] for c in r.json()["items"]] == [world.customers["a_other"]]
    assert api.get("/customers", headers=world.h("bm_a"), params={"sort": "bogus"}).status_code == 422
    assert api.get("/customers", headers=world.h("bm_a"), params={"page_size": 201}).status_code == 422


def test_teller_sees_only_their_org_subtree(api, world):
    r = api.get("/customers", headers=world.h("teller_a1"))
    assert [c["id"] for c in r.json()["items"]] == [world.customers["main"]]
    assert r.json()["total"] == 1


def test_capped_total_is_flagged(api, world, make_client):
    capped = make_client(search_count_cap=1)
    r = capped.get("/customers", headers=world.h("bm_a"))
    assert r.json()["total"] == 1 and r.json()["total_capped"] is True


# ----------------------------------------------------------------------------- masking
def test_masking_by_role_and_audit_of_unmasked_reads(api, world, db):
    cid = world.customers["main"]
    full_id = id_number("110101", "19900307", 45, True)  # the world's `main`
    teller = api.get(f"/customers/{cid}", headers=world.h("teller_a1")).json()
    # roles-and-permissions.md: resident ID -> first 6 and last 4; mobile -> first 3 and last 4
    assert teller["id_number"] == full_id[:6] + "********" + full_id[-4:]
    assert teller["phone"] == "139****5678"
    # the birth date is digits 7-14 of the ID: masked with it, the age in its place
    assert teller["birth_date"] is None and teller["age"] >= 36
    assert set(teller["masked_fields"]) == {"id_number", "phone", "birth_date"}
    other_am = api.get(f"/customers/{cid}", headers=world.h("am_a2")).json()
    assert "*" in other_am["id_number"]
    before = db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customer.read_unmasked"))
    for user in ("am_a", "bm_a"):
        full = api.get(f"/customers/{cid}", headers=world.h(user)).json()
        assert full["id_number"] == full_id and full["phone"] == "13912345678" and full["masked_fields"] == []
        assert full["birth_date"] == "1990-03-07"
    after = db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customer.read_unmasked"))
    assert after == before + 2


# ----------------------------------------------------------------------------- updates
def test_stale_version_gets_409_with_current_and_nothing_is_overwritten(api, world):
    cid = world.customers["main"]
    c = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()
    r1 = api.patch(f"/customers/{cid}", headers=world.h("am_a"), json={"occupation": "教师", "version": c["version"]})
    assert r1.status_code == 200 and r1.json()["version"] == c["version"] + 1
    r2 = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"occupation": "医生", "version": c["version"]})
    assert r2.status_code == 409
    assert r2.json()["code"] == "resource.version_conflict"
    assert r2.json()["current"]["occupation"] == "教师" and r2.json()["current"]["version"] == c["version"] + 1
    assert api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["occupation"] == "教师"


def test_history_records_who_what_old_and_new(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["version"]
    api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"address": "城东区新华路8号", "version": v})
    h = api.get(f"/customers/{cid}/history", headers=world.h("am_a")).json()
    top = h["items"][0]
    assert (top["action"], top["field"], top["old"], top["new"]) == ("update", "address", "城东区朝阳路1号",
                                                                     "城东区新华路8号")
    assert top["actor"]["username"] == "bm_a" and top["at"].endswith("Z")
    assert {e["field"] for e in h["items"] if e["action"] == "create"} >= {"name", "id_number", "phone"}


def test_history_names_the_org_and_manager_an_id_stood_for(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("bm_a")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"manager_id": world.users["am_a2"], "version": v})
    assert r.status_code == 200
    h = api.get(f"/customers/{cid}/history", headers=world.h("auditor")).json()["items"]
    top = h[0]
    assert top["field"] == "manager_id" and top["new"] == str(world.users["am_a2"])
    assert (top["old_label"], top["new_label"]) == ("用户am_a", "用户am_a2")
    org = next(e for e in h if e["field"] == "org_id")
    assert org["new_label"] and org["old_label"] is None
    address = next(e for e in h if e["field"] == "address")
    assert address["old_label"] is None and address["new_label"] is None


def test_history_masks_sensitive_values_for_the_auditor(api, world):
    h = api.get(f"/customers/{world.customers['main']}/history", headers=world.h("auditor")).json()
    phone = next(e for e in h["items"] if e["field"] == "phone")
    assert phone["new"] == "139****5678"


def test_teller_may_change_contact_details_only(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("teller_a1")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("teller_a1"), json={"name": "张三", "version": v})
    assert r.status_code == 403 and r.json()["code"] == "permission.field_denied" and r.json()["fields"] == ["name"]
    r = api.patch(f"/customers/{cid}", headers=world.h("teller_a1"), json={"phone": "13987654321", "version": v})
    assert r.status_code == 200 and r.json()["phone"] == "139****4321"


def test_account_manager_edits_own_book_only_and_cannot_reassign(api, world):
    other = world.customers["a_other"]
    v = api.get(f"/customers/{other}", headers=world.h("am_a")).json()["version"]
    r = api.patch(f"/customers/{other}", headers=world.h("am_a"), json={"occupation": "律师", "version": v})
    assert r.status_code == 403
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("am_a"),
                  json={"manager_id": world.users["am_a2"], "version": v})
    assert r.status_code == 403 and r.json()["fields"] == ["manager_id"]


def test_branch_manager_reassigns_within_subtree_only(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("bm_a")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"manager_id": world.users["am_b"], "version": v})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "manager_id"
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"org_id": world.orgs["B"], "version": v})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "customer.org_id.out_of_scope"
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"),
                  json={"manager_id": world.users["am_a2"], "org_id": world.orgs["A2"], "version": v})
    assert r.status_code == 200, r.text
    assert r.json()["manager_id"] == world.users["am_a2"]


def test_changing_the_name_updates_search(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("am_a"), json={"name": "欧阳修", "version": v})
    assert r.status_code == 200

    def ids(q: str) -> list[int]:
        return [c["id"] for c in api.get("/customers", headers=world.h("am_a"), params={"q": q}).json()["items"]]

    assert cid in ids("欧阳") and cid in ids("oyx") and cid not in ids("三丰")


def test_invalid_update_stores_nothing(api, world, db):
    cid = world.customers["main"]
    c = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()
    r = api.patch(f"/customers/{cid}", headers=world.h("am_a"),
                  json={"phone": "abc", "occupation": "厨师", "version": c["version"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phone"
    again = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()
    assert again["occupation"] == c["occupation"] and again["version"] == c["version"]


def test_teller_creates_in_own_org_only(api, world):
    r = api.post("/customers", headers=world.h("teller_a1"), json=new_customer(world, org="A"))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "customer.org_id.out_of_scope"
    r = api.post("/customers", headers=world.h("teller_a1"), json=new_customer(world, org="A1"))
    assert r.status_code == 201 and r.json()["manager_id"] is None


# ----------------------------------------------------------------------------- idempotency
def test_idempotency_key_repeat_returns_the_first_result(api, world, db):
    h = {**world.h("am_a"), "Idempotency-Key": "save-0001"}
    before = count(db)
    first = api.post("/customers", headers=h, json=new_customer(world))
    again = api.post("/customers", headers=h, json=new_customer(world))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert count(db) == before + 1
    other = api.post("/customers", headers=h, json=new_customer(world, name="别人"))
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    # keys are per user: another user's same key is a different request
    r = api.post("/customers", headers={**world.h("bm_a"), "Idempotency-Key": "save-0001"},
                 json=new_customer(world, id_number=id_number("320102", "19880808", 23, True)))
    assert r.status_code == 201 and r.json()["id"] != first.json()["id"]


def test_idempotent_patch_is_applied_once(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["version"]
    h = {**world.h("am_a"), "Idempotency-Key": "patch-1"}
    r1 = api.patch(f"/customers/{cid}", headers=h, json={"occupation": "会计", "version": v})
    r2 = api.patch(f"/customers/{cid}", headers=h, json={"occupation": "会计", "version": v})
    assert r1.status_code == r2.status_code == 200 and r2.json()["version"] == v + 1


def test_a_masked_id_never_comes_with_its_birth_date(api, world):
    """TRAPS.md: first 6 + last 4 hide exactly digits 7-14, the birth date. Wherever the ID
    is masked — lists, reads, a 409's `current`, history — the birth date is too."""
    cid = world.customers["main"]
    full_id = id_number("110101", "19900307", 45, True)
    for user in ("teller_a1", "am_a2", "bm_a", "am_a"):  # lists mask for everyone
        rows = api.get("/customers", headers=world.h(user), params={"q": "张三丰"}).json()["items"]
        row = next(r for r in rows if r["id"] == cid)
        assert row["birth_date"] is None and row["age"] is not None and "*" in row["id_number"]
    stale = api.patch(f"/customers/{cid}", headers=world.h("teller_a1"), json={"version": 99, "phone": "13900000001"})
    assert stale.status_code == 409
    assert stale.json()["current"]["birth_date"] is None and "*" in stale.json()["current"]["id_number"]
    history = api.get(f"/customers/{cid}/history", headers=world.h("auditor")).json()["items"]
    shown = {h["field"]: h["new"] for h in history if h["action"] == "create"}
    assert shown["birth_date"] == "****-**-**" and shown["id_number"] == full_id[:6] + "********" + full_id[-4:]
    assert shown["phone"] == "139****5678"
    assert all("19900307" not in (h["new"] or "") + (h["old"] or "") for h in history)
    # a reader who may see the full profile sees the full history
    own = api.get(f"/customers/{cid}/history", headers=world.h("am_a")).json()["items"]
    assert {h["field"]: h["new"] for h in own if h["action"] == "create"}["birth_date"] == "1990-03-07"


@pytest.mark.parametrize("q", ["%00", "%E5%BC%A0%00", "%1F", "%7F"])
def test_a_search_text_with_control_characters_is_a_field_error(api, world, q):  # type: ignore[no-untyped-def]
    """PostgreSQL refuses NUL in text: such a query used to reach it and answer 500."""
    r = api.get(f"/customers?q={q}", headers=world.h("am_a"))
    assert r.status_code == 422, r.text
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {("q", "field.control_characters")}


MAIN_ID = id_number("110101", "19900307", 45, True)
CORP_USCC = "91110000600037341" + stdnum_uscc.calc_check_digit("91110000600037341")


@pytest.fixture
def corporate(db, world) -> int:  # type: ignore[no-untyped-def]
    c = Customer(customer_no="C9000000001", type="corporate", name="城东机械有限公司", sort_code=0, sort_key="",
                 uscc=CORP_USCC, org_id=world.orgs["A1"])
    db.add(c)
    db.commit()
    return c.id


@pytest.mark.parametrize(("typed", "who"), [
    (MAIN_ID, "main"), (MAIN_ID[:6] + " " + MAIN_ID[6:], "main"), ("13912345678", "main"),
    ("139 1234 5678", "main"), ("+86 139-1234-5678", "main"), ("customer_no", "main"),
    (CORP_USCC, "corporate"), (CORP_USCC.lower(), "corporate"), ("C9000000001", "corporate"),
    ("c9000000001", "corporate"),
])
def test_an_exact_look_up_finds_each_kind_of_identifier(api, world, db, corporate, typed, who):  # type: ignore[no-untyped-def]
    main = db.get(Customer, world.customers["main"])
    q = main.customer_no.lower() if typed == "customer_no" else typed
    r = api.get("/customers", params={"q": q}, headers=world.h("bm_a"))
    assert r.status_code == 200, r.text
    want = world.customers["main"] if who == "main" else corporate
    assert [c["id"] for c in r.json()["items"]] == [want] and r.json()["total"] == 1


@pytest.mark.parametrize("q", [
    MAIN_ID[:17] + ("0" if MAIN_ID[17] != "0" else "1"),  # a resident ID's digits with another check character
    CORP_USCC[:17] + ("0" if CORP_USCC[17] != "0" else "1"),
    "1391234567", "139123456789", "23912345678", "C", "X9000000001", "9000000001",
])
def test_what_no_stored_identifier_can_equal_finds_nothing(api, world, corporate, q):  # type: ignore[no-untyped-def]
    r = api.get("/customers", params={"q": q}, headers=world.h("bm_a"))
    assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["items"] == []


def test_lists_and_profiles_name_the_account_manager_for_every_reader(api, world):
    """The list's "account manager" column and the profile header: whose customer it is,
    as a name, also for a teller (who may not list users)."""
    r = api.post("/customers", headers=world.h("am_a"), json=new_customer(world, org="A1"))
    assert r.status_code == 201 and r.json()["manager_name"] == "用户am_a"
    cid, v = r.json()["id"], r.json()["version"]
    assert api.get(f"/customers/{cid}", headers=world.h("teller_a1")).json()["manager_name"] == "用户am_a"
    listed = api.get("/customers", headers=world.h("teller_a1"), params={"page_size": 200}).json()["items"]
    assert next(c for c in listed if c["id"] == cid)["manager_name"] == "用户am_a"
    found = api.get("/customers", headers=world.h("teller_a1"), params={"q": "赵六"}).json()["items"]
    assert {c["manager_name"] for c in found if c["id"] == cid} == {"用户am_a"}
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"manager_id": world.users["am_a2"], "version": v})
    assert r.status_code == 200 and r.json()["manager_name"] == "用户am_a2"
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"manager_id": None, "version": v + 1})
    assert r.status_code == 200 and r.json()["manager_name"] is None
    assert api.get(f"/customers/{cid}", headers=world.h("teller_a1")).json()["manager_name"] is None


# ----------------------------------------------------------------------------- surname and phone
def _walk_ins(api, world):
    """Customers a teller might be asked for by surname and the mobile's last four digits."""
    made = {}
    for n, (who, org, name, phone) in enumerate((
            ("am_a", "A1", "赵一鸣", "13900005678"),   # the one asked for
            ("am_a", "A1", "赵二", "13900001234"),     # the same surname, another number
            ("am_a", "A1", "钱三", "13911115678"),     # another surname, the same last four
            ("am_b", "B1", "赵四", "13922225678"),     # the same, at another branch
            ("am_a", "A1", "Zoe Zhao", "13933335678"))):  # spelt in Latin letters
        idn = id_number("320102", "19900101", 400 + n, n % 2 == 0)
        body = new_customer(world, org=org, id_number=idn, name=name, phone=phone)
        body["gender"] = "male" if n % 2 == 0 else "female"
        r = api.post("/customers", headers=world.h(who), json=body)
        assert r.status_code == 201, r.text
        made[name] = r.json()["id"]
    return made


@pytest.mark.parametrize("q", ["赵5678", "赵 5678", "赵一5678", " 赵-5678 "])
def test_a_surname_and_the_last_four_digits_find_the_walk_in_in_scope_only(api, world, q):
    made = _walk_ins(api, world)
    r = api.get("/customers", headers=world.h("bm_a"), params={"q": q})
    assert r.status_code == 200
    body = r.json()
    assert [c["id"] for c in body["items"]] == [made["赵一鸣"]] and body["total"] == 1
    assert body["items"][0]["phone"] == "139****5678"  # masked in lists as ever
    other = api.get("/customers", headers=world.h("bm_b"), params={"q": q}).json()
    assert [c["id"] for c in other["items"]] == ([made["赵四"]] if q != "赵一5678" else [])


def test_the_surname_may_be_spelt_in_pinyin(api, world):
    made = _walk_ins(api, world)
    found = api.get("/customers", headers=world.h("bm_a"), params={"q": "zhao 5678"}).json()["items"]
    assert {c["id"] for c in found} == {made["赵一鸣"]}  # 赵一鸣's spelling starts zhao; Zoe Zhao's with zoe
    found = api.get("/customers", headers=world.h("bm_a"), params={"q": "zoe5678"}).json()["items"]
    assert {c["id"] for c in found} == {made["Zoe Zhao"]}


def test_the_identifier_search_is_as_it_was(api, world):
    """A whole phone, a customer number (C and digits), four digits alone: exact look-ups
    or nothing, never the surname-and-phone reading."""
    made = _walk_ins(api, world)
    h = world.h("bm_a")
    assert [c["id"] for c in api.get("/customers", headers=h, params={"q": "13900005678"}).json()["items"]] == \
        [made["赵一鸣"]]
    number = api.get(f"/customers/{made['钱三']}", headers=h).json()["customer_no"]
    assert [c["id"] for c in api.get("/customers", headers=h, params={"q": number}).json()["items"]] == [made["钱三"]]
    assert api.get("/customers", headers=h, params={"q": "5678"}).json()["items"] == []


def test_only_a_name_and_four_digits_read_as_surname_and_phone():
    from server.search import surname_and_phone
    assert surname_and_phone("张 5678") == ("张", False, "5678")
    assert surname_and_phone("Zhang5678") == ("zhang", True, "5678")
    for q in ("C1234", "c1234",  # a customer number's shape: C and digits
              "13900005678", "5678", "张三", "张 56789", "张 567", "320102199001014003",
              "91350100M000100Y43", "张z5678"):
        assert surname_and_phone(q) is None, q
