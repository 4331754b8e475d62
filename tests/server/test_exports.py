"""Exports on the audit trail (issue 13: "each export is audited"): whoever may read a
list may export it; the record names the list, format, rows, columns and filters, with
a typed identifier masked; a refused or malformed export leaves no export record."""
from __future__ import annotations

import json

import pytest

from shared.enums import Role
from tests.server.conftest import ROLE_USER

BODY = {"format": "xlsx", "rows": 148, "columns": ["客户号", "姓名", "证件号码"],
        "filters": {"org_id": "2", "sort": "name"}}


def exports_on_record(api, world, action):
    items = api.get("/audit", headers=world.h("auditor"), params={"action": action}).json()["items"]
    return [e for e in items if e["action"] == action]


@pytest.mark.parametrize("path, role, action", [
    ("/customers/exports", Role.BRANCH_MANAGER, "customer.export"),
    ("/customers/exports", Role.TELLER, "customer.export"),
    ("/users/exports", Role.HEAD_OFFICE_ADMIN, "user.export"),
    ("/audit/exports", Role.AUDITOR, "audit.export"),
    ("/approvals/exports", Role.BRANCH_MANAGER, "approval.export"),
])
def test_a_reader_of_a_list_exports_it_on_record(api, world, path, role, action):
    r = api.post(path, headers=world.h(ROLE_USER[role]), json=BODY)
    assert r.status_code == 204, r.text
    [entry] = exports_on_record(api, world, action)
    assert entry["actor"]["id"] == world.users[ROLE_USER[role]] and entry["outcome"] == "success"
    assert entry["object_type"] == action.split(".")[0]
    details = entry["details"]
    assert details["format"] == "xlsx" and details["rows"] == 148
    assert details["columns"] == BODY["columns"] and details["filters"] == BODY["filters"]


@pytest.mark.parametrize("path, role", [
    ("/customers/exports", Role.AUDITOR),
    ("/customers/exports", Role.HEAD_OFFICE_ADMIN),
    ("/users/exports", Role.TELLER),
    ("/audit/exports", Role.BRANCH_MANAGER),
])
def test_who_may_not_read_a_list_may_not_export_it(api, world, path, role):
    r = api.post(path, headers=world.h(ROLE_USER[role]), json=BODY)
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    listed = path.split("/")[1].rstrip("s")
    assert not exports_on_record(api, world, f"{'audit' if listed == 'audi' else listed}.export")


def test_a_typed_identifier_is_masked_in_the_record(api, world):
    body = {**BODY, "filters": {"q": "320102198808082117"}}
    assert api.post("/customers/exports", headers=world.h("bm_a"), json=body).status_code == 204
    body = {**BODY, "filters": {"q": "张 13912345678"}}
    assert api.post("/customers/exports", headers=world.h("bm_a"), json=body).status_code == 204
    found = [e["details"] for e in exports_on_record(api, world, "customer.export")]
    texts = sorted(d["filters"]["q"] for d in found)
    assert texts == ["320102********2117", "张 139****5678"]
    assert "198808" not in json.dumps(found)


@pytest.mark.parametrize("change, field", [
    ({"format": "pdf"}, "format"),
    ({"rows": -1}, "rows"),
    ({"rows": 100_001}, "rows"),
    ({"rows": "148"}, "rows"),
    ({"columns": []}, "columns"),
    ({"columns": ["a\x00b"]}, "columns[0]"),
    ({"filters": {"Q; drop": "x"}}, "filters"),
    ({"filters": {"q": "x" * 101}}, "filters.q"),
    ({"extra": 1}, "extra"),
])
def test_a_malformed_export_is_422_naming_the_field_and_not_recorded(api, world, change, field):
    r = api.post("/customers/exports", headers=world.h("bm_a"), json={**BODY, **change})
    assert r.status_code == 422, r.text
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()
    assert not exports_on_record(api, world, "customer.export")


def test_audit_entries_carry_the_actor_and_details_as_the_contract_names_them(api, world):
    """CONTRACT.md, Audit trail: `{id, at, actor, action, object_type, object_id,
    outcome, source, details}`; the actor as `{id, username, display_name}`."""
    assert api.post("/customers/exports", headers=world.h("bm_a"), json=BODY).status_code == 204
    api.post("/auth/login", json={"username": "nobody", "password": "wrong-password"})
    page = api.get("/audit", headers=world.h("auditor")).json()
    entry = next(e for e in page["items"] if e["action"] == "customer.export")
    assert {"id", "at", "actor", "action", "object_type", "object_id", "outcome", "source", "details"} <= set(entry)
    assert entry["actor"] == {"id": world.users["bm_a"], "username": "bm_a", "display_name": "用户bm_a"}
    assert isinstance(entry["details"], dict) and entry["details"]["rows"] == 148
    anonymous = next(e for e in page["items"] if e["action"].startswith("auth.login") and e["actor_id"] is None)
    assert anonymous["actor"] is None
