"""Four eyes without loopholes (roles-and-permissions.md, CONTRACT.md "Four-eyes
approvals"): nobody administers their own account; whatever touches a privileged user
waits for a second admin; a checker is a second *person* — not the maker logged in
with a password the maker set, not the subject of the request; approvals are listed
and decided by the scope of their object; executors check scope again."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.models import ApprovalRequest, Customer, User
from server.security import hash_password
from tests.server.conftest import PASSWORD

NEW_PASSWORD = "Brand-New-Secret-2026"


def login(api, username, password=PASSWORD):  # type: ignore[no-untyped-def]
    return api.post("/auth/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def version(api, world, user_key):  # type: ignore[no-untyped-def]
    return api.get(f"/users/{world.users[user_key]}", headers=world.h("admin")).json()["version"]


@pytest.fixture
def admin3(api, db, world):  # type: ignore[no-untyped-def]
    """A third head-office admin (as the operator makes one with `create-admin`)."""
    db.add(User(username="admin3", username_key="admin3", password_hash=hash_password(PASSWORD),
                display_name="第三管理员", role="head_office_admin", org_id=world.orgs["HO"]))
    db.commit()
    return bearer(login(api, "admin3").json()["access_token"])


def approve(api, headers, approval_id, reason=None):  # type: ignore[no-untyped-def]
    v = api.get("/approvals", headers=headers, params={"status": "pending"}).json()["items"]
    mine = [a for a in v if a["id"] == approval_id]
    ver = mine[0]["version"] if mine else 1
    return api.post(f"/approvals/{approval_id}/approve", headers=headers, json={"version": ver, "reason": reason})


# ----------------------------------------------------------------------------- one's own account
@pytest.mark.parametrize("method, path, body", [
    ("PATCH", "/users/{me}", {"role": "auditor"}),
    ("PATCH", "/users/{me}", {"role": "teller"}),
    ("PATCH", "/users/{me}", {"org_id": "A"}),
    ("POST", "/users/{me}/lock", None),
    ("POST", "/users/{me}/unlock", None),
    ("POST", "/users/{me}/password-reset", {"new_password": NEW_PASSWORD}),
])
def test_nobody_administers_their_own_account(api, world, db, method, path, body):
    me = world.users["admin"]
    if body and body.get("org_id") == "A":
        body = {"org_id": world.orgs["A"]}
    if method == "PATCH":
        body = {**body, "version": version(api, world, "admin")}
    r = api.request(method, path.format(me=me), headers=world.h("admin"), json=body)
    assert r.status_code == 403 and r.json()["code"] == "user.self_administration", r.text
    user = db.get(User, me)
    assert (user.role, user.org_id, user.locked) == ("head_office_admin", world.orgs["HO"], False)
    assert db.scalars(select(ApprovalRequest).where(ApprovalRequest.maker_id == me,
                                                    ApprovalRequest.object_id == str(me))).all() == []


def test_changing_ones_own_display_name_is_still_allowed(api, world):
    r = api.patch(f"/users/{world.users['admin']}", headers=world.h("admin"),
                  json={"version": version(api, world, "admin"), "display_name": "新名字"})
    assert r.status_code == 200 and r.json()["display_name"] == "新名字"


# ----------------------------------------------------------------------------- privileged targets
def test_resetting_a_privileged_users_password_waits_for_a_second_admin(api, world, db):
    r = api.post(f"/users/{world.users['admin2']}/password-reset", headers=world.h("admin"),
                 json={"new_password": NEW_PASSWORD})
    assert r.status_code == 202 and r.json()["status"] == "pending"
    assert login(api, "admin2", NEW_PASSWORD).status_code == 401  # nothing changed yet
    assert login(api, "admin2").status_code == 200
    req = api.get("/approvals", headers=world.h("admin2"), params={"status": "pending"}).json()["items"]
    found = next(a for a in req if a["id"] == r.json()["approval_id"])
    assert found["kind"] == "user.password_reset" and found["object_type"] == "user"
    assert found["object_id"] == str(world.users["admin2"])
    shown = json.dumps(found)
    assert "argon2" not in shown and "password_hash" not in shown and NEW_PASSWORD not in shown


@pytest.mark.parametrize("target", ["admin2", "auditor"])
def test_unlocking_or_moving_a_privileged_user_waits_for_a_second_admin(api, world, db, target):
    uid = world.users[target]
    assert api.post(f"/users/{uid}/lock", headers=world.h("admin")).status_code == 200  # locking: at once
    r = api.post(f"/users/{uid}/unlock", headers=world.h("admin"))
    assert r.status_code == 202
    assert db.get(User, uid).locked is True
    r = api.patch(f"/users/{uid}", headers=world.h("admin"), json={"version": version(api, world, target),
                                                                   "org_id": world.orgs["A"]})
    assert r.status_code == 202
    assert db.get(User, uid).org_id == world.orgs["HO"]
    r = api.patch(f"/users/{uid}", headers=world.h("admin"), json={"version": version(api, world, target),
                                                                   "role": "teller"})
    assert r.status_code == 202  # taking a privileged role away is a change to a privileged user too


def test_granting_a_privileged_role_is_the_contracts_grant_privileged_kind(api, world):
    r = api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"),
                  json={"version": version(api, world, "teller_b"), "role": "auditor"})
    assert r.status_code == 202
    a = next(a for a in api.get("/approvals", headers=world.h("admin2")).json()["items"]
             if a["id"] == r.json()["approval_id"])
    assert a["kind"] == "user.grant_privileged" and a["details"]["new_role"] == "auditor"
    assert approve(api, world.h("admin2"), a["id"]).status_code == 200
    assert api.get(f"/users/{world.users['teller_b']}", headers=world.h("admin")).json()["role"] == "auditor"


def test_the_ordinary_user_administration_stays_direct(api, world):
    uid = world.users["teller_b"]
    assert api.post(f"/users/{uid}/lock", headers=world.h("admin")).status_code == 200
    assert api.post(f"/users/{uid}/unlock", headers=world.h("admin")).status_code == 200
    r = api.post(f"/users/{uid}/password-reset", headers=world.h("admin"), json={"new_password": NEW_PASSWORD})
    assert r.status_code == 200 and r.json()["must_change_password"] is True


# ----------------------------------------------------------------------------- the checker is a second person
def test_a_maker_who_set_the_checkers_password_cannot_use_them_to_approve(api, world, admin3):
    """The attack from outside: admin resets a peer's password, logs in as them and
    approves their own request. The reset now needs approval, and even when a third
    admin lets it through, the peer's approval of the maker's request is refused."""
    grant = api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"),
                      json={"version": version(api, world, "teller_b"), "role": "auditor"})
    assert grant.status_code == 202
    reset = api.post(f"/users/{world.users['admin2']}/password-reset", headers=world.h("admin"),
                     json={"new_password": NEW_PASSWORD})
    assert reset.status_code == 202
    assert approve(api, admin3, reset.json()["approval_id"]).status_code == 200  # admin3 trusted it
    # the maker now knows admin2's password: log in as them, do the forced change
    forced = login(api, "admin2", NEW_PASSWORD).json()
    changed = api.post("/auth/password", headers=bearer(forced["access_token"]),
                       json={"old_password": NEW_PASSWORD, "new_password": "Taken-Over-Account-26"})
    assert changed.status_code == 200
    as_admin2 = bearer(changed.json()["access_token"])
    r = approve(api, as_admin2, grant.json()["approval_id"])
    assert r.status_code == 403 and r.json()["code"] == "approval.checker_credentials_set_by_maker"
    assert api.get(f"/users/{world.users['teller_b']}", headers=world.h("admin")).json()["role"] == "teller"
    # a genuine second admin still can
    assert approve(api, admin3, grant.json()["approval_id"]).status_code == 200


def test_the_rule_holds_when_the_reset_came_before_the_request(api, world, admin3):
    reset = api.post(f"/users/{world.users['admin2']}/password-reset", headers=world.h("admin"),
                     json={"new_password": NEW_PASSWORD})
    assert approve(api, admin3, reset.json()["approval_id"]).status_code == 200
    forced = login(api, "admin2", NEW_PASSWORD).json()
    as_admin2 = bearer(api.post("/auth/password", headers=bearer(forced["access_token"]), json={
        "old_password": NEW_PASSWORD, "new_password": "Taken-Over-Account-26"}).json()["access_token"])
    grant = api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"),
                      json={"version": version(api, world, "teller_b"), "role": "auditor"})
    r = approve(api, as_admin2, grant.json()["approval_id"])
    assert r.status_code == 403 and r.json()["code"] == "approval.checker_credentials_set_by_maker"


def test_nobody_decides_a_request_about_their_own_account(api, world):
    r = api.patch(f"/users/{world.users['admin2']}", headers=world.h("admin"),
                  json={"version": version(api, world, "admin2"), "org_id": world.orgs["A"]})
    assert r.status_code == 202
    r = approve(api, world.h("admin2"), r.json()["approval_id"])
    assert r.status_code == 403 and r.json()["code"] == "approval.checker_is_target"


def test_the_maker_never_decides_and_a_stale_request_is_refused(api, world):
    r = api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"),
                  json={"version": version(api, world, "teller_b"), "role": "auditor"})
    aid = r.json()["approval_id"]
    own = approve(api, world.h("admin"), aid)
    assert own.status_code == 403 and own.json()["code"] == "approval.own_request"
    # the user changes meanwhile: the request no longer describes what would happen
    api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"),
              json={"version": version(api, world, "teller_b"), "display_name": "改过的名字"})
    stale = approve(api, world.h("admin2"), aid)
    assert stale.status_code == 409 and stale.json()["code"] == "approval.stale"


# ----------------------------------------------------------------------------- every change under four eyes
def test_the_four_eyes_setting_puts_every_user_change_under_approval(make_client, world, db):
    api = make_client(user_admin_four_eyes=True)
    r = api.post("/users", headers=world.h("admin"), json={
        "username": "four.eyes", "password": "Four-Eyes-Teller-26", "display_name": "四眼柜员", "role": "teller",
        "org_id": world.orgs["A1"]})
    assert r.status_code == 202
    assert db.scalar(select(User).where(User.username_key == "four.eyes")) is None
    uid = world.users["teller_b"]
    assert api.patch(f"/users/{uid}", headers=world.h("admin"), json={
        "version": version(api, world, "teller_b"), "display_name": "新名"}).status_code == 202
    assert api.post(f"/users/{uid}/password-reset", headers=world.h("admin"),
                    json={"new_password": NEW_PASSWORD}).status_code == 202
    # protective actions stay immediate
    assert api.post(f"/users/{uid}/lock", headers=world.h("admin")).status_code == 200
    assert api.post(f"/users/{uid}/unlock", headers=world.h("admin")).status_code == 202
    assert api.post(f"/users/{uid}/revoke-sessions", headers=world.h("admin")).status_code == 204
    created = approve(api, world.h("admin2"), r.json()["approval_id"])
    assert created.status_code == 200
    assert db.scalar(select(User).where(User.username_key == "four.eyes")) is not None
    assert api.post("/auth/login", json={"username": "four.eyes", "password": "Four-Eyes-Teller-26"}
                    ).status_code == 200


def test_the_four_eyes_setting_is_off_by_default(settings):
    assert settings.user_admin_four_eyes is False


# ----------------------------------------------------------------------------- scope of approvals
def test_a_branch_manager_neither_sees_nor_decides_user_requests(api, world):
    r = api.patch(f"/users/{world.users['am_a']}", headers=world.h("admin"),
                  json={"version": version(api, world, "am_a"), "role": "auditor"})
    aid = r.json()["approval_id"]
    listed = api.get("/approvals", headers=world.h("bm_a")).json()["items"]
    assert aid not in [a["id"] for a in listed]
    assert api.post(f"/approvals/{aid}/approve", headers=world.h("bm_a"), json={"version": 1}).status_code == 404


def test_mine_lists_only_the_makers_own_requests(api, world):
    api.patch(f"/users/{world.users['am_a']}", headers=world.h("admin"),
              json={"version": version(api, world, "am_a"), "role": "auditor"})
    mine = api.get("/approvals", headers=world.h("admin"), params={"mine": "true"}).json()["items"]
    assert mine and all(a["maker"]["username"] == "admin" for a in mine)
    theirs = api.get("/approvals", headers=world.h("admin2"), params={"mine": "true"}).json()["items"]
    assert all(a["maker"]["username"] == "admin2" for a in theirs)


def test_an_unknown_kind_is_a_clean_error(api, world, db):
    db.add(ApprovalRequest(kind="mystery.kind", payload="{}", summary="?", maker_id=world.users["admin2"],
                           org_id=world.orgs["HO"], status="pending"))
    db.commit()
    req = db.scalar(select(ApprovalRequest).where(ApprovalRequest.kind == "mystery.kind"))
    assert api.get("/approvals", headers=world.h("admin")).status_code == 200
    r = api.post(f"/approvals/{req.id}/approve", headers=world.h("admin"), json={"version": req.version})
    assert r.status_code == 409 and r.json()["code"] == "approval.unknown_kind"


# ----------------------------------------------------------------------------- reassignment above the threshold
def _threshold(api, world, n):  # type: ignore[no-untyped-def]
    cur = api.get("/parameters/reassignment-threshold", headers=world.h("admin")).json()
    r = api.put("/parameters/reassignment-threshold", headers=world.h("admin"),
                json={"version": cur["version"], "max_customers": n})
    assert r.status_code == 200, r.text


def test_a_reassignment_above_the_threshold_waits_for_a_checker(api, world, db):
    _threshold(api, world, 0)
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("bm_a")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"version": v,
                                                                      "manager_id": world.users["am_a2"]})
    assert r.status_code == 202
    assert db.get(Customer, cid).manager_id == world.users["am_a"]  # not moved yet
    aid = r.json()["approval_id"]
    # outside the object's scope: another branch's manager sees nothing of it
    assert aid not in [a["id"] for a in api.get("/approvals", headers=world.h("bm_b")).json()["items"]]
    assert api.post(f"/approvals/{aid}/approve", headers=world.h("bm_b"), json={"version": 1}).status_code == 404
    assert approve(api, world.h("bm_a"), aid).json()["code"] == "approval.own_request"
    a = next(a for a in api.get("/approvals", headers=world.h("admin")).json()["items"] if a["id"] == aid)
    assert a["kind"] == "customer.reassign" and a["object_type"] == "customer" and a["object_id"] == str(cid)
    ok = approve(api, world.h("admin"), aid)
    assert ok.status_code == 200 and ok.json()["decided_by"]["username"] == "admin"
    assert db.get(Customer, cid).manager_id == world.users["am_a2"]
    hist = api.get(f"/customers/{cid}/history", headers=world.h("bm_a")).json()["items"]
    assert hist[0]["field"] == "manager_id" and hist[0]["actor"]["username"] == "bm_a"


def test_within_the_threshold_a_reassignment_is_direct(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("bm_a")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"version": v,
                                                                      "manager_id": world.users["am_a2"]})
    assert r.status_code == 200 and r.json()["manager_id"] == world.users["am_a2"]


def test_a_reassignment_whose_customer_changed_meanwhile_is_stale(api, world):
    _threshold(api, world, 0)
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("bm_a")).json()["version"]
    aid = api.patch(f"/customers/{cid}", headers=world.h("bm_a"),
                    json={"version": v, "manager_id": world.users["am_a2"]}).json()["approval_id"]
    api.patch(f"/customers/{cid}", headers=world.h("am_a"), json={"version": v, "occupation": "律师"})
    r = approve(api, world.h("admin"), aid)
    assert r.status_code == 409 and r.json()["code"] == "approval.stale"
