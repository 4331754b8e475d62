"""Balance sheets (CONTRACT.md, Household finance; issue 14): dated snapshots, one per
customer and date, kept; the worked example's totals; amounts refused with nothing
stored; 409 for a second date and for a stale version, with `current`; the change
history; who may read and write (roles-and-permissions.md: household finances)."""
from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import func, select

from server.models import BalanceSheet, BalanceSheetLine
from tests.server.test_finance_preview import SHEET

MAIN_TOTALS = {"liquid": "100000.00", "investment": "400000.00", "personal_use": "3200000.00",
               "total_assets": "3700000.00", "short_term": "10000.00", "long_term": "1290000.00",
               "total_liabilities": "1300000.00", "net_worth": "2400000.00"}


def url(world, key="main", sheet=None):  # type: ignore[no-untyped-def]
    base = f"/customers/{world.customers[key]}/balance-sheets"
    return base if sheet is None else f"{base}/{sheet}"


def create(api, world, as_of="2026-12-31", lines=SHEET, user="am_a", key="main"):  # type: ignore[no-untyped-def]
    return api.post(url(world, key), headers=world.h(user), json={"as_of": as_of, "lines": lines})


def count(db, model=BalanceSheet):  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))


def test_the_worked_example_is_saved_with_its_groups_and_totals(api, world):
    r = create(api, world)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["as_of"] == "2026-12-31" and s["version"] == 1 and s["customer_id"] == world.customers["main"]
    assert s["totals"] == MAIN_TOTALS
    assert [(x["type"], x["group"], x["amount"]) for x in s["lines"]][:3] == [
        ("cash", "liquid", "20000.00"), ("demand_deposits", "liquid", "80000.00"), ("funds", "investment", "150000.00")]
    again = api.get(url(world, sheet=s["id"]), headers=world.h("bm_a")).json()
    assert again["totals"] == MAIN_TOTALS and again["lines"] == s["lines"]


def test_every_snapshot_is_kept_newest_first_and_a_second_of_one_date_is_409(api, world, db):
    assert create(api, world, "2025-12-31", [{"type": "cash", "amount": "1000"}]).status_code == 201
    assert create(api, world, "2026-12-31").status_code == 201
    before = count(db)
    dup = create(api, world, "2026-12-31", [{"type": "cash", "amount": "5"}])
    assert dup.status_code == 409 and dup.json()["code"] == "finance.balance_sheet.duplicate_date"
    assert count(db) == before
    page = api.get(url(world), headers=world.h("am_a")).json()
    assert [s["as_of"] for s in page["items"]] == ["2026-12-31", "2025-12-31"] and page["total"] == 2


@pytest.mark.parametrize("amount, code", [("-0.01", "field.out_of_range"), ("1.001", "field.too_many_decimals"),
                                          ("1000000000000", "field.out_of_range"), ("一千", "field.invalid_decimal"),
                                          (12, "field.invalid_decimal")])
def test_a_bad_amount_stores_nothing_and_names_its_line(api, world, db, amount, code):
    lines = [dict(x) for x in SHEET]
    lines[3]["amount"] = amount
    before = (count(db), count(db, BalanceSheetLine))
    r = create(api, world, lines=lines)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("lines[3].amount", code)]
    assert (count(db), count(db, BalanceSheetLine)) == before


def test_patch_replaces_the_lines_and_a_stale_version_is_409_with_current(api, world):
    s = create(api, world).json()
    r = api.patch(url(world, sheet=s["id"]), headers=world.h("am_a"),
                  json={"version": 1, "lines": [{"type": "cash", "amount": "500.50"},
                                                {"type": "other_liquid", "amount": "10", "label": "微信零钱"}]})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["totals"]["liquid"] == "510.50"
    assert [x["label"] for x in r.json()["lines"]] == [None, "微信零钱"]
    stale = api.patch(url(world, sheet=s["id"]), headers=world.h("bm_a"),
                      json={"version": 1, "lines": [{"type": "cash", "amount": "1"}]})
    assert stale.status_code == 409 and stale.json()["code"] == "resource.version_conflict"
    assert stale.json()["current"]["version"] == 2 and stale.json()["current"]["totals"]["liquid"] == "510.50"


