"""Organisations, users and approvals of privileged roles (R-1201, R-1202)."""
from __future__ import annotations

from datetime import UTC, datetime

from tests.server.conftest import PASSWORD


def test_orgs_are_flat_with_the_head_office_first(api, world):
    r = api.get("/orgs", headers=world.h("teller_a1"))
    items = r.json()["items"]
    assert items[0]["kind"] == "head_office" and items[0]["parent_id"] is None
    assert r.json()["total"] == len(items) == 6
    by_id = {o["id"]: o for o in items}
    assert by_id[world.orgs["A1"]]["parent_id"] == world.orgs["A"]


def test_create_org_rules(api, world):
    h = world.h("admin")
    ok = api.post("/orgs", headers=h, json={"code": "N1", "name": "新区支行", "kind": "branch",
                                            "parent_id": world.orgs["HO"]})
    assert ok.status_code == 201 and ok.json()["version"] == 1
    dup = api.post("/orgs", headers=h, json={"code": "N1", "name": "重复", "kind": "branch",
                                             "parent_id": world.orgs["HO"]})
    assert dup.status_code == 409 and dup.json()["code"] == "org.code.duplicate"
    wrong = api.post("/orgs", headers=h, json={"code": "N2", "name": "错层", "kind": "sub_branch",
                                               "parent_id": world.orgs["HO"]})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "org.parent_id.wrong_kind"
    assert api.post("/orgs", headers=world.h("bm_a"), json={"code": "N3", "name": "x", "kind": "branch",
                                                            "parent_id": world.orgs["HO"]}).status_code == 403


def test_new_org_is_in_its_branch_managers_scope(api, world):
    r = api.post("/orgs", headers=world.h("admin"), json={"code": "A3", "name": "新建分理处", "kind": "sub_branch",
                                                          "parent_id": world.orgs["A"]})
    org = r.json()["id"]
    body = {"name": "新客户", "gender": "female", "birth_date": "1949-12-31", "id_number": "11010519491231002X",
            "org_id": org}
    assert api.post("/customers", headers=world.h("bm_a"), json=body).status_code == 201


def test_an_org_written_past_the_service_is_in_scope_at_the_next_request(api, world, db):
    """The subtree cache is keyed by the org tree's version, which triggers on `org` keep:
    an org inserted by hand (as a bulk load of orgs would) after the branch's subtree was
    cached is in its branch manager's scope at the next request, and a version is read,
    not counted (one row)."""
    from sqlalchemy import text
    h = world.h("bm_a")
    assert api.get("/customers", params={"q": "张"}, headers=h).status_code == 200  # subtree of A cached
    version = db.execute(text("SELECT version FROM org_tree")).scalar()
    a = db.execute(text("SELECT path FROM org WHERE id = :a"), {"a": world.orgs["A"]}).scalar()
    new = db.execute(text("INSERT INTO org (code, name, kind, parent_id, path, version, created_at, updated_at) "
                          "VALUES ('A9', '手工分理处', 'sub_branch', :a, '', 1, :t, :t) RETURNING id"),
                     {"a": world.orgs["A"], "t": datetime.now(UTC)}).scalar()
    db.execute(text("UPDATE org SET path = :p WHERE id = :id"), {"p": f"{a}{new}/", "id": new})
    db.commit()
    assert db.execute(text("SELECT version FROM org_tree")).scalar() != version
    body = {"name": "新客户", "gender": "female", "birth_date": "1949-12-31", "id_number": "11010519491231002X",
            "org_id": new}
    assert api.post("/customers", headers=h, json=body).status_code == 201
    assert api.get("/customers", params={"q": "新客户", "org_id": new}, headers=h).json()["total"] == 1
    db.execute(text("UPDATE org SET name = '改名' WHERE id = :id"), {"id": new})  # a rename is no change of tree
    before = db.execute(text("SELECT version FROM org_tree")).scalar()
    db.commit()
    assert db.execute(text("SELECT version FROM org_tree")).scalar() == before


def test_create_user_and_log_in(api, world):
    r = api.post("/users", headers=world.h("admin"), json={
        "username": "new.teller", "password": "Fresh-Teller-2026", "display_name": "新柜员", "role": "teller",
        "org_id": world.orgs["A2"]})
    assert r.status_code == 201 and "password" not in r.json() and r.json()["position"] == "staff"
    assert api.post("/auth/login", json={"username": "new.teller", "password": "Fresh-Teller-2026"}).status_code == 200


