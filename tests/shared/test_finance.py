"""Household finance calculations (household-finance.md): the worked example exactly,
every not-applicable case, rounding half-up to 4 places and inclusive ranges. The
expected figures are the domain document's, written out here."""
from __future__ import annotations

from decimal import Decimal

import pytest

from shared.enums import RatioCode
from shared.finance import (
    DEFAULT_RANGES,
    LINE_GROUPS,
    Group,
    Line,
    Range,
    Reason,
    Verdict,
    balance_totals,
    income_totals,
    ratios,
)

D = Decimal


def lines(*pairs: tuple[str, str]) -> list[Line]:
    return [Line(t, D(a)) for t, a in pairs]


# the worked example: a household of two
SHEET = lines(("cash", "20000"), ("demand_deposits", "80000"), ("funds", "150000"), ("time_deposits", "250000"),
              ("residence", "3000000"), ("vehicles", "200000"), ("credit_card", "10000"), ("mortgage", "1200000"),
              ("car_loan", "90000"))
YEAR = [Line("wages", D("360000"), member_id=1), Line("wages", D("240000"), member_id=2),
        *lines(("bonus", "60000"), ("living", "180000"), ("insurance", "24000"), ("debt_repayments", "132000"))]


def by_code(rs):  # type: ignore[no-untyped-def]
    return {r.code: r for r in rs}


def test_the_worked_example_exactly():
    b, i = balance_totals(SHEET), income_totals(YEAR)
    assert b.as_strings() == {"liquid": "100000.00", "investment": "400000.00", "personal_use": "3200000.00",
                              "total_assets": "3700000.00", "short_term": "10000.00", "long_term": "1290000.00",
                              "total_liabilities": "1300000.00", "net_worth": "2400000.00"}
    assert i.as_strings() == {"income": "660000.00", "expense": "336000.00", "savings": "324000.00"}
    got = {r.code: (str(r.value), r.verdict) for r in ratios(b, i)}
    assert got == {
        RatioCode.SAVINGS_RATIO: ("0.4909", Verdict.HEALTHY),
        RatioCode.INVESTMENT_TO_NET_WORTH: ("0.1667", Verdict.ATTENTION),
        RatioCode.SOLVENCY: ("0.6486", Verdict.HEALTHY),
        RatioCode.DEBT_RATIO: ("0.3514", Verdict.HEALTHY),
        RatioCode.LIQUID_TO_DEBT: ("0.0769", Verdict.ATTENTION),
        RatioCode.DEBT_SERVICE: ("0.2000", Verdict.HEALTHY),
        RatioCode.EMERGENCY_FUND: ("3.5714", Verdict.HEALTHY),
    }
    assert [r.code for r in ratios(b, i)] == list(RatioCode)  # in their order


def test_no_liabilities_makes_liquid_to_debt_not_applicable_and_the_debt_ratio_zero():
    r = by_code(ratios(balance_totals(lines(("cash", "50000"))), income_totals(YEAR)))
    assert (r[RatioCode.LIQUID_TO_DEBT].verdict, r[RatioCode.LIQUID_TO_DEBT].reason) == \
        (Verdict.NOT_APPLICABLE, Reason.NO_LIABILITIES)
    assert r[RatioCode.LIQUID_TO_DEBT].value is None
    assert (str(r[RatioCode.DEBT_RATIO].value), r[RatioCode.DEBT_RATIO].verdict) == ("0.0000", Verdict.HEALTHY)


@pytest.mark.parametrize("sheet, year, code, reason", [
    (SHEET, lines(("living", "1000")), RatioCode.SAVINGS_RATIO, Reason.NO_INCOME),
    (SHEET, lines(("living", "1000")), RatioCode.DEBT_SERVICE, Reason.NO_INCOME),
    ([], YEAR, RatioCode.SOLVENCY, Reason.NO_ASSETS),
    ([], YEAR, RatioCode.DEBT_RATIO, Reason.NO_ASSETS),
    (lines(("credit_card", "5000")), YEAR, RatioCode.SOLVENCY, Reason.NO_ASSETS),
    (SHEET, lines(("wages", "1000")), RatioCode.EMERGENCY_FUND, Reason.NO_EXPENSE),
    # net worth zero, then negative: investment to net worth has no meaning
    (lines(("funds", "1000"), ("consumer_loans", "1000")), YEAR, RatioCode.INVESTMENT_TO_NET_WORTH,
     Reason.NET_WORTH_NOT_POSITIVE),
    (lines(("funds", "1000"), ("mortgage", "900000")), YEAR, RatioCode.INVESTMENT_TO_NET_WORTH,
     Reason.NET_WORTH_NOT_POSITIVE),
    (lines(("cash", "0.00")), YEAR, RatioCode.LIQUID_TO_DEBT, Reason.NO_LIABILITIES),
])
def test_a_zero_denominator_is_not_applicable_with_its_reason(sheet, year, code, reason):
    r = by_code(ratios(balance_totals(sheet), income_totals(year)))[code]
    assert (r.value, r.verdict, r.reason) == (None, Verdict.NOT_APPLICABLE, reason)


