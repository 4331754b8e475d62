"""System parameters through HTTP (CONTRACT.md: `GET|PUT /api/v1/parameters/ratio-ranges`,
each change a new version, the reader names the version it used), on SQLite and
PostgreSQL. Defaults and rules come from the domain docs."""
from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import func, select

from server.models import AuditLog, SystemParameter
from server.services import parameters
from shared.enums import Role
from shared.permissions import Action
from tests.server.conftest import ROLE_USER, actor_for

# household-finance.md, "Ratios and reference ranges"
DOC_RANGES = [
    {"code": "savings_ratio", "min": "0.3000", "max": None},
    {"code": "investment_to_net_worth", "min": "0.5000", "max": None},
    {"code": "solvency", "min": "0.5000", "max": None},
    {"code": "debt_ratio", "min": None, "max": "0.5000"},
    {"code": "liquid_to_debt", "min": "0.7000", "max": None},
    {"code": "debt_service", "min": None, "max": "0.4000"},
    {"code": "emergency_fund", "min": "3.0000", "max": "6.0000"},
]
NAMES = ["import-limits", "ratio-ranges", "reassignment-threshold", "risk-rules", "sla-hours"]
META = {"name", "version", "changed_at", "changed_by", "reason", "description"}


def ranges(**changes: dict[str, object]) -> list[dict[str, object]]:
    """The default ranges with some codes' bounds changed: ranges(savings_ratio={"min": "0.2500"})."""
    return [{**r, **changes.get(str(r["code"]), {})} for r in DOC_RANGES]


def put_ranges(api, world, version: int, rows, user: str = "admin", **extra):  # type: ignore[no-untyped-def]
    return api.put("/parameters/ratio-ranges", headers=world.h(user), json={"version": version, "ranges": rows,
                                                                             **extra})


def stored(db, name: str = "ratio-ranges") -> list[int]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(SystemParameter.version).where(SystemParameter.name == name)
                           .order_by(SystemParameter.version)))


def audit_rows(db) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditLog).where(AuditLog.action == "parameter.change").order_by(AuditLog.id)))


def at(value: str, shift: timedelta = timedelta(0), tz: timezone = UTC) -> str:
    return (datetime.fromisoformat(value) + shift).astimezone(tz).isoformat()


# ----------------------------------------------------------------------------- defaults
def test_defaults_are_readable_as_version_1_and_reading_writes_nothing(api, world, db):
    h = world.h("admin")
    listed = api.get("/parameters", headers=h)
    assert listed.status_code == 200
    body = listed.json()
    assert [i["name"] for i in body["items"]] == NAMES and body["total"] == len(NAMES) and body["page"] == 1
    assert all(i["version"] == 1 and i["changed_by"] is None and i["changed_at"] is None for i in body["items"])
    r = api.get("/parameters/ratio-ranges", headers=h)
    assert r.status_code == 200
    assert r.json()["ranges"] == DOC_RANGES and r.json()["version"] == 1 and r.json()["description"]
    assert set(r.json()) == META | {"ranges"}  # flat: no nesting of the value
    threshold = api.get("/parameters/reassignment-threshold", headers=h).json()
    assert threshold["max_customers"] == 50 and threshold["version"] == 1
    assert api.get("/parameters/ratio-ranges/history", headers=h).json()["total"] == 1
    assert db.scalar(select(func.count()).select_from(SystemParameter)) == 0


# ----------------------------------------------------------------------------- versions
def test_each_change_is_a_new_version_with_who_and_when(api, world, db):
    first = put_ranges(api, world, 1, ranges(savings_ratio={"min": "0.25"}), reason="新的客户群")
    assert first.status_code == 200, first.json()
    v2 = first.json()
    assert v2["version"] == 2 and v2["reason"] == "新的客户群"
    assert v2["changed_by"] == {"id": world.users["admin"], "username": "admin", "display_name": "用户admin"}
    assert v2["ranges"][0] == {"code": "savings_ratio", "min": "0.2500", "max": None}
    assert v2["changed_at"].endswith("Z")
    assert stored(db) == [1, 2]  # the default is kept as version 1
    second = put_ranges(api, world, 2, ranges(debt_ratio={"max": "0.45"}), user="admin2")
    assert second.status_code == 200 and second.json()["version"] == 3
    assert second.json()["changed_by"]["username"] == "admin2" and second.json()["reason"] is None
    now = api.get("/parameters/ratio-ranges", headers=world.h("admin")).json()
    assert now["version"] == 3 and now["ranges"][0]["min"] == "0.3000" and now["ranges"][3]["max"] == "0.4500"
    assert stored(db) == [1, 2, 3]
    default = db.get(SystemParameter, ("ratio-ranges", 1))
    assert default.changed_by is None and json.loads(default.value) == {"ranges": DOC_RANGES}


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_takes_its_whole_value_back(api, world, name):
    h = world.h("admin")
    current = api.get(f"/parameters/{name}", headers=h).json()
    value = {k: v for k, v in current.items() if k not in META}
    r = api.put(f"/parameters/{name}", headers=h, json={"version": 1, **value})
    assert r.status_code == 200, r.json()
    assert r.json()["version"] == 2 and {k: v for k, v in r.json().items() if k not in META} == value
    partial = api.put(f"/parameters/{name}", headers=h, json={"version": 2})  # PUT replaces the whole value
    assert partial.status_code == 422 and partial.json()["errors"][0]["code"] == "field.required"


