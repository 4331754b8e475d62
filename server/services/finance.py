"""Household finance (issue 14, household-finance.md): the analysis of a household's
balance sheet and income table — totals and ratios from `shared.finance`, judged by the
`ratio-ranges` parameter in force, whose version the answer names."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.context import Actor
from server.services import parameters
from shared.finance import BalanceTotals, IncomeTotals, balance_totals, income_totals, ranges_of, ratio_text, ratios
from shared.parameters import RATIO_RANGES, RatioRanges
from shared.schemas import FinanceAnalysis, FinancePreviewIn, RatioRangeRead, RatioRead

#: the keys of both statements' totals, in the order the contract lists them
TOTAL_KEYS = ("liquid", "investment", "personal_use", "total_assets", "short_term", "long_term", "total_liabilities",
              "net_worth", "income", "expense", "savings")


def analysis(db: Session, balance: BalanceTotals | None, income: IncomeTotals | None, *,
             balance_sheet_id: int | None = None, income_statement_id: int | None = None) -> FinanceAnalysis:
    version, value = parameters.current(db, RATIO_RANGES)
    assert isinstance(value, RatioRanges)
    totals: dict[str, str | None] = dict.fromkeys(TOTAL_KEYS)
    if balance is not None:
        totals.update(balance.as_strings())
    if income is not None:
        totals.update(income.as_strings())
    return FinanceAnalysis(
        balance_sheet_id=balance_sheet_id, income_statement_id=income_statement_id, totals=totals,
        ratios=[RatioRead(code=r.code, value=ratio_text(r.value),
                          range=RatioRangeRead(min=ratio_text(r.range.min), max=ratio_text(r.range.max)),
                          verdict=str(r.verdict), reason=None if r.reason is None else str(r.reason))
                for r in ratios(balance, income, ranges_of(value))],
        ranges_version=version)


def preview(db: Session, _actor: Actor, body: FinancePreviewIn) -> FinanceAnalysis:
    """Unsaved figures (the client's what-if): analysed as if saved, stored nowhere."""
    balance = None if body.balance_sheet is None else balance_totals(line.line() for line in body.balance_sheet.lines)
    income = None if body.income_statement is None else \
        income_totals(line.line() for line in body.income_statement.lines)
    return analysis(db, balance, income)
