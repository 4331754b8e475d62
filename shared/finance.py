"""Household finance (`shared/domain/household-finance.md`, R-501 … R-503): the line
codes and their groups, the balance sheet's and the annual income table's totals, net
worth, savings and the seven ratios with their verdicts.

One pure module, `Decimal` only (never float), used by the server (the stored and
printed truth) and by the client (the live preview while the user types), so the two
cannot disagree. A ratio that cannot be computed — a zero denominator, or a net worth
that is not positive for investment to net worth — is `not_applicable` with a reason,
never an error, an infinity or a NaN. Values are rounded half-up to 4 places; a verdict
compares the rounded value with the range, both ends inclusive.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum

from shared.enums import RatioCode
from shared.parameters import PARAMETERS, RATIO_RANGES, RatioRanges

CENT = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
#: enough digits for 12 × 999,999,999,999.99 × a few hundred lines, divided exactly
_CONTEXT = Context(prec=40, rounding=ROUND_HALF_UP)


class Group(StrEnum):
    LIQUID = "liquid"
    INVESTMENT = "investment"
    PERSONAL_USE = "personal_use"
    SHORT_TERM = "short_term"
    LONG_TERM = "long_term"
    INCOME = "income"
    EXPENSE = "expense"


ASSET_GROUPS = (Group.LIQUID, Group.INVESTMENT, Group.PERSONAL_USE)
LIABILITY_GROUPS = (Group.SHORT_TERM, Group.LONG_TERM)
BALANCE_GROUPS = (*ASSET_GROUPS, *LIABILITY_GROUPS)
INCOME_GROUPS = (Group.INCOME, Group.EXPENSE)

#: Every standard line `type` and its group, in the order statements show them.
LINE_GROUPS: dict[str, Group] = {
    **dict.fromkeys(("cash", "demand_deposits", "money_market_funds", "other_liquid"), Group.LIQUID),
    **dict.fromkeys(("time_deposits", "bonds", "stocks", "funds", "wealth_products", "insurance_cash_value",
                     "investment_property", "other_investment"), Group.INVESTMENT),
    **dict.fromkeys(("residence", "vehicles", "other_personal_use"), Group.PERSONAL_USE),
    **dict.fromkeys(("credit_card", "consumer_loans", "other_short_term"), Group.SHORT_TERM),
    **dict.fromkeys(("mortgage", "car_loan", "investment_property_loan", "education_loan", "other_loans"),
                    Group.LONG_TERM),
    **dict.fromkeys(("wages", "bonus", "business_income", "interest_dividends", "rent", "other_income"),
                    Group.INCOME),
    # living expenses as one line, or as its parts
    **dict.fromkeys(("living", "food", "clothing", "transport_telecom", "education", "medical", "leisure",
                     "other_living", "housing", "insurance", "debt_repayments", "other_expense"), Group.EXPENSE),
}
#: Lines a user names: an `other_*` line carries a `label`.
LABELLED_LINES = frozenset(t for t in LINE_GROUPS if t.startswith("other_"))
#: The expense line the debt service ratio reads.
DEBT_REPAYMENTS = "debt_repayments"
#: Income lines may name a household member; others may not.
MEMBER_LINES = frozenset(t for t, g in LINE_GROUPS.items() if g == Group.INCOME)


class Verdict(StrEnum):
    HEALTHY = "healthy"
    ATTENTION = "attention"
    NOT_APPLICABLE = "not_applicable"


class Reason(StrEnum):
    """Why a ratio does not apply (its `reason`)."""

    NO_BALANCE_SHEET = "no_balance_sheet"
    NO_INCOME_STATEMENT = "no_income_statement"
    NO_INCOME = "no_income"
    NO_ASSETS = "no_assets"
    NO_LIABILITIES = "no_liabilities"
    NO_EXPENSE = "no_expense"
    NET_WORTH_NOT_POSITIVE = "net_worth_not_positive"


@dataclass(frozen=True)
class Line:
    type: str
    amount: Decimal
    label: str | None = None
    member_id: int | None = None

    @property
    def group(self) -> Group:
        return LINE_GROUPS[self.type]


@dataclass(frozen=True)
class BalanceTotals:
    liquid: Decimal
    investment: Decimal
    personal_use: Decimal
    total_assets: Decimal
    short_term: Decimal
    long_term: Decimal
    total_liabilities: Decimal
    net_worth: Decimal

    def as_strings(self) -> dict[str, str]:
        return {k: money_text(v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class IncomeTotals:
    income: Decimal
    expense: Decimal
    savings: Decimal
    #: the expense line `debt_repayments` (the debt service ratio's numerator)
    debt_repayments: Decimal

    def as_strings(self) -> dict[str, str]:
        return {"income": money_text(self.income), "expense": money_text(self.expense),
                "savings": money_text(self.savings)}


@dataclass(frozen=True)
class Range:
    """Healthy when min <= value <= max; None: open on that side."""

    min: Decimal | None
    max: Decimal | None

    def holds(self, value: Decimal) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class Ratio:
    code: RatioCode
    #: rounded half-up to 4 places; None when not applicable
    value: Decimal | None
    range: Range
    verdict: Verdict
    reason: Reason | None = None


def ranges_of(value: RatioRanges) -> dict[RatioCode, Range]:
    """A version of the `ratio-ranges` parameter as the ranges `ratios` compares with."""
    def bound(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)
    return {RatioCode(r.code): Range(bound(r.min), bound(r.max)) for r in value.ranges}


#: The reference ranges of household-finance.md: the `ratio-ranges` parameter's default.
DEFAULT_RANGES: dict[RatioCode, Range] = ranges_of(PARAMETERS[RATIO_RANGES].default)


def money_text(v: Decimal) -> str:
    """Two decimals, as money travels (`"3700000.00"`)."""
    return format(v.quantize(CENT, rounding=ROUND_HALF_UP) + 0, "f")  # + 0: no "-0.00"


def ratio_text(v: Decimal | None) -> str | None:
    return None if v is None else format(v.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP) + 0, "f")


def _sum(lines: Iterable[Line], groups: Iterable[Group]) -> dict[Group, Decimal]:
    out = dict.fromkeys(groups, ZERO)
    for line in lines:
        if line.group in out:
            out[line.group] += line.amount
    return out


def balance_totals(lines: Iterable[Line]) -> BalanceTotals:
    s = _sum(lines, BALANCE_GROUPS)
    assets = s[Group.LIQUID] + s[Group.INVESTMENT] + s[Group.PERSONAL_USE]
    liabilities = s[Group.SHORT_TERM] + s[Group.LONG_TERM]
    return BalanceTotals(s[Group.LIQUID], s[Group.INVESTMENT], s[Group.PERSONAL_USE], assets, s[Group.SHORT_TERM],
                         s[Group.LONG_TERM], liabilities, assets - liabilities)


def income_totals(lines: Iterable[Line]) -> IncomeTotals:
    lines = list(lines)
    s = _sum(lines, INCOME_GROUPS)
    debt = sum((line.amount for line in lines if line.type == DEBT_REPAYMENTS), ZERO)
    return IncomeTotals(s[Group.INCOME], s[Group.EXPENSE], s[Group.INCOME] - s[Group.EXPENSE], debt)


def _divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    return _CONTEXT.divide(numerator, denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def ratios(balance: BalanceTotals | None, income: IncomeTotals | None,
           ranges: Mapping[RatioCode, Range] = DEFAULT_RANGES) -> list[Ratio]:
    """The seven ratios in their order (RatioCode), each with its range and verdict.
    Either statement may be missing (a customer with a balance sheet and no income
    table yet): the ratios that need it do not apply."""
    def ratio(code: RatioCode, missing: Reason | None, numerator: Decimal, denominator: Decimal, zero: Reason,
              scale: Decimal = Decimal(1)) -> Ratio:
        r = ranges[code]
        if missing is not None:
            return Ratio(code, None, r, Verdict.NOT_APPLICABLE, missing)
        if denominator <= 0:
            return Ratio(code, None, r, Verdict.NOT_APPLICABLE, zero)
        value = _divide(numerator * scale, denominator)
        return Ratio(code, value, r, Verdict.HEALTHY if r.holds(value) else Verdict.ATTENTION)

    no_b = Reason.NO_BALANCE_SHEET if balance is None else None
    no_i = Reason.NO_INCOME_STATEMENT if income is None else None
    b = balance or balance_totals([])
    i = income or income_totals([])
    return [
        ratio(RatioCode.SAVINGS_RATIO, no_i, i.savings, i.income, Reason.NO_INCOME),
        # investment to net worth: only a positive net worth gives it meaning
        ratio(RatioCode.INVESTMENT_TO_NET_WORTH, no_b, b.investment, b.net_worth, Reason.NET_WORTH_NOT_POSITIVE),
        ratio(RatioCode.SOLVENCY, no_b, b.net_worth, b.total_assets, Reason.NO_ASSETS),
        ratio(RatioCode.DEBT_RATIO, no_b, b.total_liabilities, b.total_assets, Reason.NO_ASSETS),
        ratio(RatioCode.LIQUID_TO_DEBT, no_b, b.liquid, b.total_liabilities, Reason.NO_LIABILITIES),
        ratio(RatioCode.DEBT_SERVICE, no_i, i.debt_repayments, i.income, Reason.NO_INCOME),
        # months of expenses the liquid assets cover: liquid / (expense / 12)
        ratio(RatioCode.EMERGENCY_FUND, no_b or no_i, b.liquid, i.expense, Reason.NO_EXPENSE, scale=Decimal(12)),
    ]