def test_a_stale_version_gets_409_with_the_current_one(api, world, db):
    assert put_ranges(api, world, 1, ranges(solvency={"min": "0.6"})).status_code == 200
    for stale in (1, 7):
        r = put_ranges(api, world, stale, ranges(solvency={"min": "0.4"}), user="admin2")
        assert r.status_code == 409 and r.json()["code"] == "resource.version_conflict"
        current = r.json()["current"]
        assert current["version"] == 2 and current["ranges"][2]["min"] == "0.6000"
        assert current["changed_by"]["username"] == "admin"
    assert stored(db) == [1, 2] and len(audit_rows(db)) == 1


def test_reassignment_threshold_zero_means_every_reassignment_needs_approval(api, world):
    r = api.put("/parameters/reassignment-threshold", headers=world.h("admin"), json={"version": 1,
                                                                                     "max_customers": 0})
    assert r.status_code == 200 and r.json()["max_customers"] == 0


# ----------------------------------------------------------------------------- in force at a time
def test_at_returns_the_version_in_force_then(api, world):
    h = world.h("admin")
    v2 = put_ranges(api, world, 1, ranges(savings_ratio={"min": "0.2"})).json()
    time.sleep(0.01)
    v3 = put_ranges(api, world, 2, ranges(savings_ratio={"min": "0.1"})).json()
    cases = [
        (at(v2["changed_at"], -timedelta(microseconds=1)), 1, "0.3000"),  # before any change: the default
        ("2000-01-01T00:00:00Z", 1, "0.3000"),
        (v2["changed_at"], 2, "0.2000"),  # both ends: a change is in force from its own instant
        (at(v3["changed_at"], -timedelta(microseconds=1), timezone(timedelta(hours=8))), 2, "0.2000"),
        (v3["changed_at"], 3, "0.1000"),
        ("2999-01-01T00:00:00+08:00", 3, "0.1000"),
    ]
    for when, version, savings_min in cases:
        r = api.get("/parameters/ratio-ranges", headers=h, params={"at": when})
        assert r.status_code == 200, (when, r.json())
        assert (r.json()["version"], r.json()["ranges"][0]["min"]) == (version, savings_min), when


@pytest.mark.parametrize("when", ["2026-01-01T00:00:00", "2026-01-01", "yesterday"])
def test_at_needs_an_offset_or_z(api, world, when):
    r = api.get("/parameters/ratio-ranges", headers=world.h("admin"), params={"at": when})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "at"


