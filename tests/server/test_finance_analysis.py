"""`GET /customers/{id}/finance-analysis?as_of=&year=` (CONTRACT.md): the latest
balance sheet and income table by default, or the ones asked for; the worked example's
ratios; the ids and the ranges' version named; what is missing is not applicable."""
from __future__ import annotations

from tests.server.test_finance_preview import SHEET, YEAR


def analysis(api, world, user="am_a", key="main", **params):  # type: ignore[no-untyped-def]
    return api.get(f"/customers/{world.customers[key]}/finance-analysis", headers=world.h(user), params=params)


def save(api, world, sheet_date, year, sheet=SHEET, lines=YEAR):  # type: ignore[no-untyped-def]
    cid = world.customers["main"]
    s = api.post(f"/customers/{cid}/balance-sheets", headers=world.h("am_a"),
                 json={"as_of": sheet_date, "lines": sheet})
    t = api.post(f"/customers/{cid}/income-statements", headers=world.h("am_a"), json={"year": year, "lines": lines})
    assert s.status_code == t.status_code == 201, (s.text, t.text)
    return s.json()["id"], t.json()["id"]


def test_the_latest_of_each_by_default_with_the_worked_examples_ratios(api, world):
    save(api, world, "2025-12-31", 2025, [{"type": "cash", "amount": "1"}], [{"type": "wages", "amount": "1"}])
    sheet, table = save(api, world, "2026-12-31", 2026)
    a = analysis(api, world).json()
    assert (a["balance_sheet_id"], a["income_statement_id"]) == (sheet, table)
    assert a["totals"]["net_worth"] == "2400000.00" and a["totals"]["savings"] == "324000.00"
    assert [x["value"] for x in a["ratios"]] == ["0.4909", "0.1667", "0.6486", "0.3514", "0.0769", "0.2000",
                                                 "3.5714"]
    assert a["ranges_version"] == 1


def test_the_ones_asked_for_and_a_missing_one_is_404(api, world):
    old_sheet, old_table = save(api, world, "2025-12-31", 2025, [{"type": "cash", "amount": "1"}],
                                [{"type": "wages", "amount": "1"}])
    save(api, world, "2026-12-31", 2026)
    a = analysis(api, world, as_of="2025-12-31", year=2025).json()
    assert (a["balance_sheet_id"], a["income_statement_id"]) == (old_sheet, old_table)
    assert analysis(api, world, as_of="2024-12-31").status_code == 404
    assert analysis(api, world, year=1800).status_code == 422


def test_a_customer_without_figures_gets_every_ratio_not_applicable(api, world):
    a = analysis(api, world).json()
    assert a["balance_sheet_id"] is None and all(x["verdict"] == "not_applicable" for x in a["ratios"])
    assert {x["reason"] for x in a["ratios"]} == {"no_balance_sheet", "no_income_statement"}


def test_who_may_read_it(api, world):
    assert analysis(api, world, user="teller_a1").status_code == 403
    assert analysis(api, world, user="am_a", key="a_other").status_code == 404
    assert analysis(api, world, user="bm_a", key="a_other").status_code == 200
    assert analysis(api, world, user="bm_b").status_code == 404
