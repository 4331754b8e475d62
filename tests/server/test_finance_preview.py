"""`POST /api/v1/finance-analysis/preview` (CONTRACT.md, Household finance): unsaved
figures analysed, nothing stored; the worked example of household-finance.md exactly;
amounts as decimal strings, each refusal naming its line; the reference ranges in force
and their version; who may ask (roles-and-permissions.md: household finances)."""
from __future__ import annotations

import pytest

SHEET = [{"type": "cash", "amount": "20000"}, {"type": "demand_deposits", "amount": "80000"},
         {"type": "funds", "amount": "150000"}, {"type": "time_deposits", "amount": "250000"},
         {"type": "residence", "amount": "3000000"}, {"type": "vehicles", "amount": "200000"},
         {"type": "credit_card", "amount": "10000"}, {"type": "mortgage", "amount": "1200000"},
         {"type": "car_loan", "amount": "90000"}]
YEAR = [{"type": "wages", "amount": "360000"}, {"type": "wages", "amount": "240000"},
        {"type": "bonus", "amount": "60000"}, {"type": "living", "amount": "180000"},
        {"type": "insurance", "amount": "24000"}, {"type": "debt_repayments", "amount": "132000"}]
BODY = {"balance_sheet": {"lines": SHEET}, "income_statement": {"lines": YEAR}}


def preview(api, world, body, user="am_a"):  # type: ignore[no-untyped-def]
    return api.post("/finance-analysis/preview", headers=world.h(user), json=body)


def test_the_worked_example_exactly(api, world):
    r = preview(api, world, BODY)
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["totals"] == {"liquid": "100000.00", "investment": "400000.00", "personal_use": "3200000.00",
                           "total_assets": "3700000.00", "short_term": "10000.00", "long_term": "1290000.00",
                           "total_liabilities": "1300000.00", "net_worth": "2400000.00", "income": "660000.00",
                           "expense": "336000.00", "savings": "324000.00"}
    assert [(x["code"], x["value"], x["verdict"]) for x in a["ratios"]] == [
        ("savings_ratio", "0.4909", "healthy"), ("investment_to_net_worth", "0.1667", "attention"),
        ("solvency", "0.6486", "healthy"), ("debt_ratio", "0.3514", "healthy"),
        ("liquid_to_debt", "0.0769", "attention"), ("debt_service", "0.2000", "healthy"),
        ("emergency_fund", "3.5714", "healthy")]
    emergency = a["ratios"][-1]
    assert emergency["range"] == {"min": "3.0000", "max": "6.0000"} and emergency["reason"] is None
    assert a["ratios"][0]["range"] == {"min": "0.3000", "max": None}
    assert a["balance_sheet_id"] is None and a["income_statement_id"] is None
    assert a["ranges_version"] == 1


def test_what_does_not_apply_says_why_and_a_missing_statement_leaves_its_totals_null(api, world):
    r = preview(api, world, {"balance_sheet": {"lines": [{"type": "cash", "amount": "5000.00"}]}})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["totals"]["income"] is None and a["totals"]["net_worth"] == "5000.00"
    by = {x["code"]: x for x in a["ratios"]}
    assert (by["liquid_to_debt"]["value"], by["liquid_to_debt"]["verdict"], by["liquid_to_debt"]["reason"]) == \
        (None, "not_applicable", "no_liabilities")
    assert by["savings_ratio"]["reason"] == "no_income_statement"
    assert by["debt_ratio"]["value"] == "0.0000" and by["debt_ratio"]["verdict"] == "healthy"
    empty = preview(api, world, {}).json()
    assert all(x["verdict"] == "not_applicable" for x in empty["ratios"])


