"""Annual income, expense and savings tables (CONTRACT.md, Household finance; issue
14): one per customer and year; income lines may name a household member (one of
this customer's household only); the worked example's totals; 409s; who may."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.models import IncomeStatement
from tests.server.test_finance_preview import YEAR


def url(world, key="main", statement=None):  # type: ignore[no-untyped-def]
    base = f"/customers/{world.customers[key]}/income-statements"
    return base if statement is None else f"{base}/{statement}"


def create(api, world, year=2026, lines=YEAR, user="am_a", key="main"):  # type: ignore[no-untyped-def]
    return api.post(url(world, key), headers=world.h(user), json={"year": year, "lines": lines})


def members(api, world, key="main", user="am_a"):  # type: ignore[no-untyped-def]
    r = api.put(f"/customers/{world.customers[key]}/household", headers=world.h(user),
                json={"version": 0, "members": [{"name": "张三丰", "relation": "self"},
                                                {"name": "李秀英", "relation": "spouse"}]})
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()["members"]]


def test_the_worked_examples_year_with_each_wage_naming_its_earner(api, world):
    me, spouse = members(api, world)
    lines = [dict(YEAR[0], member_id=me), dict(YEAR[1], member_id=spouse), *YEAR[2:]]
    r = create(api, world, lines=lines)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["year"] == 2026 and s["version"] == 1
    assert s["totals"] == {"income": "660000.00", "expense": "336000.00", "savings": "324000.00"}
    assert [(x["type"], x["group"], x["member_id"]) for x in s["lines"][:3]] == [
        ("wages", "income", me), ("wages", "income", spouse), ("bonus", "income", None)]
    analysis = api.post("/finance-analysis/preview", headers=world.h("am_a"),
                        json={"income_statement": {"lines": YEAR}}).json()
    assert analysis["totals"]["savings"] == s["totals"]["savings"]  # the same module, the same figures


def test_a_member_of_another_household_is_refused_and_nothing_stored(api, world, db):
    other = members(api, world, key="a_other", user="bm_a")
    before = db.scalar(select(func.count()).select_from(IncomeStatement))
    r = create(api, world, lines=[dict(YEAR[0], member_id=other[0])])
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("lines[0].member_id",
                                                                      "finance.line.member_unknown")]
    assert db.scalar(select(func.count()).select_from(IncomeStatement)) == before


def test_a_member_removed_leaves_the_line_unnamed(api, world):
    me, spouse = members(api, world)
    s = create(api, world, lines=[dict(YEAR[0], member_id=me), dict(YEAR[1], member_id=spouse)]).json()
    hh = api.get(f"/customers/{world.customers['main']}/household", headers=world.h("am_a")).json()
    api.put(f"/customers/{world.customers['main']}/household", headers=world.h("am_a"),
            json={"version": hh["version"], "members": [m for m in hh["members"] if m["id"] == me]})
    lines = api.get(url(world, statement=s["id"]), headers=world.h("am_a")).json()["lines"]
    assert [x["member_id"] for x in lines] == [me, None]


def test_one_per_year_newest_first_and_a_stale_version_is_409(api, world):
    assert create(api, world, 2025, [{"type": "wages", "amount": "1"}]).status_code == 201
    s = create(api, world, 2026).json()
    dup = create(api, world, 2026)
    assert dup.status_code == 409 and dup.json()["code"] == "finance.income_statement.duplicate_year"
    assert [x["year"] for x in api.get(url(world), headers=world.h("am_a")).json()["items"]] == [2026, 2025]
    ok = api.patch(url(world, statement=s["id"]), headers=world.h("am_a"),
                   json={"version": 1, "lines": [{"type": "wages", "amount": "100"},
                                                 {"type": "living", "amount": "40"}]})
    assert ok.status_code == 200 and ok.json()["totals"] == {"income": "100.00", "expense": "40.00", "savings": "60.00"}
    stale = api.patch(url(world, statement=s["id"]), headers=world.h("bm_a"), json={"version": 1, "lines": []})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2


@pytest.mark.parametrize("body, field", [
    ({"year": 1899, "lines": []}, "year"), ({"year": "2026", "lines": []}, "year"),
    ({"year": 2026, "lines": [{"type": "cash", "amount": "1"}]}, "lines[0].type"),  # a balance-sheet line
    ({"year": 2026, "lines": [{"type": "living", "amount": "1", "member_id": 1}]}, "lines[0].member_id"),
])
def test_a_bad_table_is_refused_naming_its_field(api, world, body, field):
    r = api.post(url(world), headers=world.h("am_a"), json=body)
    assert r.status_code == 422 and field in [e["field"] for e in r.json()["errors"]], r.text


@pytest.mark.parametrize("user, key, status", [("teller_a1", "main", 403), ("am_a", "a_other", 404),
                                               ("bm_b", "main", 404), ("bm_a", "a_other", 201)])
def test_who_may_keep_an_income_table(api, world, user, key, status):
    assert create(api, world, user=user, key=key).status_code == status