def test_readers_get_the_version_in_force_from_the_service(api, world, db):
    """What a financial analysis or a risk run calls: (version, value[, changed_at])."""
    before = datetime.now(UTC) - timedelta(seconds=1)
    version, value = parameters.current(db, "reassignment-threshold")
    assert (version, value.max_customers) == (1, 50)
    admin = actor_for(db, world.users["admin"], Action.PARAMETER_WRITE)
    assert parameters.change(db, admin, "reassignment-threshold", 1, {"max_customers": 80}, "旺季") == 2
    assert parameters.current(db, "reassignment-threshold")[0] == 2
    assert parameters.in_force(db, "reassignment-threshold", before) == (1, value, None)
    version, value, changed_at = parameters.in_force(db, "reassignment-threshold", datetime.now(UTC))
    assert (version, value.max_customers) == (2, 80) and changed_at is not None and changed_at >= before
    with pytest.raises(ValueError):
        parameters.in_force(db, "reassignment-threshold", datetime(2026, 1, 1))  # naive


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("rows, field, code", [
    (ranges(debt_ratio={"min": 0.1}), "ranges[3].min", "field.invalid_decimal"),  # a float
    (ranges(debt_ratio={"min": True}), "ranges[3].min", "field.invalid_decimal"),
    (ranges(debt_service={"max": "0.40001"}), "ranges[5].max", "field.too_many_decimals"),
    (ranges(debt_service={"max": "4e-1"}), "ranges[5].max", "field.invalid_decimal"),
    (ranges(emergency_fund={"min": "7"}), "ranges[6].min", "parameter.ratio_ranges.min_above_max"),
    (ranges(solvency={"code": "happiness"}), "ranges[2].code", "field.invalid_choice"),
    (ranges(solvency={"code": "savings_ratio"}), "ranges[2].code", "parameter.ratio_ranges.duplicate_code"),
    (DOC_RANGES[:6], "ranges", "parameter.ratio_ranges.missing_code"),
    (ranges(solvency={"weight": 1}), "ranges[2].weight", "field.unknown"),
    ("all", "ranges", "field.invalid"),
])
def test_invalid_ranges_are_refused_naming_the_field_and_nothing_is_stored(api, world, db, rows, field, code):
    r = put_ranges(api, world, 1, rows)
    assert r.status_code == 422 and r.json()["code"] == "validation.failed"
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (field, code), r.json()
    assert set(r.json()["errors"][0]) == {"field", "code", "message", "params"}
    assert stored(db) == [] and audit_rows(db) == []
    assert api.get("/parameters/ratio-ranges", headers=world.h("admin")).json()["version"] == 1


def test_min_above_max_says_which_bounds(api, world):
    err = put_ranges(api, world, 1, ranges(savings_ratio={"min": "0.9", "max": "0.5"})).json()["errors"][0]
    assert err["field"] == "ranges[0].min" and err["params"] == {"min": "0.9000", "max": "0.5000"}


@pytest.mark.parametrize("body, field, code", [
    ({"max_customers": True}, "max_customers", "field.invalid_integer"),  # true is not 1
    ({"max_customers": 50.0}, "max_customers", "field.invalid_integer"),
    ({"max_customers": "50"}, "max_customers", "field.invalid_integer"),
    ({"max_customers": -1}, "max_customers", "field.invalid"),
    ({"max_customers": 50, "version": True}, "version", "field.invalid_integer"),
    ({"max_customers": 50, "version": None}, "version", "field.invalid_integer"),
    ({"max_customers": 50, "name": "ratio-ranges"}, "name", "field.unknown"),
    ({"max_customers": 50, "reason": "x" * 501}, "reason", "field.too_long"),
    ({"max_customers": 50, "reason": "bad\x00"}, "reason", "field.control_characters"),
])
def test_strict_types_in_a_write(api, world, db, body, field, code):
    r = api.put("/parameters/reassignment-threshold", headers=world.h("admin"), json={"version": 1, **body})
    assert r.status_code == 422
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (field, code), r.json()
    assert stored(db, "reassignment-threshold") == []


def test_a_body_that_is_not_an_object_is_422(api, world):
    h = world.h("admin")
    assert api.put("/parameters/ratio-ranges", headers=h, json=[1, 2]).status_code == 422
    bad = api.put("/parameters/ratio-ranges", headers={**h, "Content-Type": "application/json"}, content=b"{")
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "request.invalid_json"


def test_nested_rule_errors_name_the_rule(api, world):
    h = world.h("admin")
    rules = {k: v for k, v in api.get("/parameters/risk-rules", headers=h).json().items() if k not in META}
    rules["overdue"] = {**rules["overdue"], "medium_from_days": 120}
    rules["dormant"] = {**rules["dormant"], "min_financial_assets": 50000}
    r = api.put("/parameters/risk-rules", headers=h, json={"version": 1, **rules})
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("overdue.high_from_days", "parameter.risk_rules.thresholds_order"),
        ("dormant.min_financial_assets", "field.invalid_decimal")}


# ----------------------------------------------------------------------------- names and permissions
@pytest.mark.parametrize("method, path", [("GET", "/parameters/no-such"), ("PUT", "/parameters/no-such"),
                                          ("GET", "/parameters/no-such/history"),
                                          ("GET", "/parameters/RATIO-RANGES")])
def test_an_unknown_parameter_is_404(api, world, method, path):
    r = api.request(method, path, headers=world.h("admin"), json={"version": 1, "ranges": DOC_RANGES}
                    if method == "PUT" else None)
    assert r.status_code == 404 and r.json()["code"] == "resource.not_found"


def test_paths_are_served_as_written_without_redirects(api, world):
    for path in ("/parameters", "/parameters/ratio-ranges", "/parameters/ratio-ranges/history"):
        assert api.get(path, headers=world.h("admin"), follow_redirects=False).status_code == 200