@pytest.mark.parametrize("amount, code", [
    ("-1.00", "field.out_of_range"),
    ("1000000000000.00", "field.out_of_range"),
    ("10.005", "field.too_many_decimals"),
    ("abc", "field.invalid_decimal"),
    ("1e5", "field.invalid_decimal"),
    (" 100", "field.invalid_decimal"),
    (100, "field.invalid_decimal"),  # a JSON number: money travels as strings
    (None, "field.invalid_decimal"),
])
def test_a_bad_amount_is_refused_naming_its_line(api, world, amount, code):
    lines = [dict(line) for line in SHEET]
    lines[3]["amount"] = amount
    r = preview(api, world, {"balance_sheet": {"lines": lines}})
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("balance_sheet.lines[3].amount", code)]


@pytest.mark.parametrize("amount", ["0", "0.00", "999999999999.99", "0.01", "12.5"])
def test_the_boundary_amounts_are_taken(api, world, amount):
    r = preview(api, world, {"balance_sheet": {"lines": [{"type": "cash", "amount": amount}]}})
    assert r.status_code == 200, r.text
    assert r.json()["totals"]["liquid"] == f"{float(amount):.2f}" if amount != "999999999999.99" else \
        r.json()["totals"]["liquid"] == "999999999999.99"


@pytest.mark.parametrize("line, field, code", [
    ({"type": "wages", "amount": "1"}, "balance_sheet.lines[0].type", "field.invalid_choice"),  # an income line
    ({"type": "no_such_line", "amount": "1"}, "balance_sheet.lines[0].type", "field.invalid_choice"),
    ({"type": "other_liquid", "amount": "1"}, "balance_sheet.lines[0].label", "field.required"),
    ({"type": "other_liquid", "amount": "1", "label": "  "}, "balance_sheet.lines[0].label", "field.required"),
    ({"type": "cash", "amount": "1", "member_id": 3}, "balance_sheet.lines[0].member_id", "field.not_applicable"),
    ({"type": "cash", "amount": "1", "colour": "red"}, "balance_sheet.lines[0].colour", "field.unknown"),
])
def test_a_bad_line_is_refused_naming_its_field(api, world, line, field, code):
    r = preview(api, world, {"balance_sheet": {"lines": [line]}})
    assert r.status_code == 422, r.text
    assert (field, code) in [(e["field"], e["code"]) for e in r.json()["errors"]], r.json()


def test_income_lines_may_name_a_member_and_an_other_line_needs_its_label(api, world):
    r = preview(api, world, {"income_statement": {"lines": [
        {"type": "wages", "amount": "1000", "member_id": 7}, {"type": "other_income", "amount": "5", "label": "稿费"},
        {"type": "living", "amount": "10", "member_id": 7}]}})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["income_statement.lines[2].member_id"]


def test_too_many_lines_is_refused(api, world):
    r = preview(api, world, {"balance_sheet": {"lines": [{"type": "cash", "amount": "1"}] * 201}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "balance_sheet.lines"


def test_the_ranges_in_force_judge_and_their_version_is_named(api, world):
    h = world.h("admin")
    current = api.get("/parameters/ratio-ranges", headers=h).json()
    ranges = [dict(r) for r in (current["value"] if "value" in current else current)["ranges"]]
    for r in ranges:
        if r["code"] == "investment_to_net_worth":
            r["min"] = "0.1000"
    put = api.put("/parameters/ratio-ranges", headers=h, json={"version": current["version"], "ranges": ranges})
    assert put.status_code == 200, put.text
    a = preview(api, world, BODY).json()
    assert a["ranges_version"] == put.json()["version"] == current["version"] + 1
    by = {x["code"]: x for x in a["ratios"]}
    assert by["investment_to_net_worth"]["verdict"] == "healthy"  # 0.1667 against the new lower bound
    assert by["investment_to_net_worth"]["range"]["min"] == "0.1000"


@pytest.mark.parametrize("user, status", [("teller_a1", 403), ("am_a", 200), ("bm_a", 200), ("admin", 403),
                                          ("auditor", 403)])
def test_who_may_ask(api, world, user, status):
    r = preview(api, world, BODY, user)
    assert r.status_code == status
    if status == 403:
        assert r.json()["code"] == "permission.denied"