def test_user_validation(api, world):
    h = world.h("admin")
    base = {"username": "u1", "password": "Fresh-Teller-2026", "display_name": "某", "role": "teller",
            "org_id": world.orgs["A"]}
    weak = api.post("/users", headers=h, json={**base, "password": "password1234"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["code"] == "password.common"
    bad_role = api.post("/users", headers=h, json={**base, "role": "superuser"})
    assert bad_role.status_code == 422 and bad_role.json()["errors"][0]["field"] == "role"
    dup = api.post("/users", headers=h, json={**base, "username": "AM_A"})
    assert dup.status_code == 409 and dup.json()["code"] == "user.username.duplicate"
    assert api.post("/users", headers=h, json={**base, "is_admin": True}).status_code == 422


def test_privileged_role_needs_a_second_admin(api, world):
    r = api.post("/users", headers=world.h("admin"), json={
        "username": "auditor2", "password": "Audit-Person-2026", "display_name": "审计二", "role": "auditor",
        "org_id": world.orgs["HO"]})
    assert r.status_code == 202 and r.json()["status"] == "pending"
    aid = r.json()["approval_id"]
    assert api.post("/auth/login", json={"username": "auditor2", "password": "Audit-Person-2026"}).status_code == 401
    pending = api.get("/approvals", headers=world.h("admin2"), params={"status": "pending"}).json()["items"]
    req = next(p for p in pending if p["id"] == aid)
    own = api.post(f"/approvals/{aid}/approve", headers=world.h("admin"), json={"version": req["version"]})
    assert own.status_code == 403 and own.json()["code"] == "approval.own_request"
    ok = api.post(f"/approvals/{aid}/approve", headers=world.h("admin2"), json={"version": req["version"]})
    assert ok.status_code == 200 and ok.json()["status"] == "approved" and ok.json()["checker"]["username"] == "admin2"
    again = api.post(f"/approvals/{aid}/approve", headers=world.h("admin2"), json={"version": ok.json()["version"]})
    assert again.status_code == 409
    assert api.post("/auth/login", json={"username": "auditor2", "password": "Audit-Person-2026"}).status_code == 200


def test_granting_admin_by_update_needs_approval_and_rejection_is_kept(api, world):
    u = api.get(f"/users/{world.users['am_b']}", headers=world.h("admin")).json()
    r = api.patch(f"/users/{u['id']}", headers=world.h("admin"), json={"role": "head_office_admin",
                                                                       "version": u["version"]})
    assert r.status_code == 202
    aid = r.json()["approval_id"]
    req = next(p for p in api.get("/approvals", headers=world.h("admin2")).json()["items"] if p["id"] == aid)
    rej = api.post(f"/approvals/{aid}/reject", headers=world.h("admin2"), json={"version": req["version"],
                                                                                "reason": "无必要"})
    assert rej.status_code == 200 and rej.json()["status"] == "rejected" and rej.json()["reason"] == "无必要"
    assert api.get(f"/users/{u['id']}", headers=world.h("admin")).json()["role"] == "account_manager"


def test_role_change_ends_sessions(api, world):
    u = api.get(f"/users/{world.users['teller_a1']}", headers=world.h("admin")).json()
    r = api.patch(f"/users/{u['id']}", headers=world.h("admin"), json={"role": "account_manager",
                                                                       "version": u["version"]})
    assert r.status_code == 200 and r.json()["role"] == "account_manager"
    assert api.get("/auth/me", headers=world.h("teller_a1")).status_code == 401
    stale = api.patch(f"/users/{u['id']}", headers=world.h("admin"), json={"display_name": "x",
                                                                           "version": u["version"]})
    assert stale.status_code == 409 and stale.json()["current"]["role"] == "account_manager"


def test_lock_unlock_and_revoke(api, world):
    h, uid = world.h("admin"), world.users["am_a2"]
    assert api.post(f"/users/{uid}/lock", headers=h).json()["locked"] is True
    assert api.get("/auth/me", headers=world.h("am_a2")).status_code == 401
    assert api.post("/auth/login", json={"username": "am_a2", "password": PASSWORD}).status_code == 401
    assert api.post(f"/users/{uid}/unlock", headers=h).json()["locked"] is False
    token = api.post("/auth/login", json={"username": "am_a2", "password": PASSWORD}).json()["access_token"]
    assert api.post(f"/users/{uid}/revoke-sessions", headers=h).status_code == 204
    assert api.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    me = api.post(f"/users/{world.users['admin']}/lock", headers=h)
    assert me.status_code == 403 and me.json()["code"] == "user.self_administration"


def test_branch_manager_sees_only_their_subtree_users(api, world):
    r = api.get("/users", headers=world.h("bm_a"))
    names = {u["username"] for u in r.json()["items"]}
    assert names == {"teller_a1", "am_a", "am_a2", "bm_a"} and r.json()["total"] == 4
    assert api.get(f"/users/{world.users['am_b']}", headers=world.h("bm_a")).status_code == 404
    assert api.post(f"/users/{world.users['am_a']}/lock", headers=world.h("bm_a")).status_code == 403


def test_auditor_reads_the_audit_log_with_filters(api, world):
    api.post("/auth/login", json={"username": "am_a", "password": "Wrong-Password-123"})
    api.get(f"/customers/{world.customers['main']}", headers=world.h("bm_a"))  # an unmasked read
    r = api.get("/audit", headers=world.h("auditor"), params={"action": "auth.login", "outcome": "failure"})
    assert r.status_code == 200
    top = r.json()["items"][0]
    assert top["actor_name"] == "am_a" and top["outcome"] == "failure" and "Wrong-Password" not in (top["detail"] or "")
    r = api.get("/audit", headers=world.h("auditor"), params={"action": "customer.read_unmasked",
                                                              "actor_id": world.users["bm_a"]})
    assert r.json()["total"] >= 1 and r.json()["items"][0]["object_id"] == str(world.customers["main"])
    assert api.get("/audit", headers=world.h("admin")).status_code == 403