def test_a_missing_statement_leaves_the_ratios_that_need_it_not_applicable():
    only_sheet = by_code(ratios(balance_totals(SHEET), None))
    assert only_sheet[RatioCode.SAVINGS_RATIO].reason == Reason.NO_INCOME_STATEMENT
    assert only_sheet[RatioCode.EMERGENCY_FUND].reason == Reason.NO_INCOME_STATEMENT
    assert only_sheet[RatioCode.SOLVENCY].verdict == Verdict.HEALTHY
    only_year = by_code(ratios(None, income_totals(YEAR)))
    assert only_year[RatioCode.DEBT_RATIO].reason == Reason.NO_BALANCE_SHEET
    assert only_year[RatioCode.EMERGENCY_FUND].reason == Reason.NO_BALANCE_SHEET
    assert only_year[RatioCode.SAVINGS_RATIO].verdict == Verdict.HEALTHY


def test_negative_savings_and_net_worth_compute_without_error():
    b = balance_totals(lines(("cash", "1000"), ("consumer_loans", "5000")))
    i = income_totals(lines(("wages", "1000"), ("living", "3000")))
    assert str(b.net_worth) == "-4000.00" and str(i.savings) == "-2000.00"
    r = by_code(ratios(b, i))
    assert (str(r[RatioCode.SAVINGS_RATIO].value), r[RatioCode.SAVINGS_RATIO].verdict) == \
        ("-2.0000", Verdict.ATTENTION)
    assert str(r[RatioCode.SOLVENCY].value) == "-4.0000"


def test_values_round_half_up_and_ranges_hold_both_ends():
    # 1/8 = 0.125 exactly; 0.00005 rounds up: 1 / 20000 * ... use savings 3 of 6 months
    i = income_totals(lines(("wages", "20000"), ("living", "19999")))  # savings 1 / 20000 = 0.00005
    assert str(by_code(ratios(None, i))[RatioCode.SAVINGS_RATIO].value) == "0.0001"
    # exactly 3 and 6 months of expenses are inside "3 - 6 months"
    for liquid in ("3000", "6000"):
        r = by_code(ratios(balance_totals(lines(("cash", liquid))), income_totals(lines(("living", "12000")))))
        assert (str(r[RatioCode.EMERGENCY_FUND].value), r[RatioCode.EMERGENCY_FUND].verdict) == \
            (f"{liquid[0]}.0000", Verdict.HEALTHY)
    r = by_code(ratios(balance_totals(lines(("cash", "6001"))), income_totals(lines(("living", "12000")))))
    assert r[RatioCode.EMERGENCY_FUND].verdict == Verdict.ATTENTION  # 6.0010 months: above the range
    # the verdict reads the rounded value: 0.29995 rounds to 0.3000, healthy at ">= 30 %"
    i = income_totals(lines(("wages", "100000"), ("living", "70005")))
    r = by_code(ratios(None, i))[RatioCode.SAVINGS_RATIO]
    assert (str(r.value), r.verdict) == ("0.3000", Verdict.HEALTHY)


def test_ranges_come_from_the_caller_and_the_defaults_are_the_documents():
    assert DEFAULT_RANGES[RatioCode.EMERGENCY_FUND] == Range(D("3.0000"), D("6.0000"))
    assert DEFAULT_RANGES[RatioCode.DEBT_RATIO] == Range(None, D("0.5000"))
    stricter = {**DEFAULT_RANGES, RatioCode.SAVINGS_RATIO: Range(D("0.5000"), None)}
    r = by_code(ratios(balance_totals(SHEET), income_totals(YEAR), stricter))[RatioCode.SAVINGS_RATIO]
    assert r.verdict == Verdict.ATTENTION and r.range.min == D("0.5000")


def test_every_line_code_of_the_document_has_its_group():
    assert {t for t, g in LINE_GROUPS.items() if g == Group.LIQUID} == {
        "cash", "demand_deposits", "money_market_funds", "other_liquid"}
    assert {t for t, g in LINE_GROUPS.items() if g == Group.EXPENSE} >= {
        "living", "food", "clothing", "transport_telecom", "education", "medical", "leisure", "other_living",
        "housing", "insurance", "debt_repayments", "other_expense"}
    assert len(LINE_GROUPS) == 4 + 8 + 3 + 3 + 5 + 6 + 12


def test_large_amounts_stay_exact():
    big = D("999999999999.99")
    b = balance_totals([Line("cash", big)] * 200 + [Line("mortgage", big)])
    assert str(b.total_assets) == "199999999999998.00" and str(b.net_worth) == "198999999999998.01"
    i = income_totals([Line("living", D("0.01"))])
    r = by_code(ratios(b, i))[RatioCode.EMERGENCY_FUND]
    assert r.value == (b.liquid * 12 / D("0.01")).quantize(D("0.0001"))