@pytest.mark.parametrize("role", [r for r in Role if r != Role.HEAD_OFFICE_ADMIN])
def test_only_head_office_admins_read_or_change_parameters(api, world, db, role):
    h = world.h(ROLE_USER[role])
    for method, path, body in (("GET", "/parameters", None), ("GET", "/parameters/ratio-ranges", None),
                               ("GET", "/parameters/ratio-ranges/history", None),
                               ("PUT", "/parameters/ratio-ranges", {"version": 1, "ranges": DOC_RANGES})):
        r = api.request(method, path, headers=h, json=body)
        assert r.status_code == 403 and r.json()["code"] == "permission.denied", (role, method, path)
    assert stored(db) == []


def test_anonymous_callers_get_401(api):
    for method, path in (("GET", "/parameters"), ("GET", "/parameters/ratio-ranges"),
                         ("PUT", "/parameters/ratio-ranges"), ("GET", "/parameters/no-such/history")):
        assert api.request(method, path, json={} if method == "PUT" else None).status_code == 401


# ----------------------------------------------------------------------------- audit and history
def test_every_change_writes_an_audit_row(api, world, db):
    put_ranges(api, world, 1, ranges(solvency={"min": "0.55"}), reason="监管口径")
    put_ranges(api, world, 2, ranges(solvency={"min": "0.6"}), user="admin2")
    rows = audit_rows(db)
    assert [(a.actor_id, a.object_type, a.object_id) for a in rows] == [
        (world.users["admin"], "parameter", "ratio-ranges"), (world.users["admin2"], "parameter", "ratio-ranges")]
    first = json.loads(rows[0].detail)
    assert first["name"] == "ratio-ranges" and (first["from_version"], first["version"]) == (1, 2)
    assert first["reason"] == "监管口径"
    assert json.loads(rows[1].detail)["version"] == 3
    trail = api.get("/audit", headers=world.h("auditor"), params={"action": "parameter."}).json()
    assert trail["total"] == 2


def test_history_is_newest_first_and_paged(api, world):
    h = world.h("admin")
    only_default = api.get("/parameters/sla-hours/history", headers=h).json()
    assert [i["version"] for i in only_default["items"]] == [1] and only_default["total"] == 1
    for version, hours in ((1, 2), (2, 3)):
        sla = {k: v for k, v in api.get("/parameters/sla-hours", headers=h).json().items() if k not in META}
        sla["targets"][0]["hours"] = hours
        assert api.put("/parameters/sla-hours", headers=h, json={"version": version, **sla}).status_code == 200
    page1 = api.get("/parameters/sla-hours/history", headers=h, params={"page_size": 2}).json()
    page2 = api.get("/parameters/sla-hours/history", headers=h, params={"page_size": 2, "page": 2}).json()
    assert page1["total"] == page2["total"] == 3 and (page1["page"], page1["page_size"]) == (1, 2)
    assert [(i["version"], i["targets"][0]["hours"]) for i in page1["items"] + page2["items"]] == [
        (3, 3), (2, 2), (1, 1)]
    assert page2["items"][0]["changed_by"] is None and page1["items"][0]["changed_by"]["username"] == "admin"


# ----------------------------------------------------------------------------- concurrent writers
def test_twenty_concurrent_writers_of_one_version_one_wins(live_server):
    """The race needs real commits, not the rolled-back test transaction."""
    live = live_server()
    base, token, factory = live.url, live.world.tokens["admin"], live.factory
    writers = 20
    barrier = threading.Barrier(writers)
    answers: list[httpx.Response | BaseException] = []

    def write(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            body = {"version": 1, "reason": f"writer {i}",
                    "ranges": ranges(savings_ratio={"min": f"0.{i + 10:02d}"})}
            barrier.wait()
            try:
                answers.append(c.put("/parameters/ratio-ranges", json=body))
            except BaseException as exc:
                answers.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    statuses = sorted(a.status_code if isinstance(a, httpx.Response) else repr(a) for a in answers)
    assert statuses == [200] + [409] * (writers - 1), statuses
    winner = next(a for a in answers if isinstance(a, httpx.Response) and a.status_code == 200).json()
    assert winner["version"] == 2
    for a in answers:
        if isinstance(a, httpx.Response) and a.status_code == 409:
            assert a.json()["code"] == "resource.version_conflict"
            assert a.json()["current"]["version"] == 2
            assert a.json()["current"]["ranges"] == winner["ranges"]
    with factory() as db:
        assert stored(db) == [1, 2]
        assert len(audit_rows(db)) == 1
