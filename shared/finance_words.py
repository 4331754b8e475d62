"""The words for household finance's codes, in Chinese and English: line types, groups,
ratios, verdicts and the reasons a ratio does not apply.

One place for both the printed statement (server/statement_pdf.py) and the client's
screens, so what the account manager sees is what the customer is handed.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shared.enums import RatioCode
from shared.finance import Group, Range, Reason, Verdict

#: (Chinese, English)
Words = tuple[str, str]


def word(pair: Words, lang: str) -> str:
    """`pair` in `lang` (zh_CN, or anything else for English)."""
    return pair[0] if lang == "zh_CN" else pair[1]


GROUP_WORDS = {
    Group.LIQUID: ("流动性资产", "Liquid assets"), Group.INVESTMENT: ("投资性资产", "Investment assets"),
    Group.PERSONAL_USE: ("自用性资产", "Personal-use assets"), Group.SHORT_TERM: ("短期负债", "Short-term liabilities"),
    Group.LONG_TERM: ("长期负债", "Long-term liabilities"), Group.INCOME: ("收入", "Income"),
    Group.EXPENSE: ("支出", "Expenses"),
}
LINE_WORDS = {
    "cash": ("现金", "Cash"), "demand_deposits": ("活期存款", "Demand deposits"),
    "money_market_funds": ("货币基金", "Money-market funds"), "other_liquid": ("其他流动性资产", "Other liquid assets"),
    "time_deposits": ("定期存款", "Time deposits"), "bonds": ("债券", "Bonds"), "stocks": ("股票", "Stocks"),
    "funds": ("基金", "Funds"), "wealth_products": ("银行理财", "Bank wealth products"),
    "insurance_cash_value": ("保单现金价值", "Insurance cash value"),
    "investment_property": ("投资性房产", "Investment property"), "other_investment": ("其他投资", "Other investments"),
    "residence": ("自住房产", "Residence"), "vehicles": ("汽车", "Vehicles"),
    "other_personal_use": ("其他自用资产", "Other personal-use assets"), "credit_card": ("信用卡欠款", "Credit cards"),
    "consumer_loans": ("消费贷款", "Consumer loans"), "other_short_term": ("其他短期负债", "Other short-term"),
    "mortgage": ("住房贷款", "Mortgage"), "car_loan": ("汽车贷款", "Car loan"),
    "investment_property_loan": ("投资性房产贷款", "Investment-property loan"),
    "education_loan": ("教育贷款", "Education loan"), "other_loans": ("其他贷款", "Other loans"),
    "wages": ("工资薪金", "Wages"), "bonus": ("奖金", "Bonus"), "business_income": ("经营所得", "Business income"),
    "interest_dividends": ("利息股息", "Interest and dividends"), "rent": ("租金", "Rent"),
    "other_income": ("其他收入", "Other income"), "living": ("生活支出", "Living"), "food": ("饮食", "Food"),
    "clothing": ("服装", "Clothing"), "transport_telecom": ("交通通讯", "Transport and telecom"),
    "education": ("教育", "Education"), "medical": ("医疗", "Medical"), "leisure": ("休闲", "Leisure"),
    "other_living": ("其他生活支出", "Other living"), "housing": ("住房", "Housing"),
    "insurance": ("保费", "Insurance premiums"), "debt_repayments": ("债务支出", "Debt repayments"),
    "other_expense": ("其他支出", "Other expenses"),
}
RATIO_WORDS = {
    RatioCode.SAVINGS_RATIO: ("结余比率", "Savings ratio"),
    RatioCode.INVESTMENT_TO_NET_WORTH: ("投资与净资产比率", "Investment to net worth"),
    RatioCode.SOLVENCY: ("清偿比率", "Solvency"), RatioCode.DEBT_RATIO: ("负债比率", "Debt ratio"),
    RatioCode.LIQUID_TO_DEBT: ("即付比率", "Liquid assets to debt"),
    RatioCode.DEBT_SERVICE: ("负债收入比率", "Debt service to income"),
    RatioCode.EMERGENCY_FUND: ("流动性比率", "Emergency fund"),
}
VERDICT_WORDS = {Verdict.HEALTHY: ("健康", "Healthy"), Verdict.ATTENTION: ("需关注", "Attention"),
                 Verdict.NOT_APPLICABLE: ("不适用", "Not applicable")}
REASON_WORDS = {
    "no_balance_sheet": ("无资产负债表", "no balance sheet"), "no_income_statement": ("无收支表", "no income table"),
    "no_income": ("收入为零", "no income"), "no_assets": ("资产为零", "no assets"),
    "no_liabilities": ("无负债", "no liabilities"), "no_expense": ("支出为零", "no expenses"),
    "net_worth_not_positive": ("净资产不为正", "net worth not positive"),
}


# ----------------------------------------------------------------------------- how figures read
MONTHS: Words = ("个月", "months")
DASH = "—"
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def _fixed(v: Decimal) -> str:
    return format(v.quantize(_CENT, rounding=ROUND_HALF_UP) + 0, "f")  # + 0: no "-0.00"


def ratio_value_text(code: RatioCode, value: Decimal | None, lang: str) -> str:
    """49.09 % (a fraction, 0.4909); 3.57 months (the emergency fund); — when not applicable."""
    if value is None:
        return DASH
    if code == RatioCode.EMERGENCY_FUND:
        return f"{_fixed(value)} {word(MONTHS, lang)}"
    return f"{_fixed(value * _HUNDRED)} %"


def range_text(code: RatioCode, r: Range, lang: str) -> str:
    """30.00 % – 100.00 %, ≥ 20.00 %, ≤ 40.00 %, 3.00 – 6.00 months; — when open on both sides."""
    months = code == RatioCode.EMERGENCY_FUND

    def bound(v: Decimal) -> str:
        return _fixed(v) if months else f"{_fixed(v * _HUNDRED)} %"
    unit = f" {word(MONTHS, lang)}" if months else ""
    if r.min is not None and r.max is not None:
        return f"{bound(r.min)} – {bound(r.max)}{unit}"
    if r.min is not None:
        return f"≥ {bound(r.min)}{unit}"
    if r.max is not None:
        return f"≤ {bound(r.max)}{unit}"
    return DASH


def verdict_text(verdict: Verdict, reason: Reason | None, lang: str) -> str:
    """Healthy; Attention; Not applicable (no liabilities) — 不适用（无负债）."""
    text = word(VERDICT_WORDS[verdict], lang)
    if reason is not None and str(reason) in REASON_WORDS:
        why = word(REASON_WORDS[str(reason)], lang)
        text += f"（{why}）" if lang == "zh_CN" else f" ({why})"
    return text