def test_changes_are_in_the_customers_history_and_on_the_audit_trail(api, world):
    s = create(api, world).json()
    api.patch(url(world, sheet=s["id"]), headers=world.h("am_a"),
              json={"version": 1, "lines": [dict(x, amount="30000") if x["type"] == "cash" else x for x in SHEET]})
    h = api.get(f"/customers/{world.customers['main']}/history", headers=world.h("bm_a")).json()["items"]
    cash = [e for e in h if e["field"] == "balance_sheet.cash"]
    assert [(e["action"], e["old"], e["new"]) for e in cash] == [
        ("update", "2026-12-31: 20000.00", "2026-12-31: 30000.00"), ("create", None, "2026-12-31: 20000.00")]
    assert cash[0]["actor"]["username"] == "am_a"
    trail = api.get("/audit", headers=world.h("auditor"), params={"action": "balance_sheet."}).json()["items"]
    assert [e["action"] for e in trail] == ["balance_sheet.update", "balance_sheet.create"]


def test_delete_removes_the_sheet_and_its_lines(api, world, db):
    s = create(api, world).json()
    r = api.delete(url(world, sheet=s["id"]), headers=world.h("bm_a"))
    assert r.status_code == 204
    assert api.get(url(world, sheet=s["id"]), headers=world.h("bm_a")).status_code == 404
    assert count(db, BalanceSheetLine) == 0


@pytest.mark.parametrize("user, key, status", [
    ("teller_a1", "main", 403),   # tellers never see household finances
    ("am_a", "a_other", 404),     # another manager's customer: not in the book
    ("am_a2", "main", 404),
    ("bm_a", "main", 201),        # the branch's manager
    ("bm_b", "main", 404),        # another branch
    ("admin", "main", 403), ("auditor", "main", 403),
])
def test_who_may_write_a_balance_sheet(api, world, user, key, status):
    r = create(api, world, user=user, key=key)
    assert r.status_code == status, r.text


def test_another_customers_sheet_id_is_404(api, world):
    s = create(api, world, user="am_a2", key="a_other").json()
    assert api.get(url(world, "main", s["id"]), headers=world.h("bm_a")).status_code == 404
    assert api.get(url(world, "main", 2**31), headers=world.h("bm_a")).status_code == 404


# ----------------------------------------------------------------------------- twenty at once
def _at_once(base: str, token: str, requests: list[tuple[str, str, dict]]) -> list[int | str]:  # type: ignore[type-arg]
    barrier = threading.Barrier(len(requests))
    answers: list[int | str] = []

    def send(method: str, path: str, body: dict) -> None:  # type: ignore[type-arg]
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            barrier.wait()
            try:
                answers.append(c.request(method, path, json=body).status_code)
            except BaseException as exc:
                answers.append(repr(exc))

    threads = [threading.Thread(target=send, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return sorted(answers, key=str)


def test_twenty_at_once_one_sheet_per_date_one_household_one_winner_per_version(live_server):
    """Real commits, not the rolled-back test transaction: the same new date twenty times
    makes one sheet (the rest 409, never 500); twenty first saves of a household make
    one; twenty changes based on one version, one wins."""
    live = live_server()
    base, token, cid = live.url, live.world.tokens["bm_a"], live.world.customers["main"]
    sheet = {"as_of": "2026-12-31", "lines": [{"type": "cash", "amount": "1.00"}]}
    assert _at_once(base, token, [("POST", f"/customers/{cid}/balance-sheets", sheet)] * 20) == [201] + [409] * 19
    house = {"version": 0, "members": [{"name": "李秀英", "relation": "spouse"}]}
    assert _at_once(base, token, [("PUT", f"/customers/{cid}/household", house)] * 20) == [200] + [409] * 19
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        made = c.get(f"/customers/{cid}/balance-sheets").json()["items"]
        assert len(made) == 1
        h = c.get(f"/customers/{cid}/household").json()
        assert h["version"] == 1 and len(h["members"]) == 1
    patch = {"version": 1, "lines": [{"type": "cash", "amount": "2.00"}]}
    assert _at_once(base, token, [("PATCH", f"/customers/{cid}/balance-sheets/{made[0]['id']}", patch)] * 20) == \
        [200] + [409] * 19
    with live.factory() as db:
        assert db.scalar(select(func.count()).select_from(BalanceSheetLine)) == 1
