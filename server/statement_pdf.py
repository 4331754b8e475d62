"""The printed financial statement (R-504, household-finance.md "The printed statement"):
one PDF per customer and date, drawn with reportlab from figures already computed by
`shared.finance` (this module computes nothing).

Bank and branch; the customer's name and masked resident ID; the as-of date; the
balance sheet; the income, expense and savings table; the ratios with their ranges and
verdicts; a chart of the asset mix; the account manager; signature and date lines;
"page n of m". Headings are in Chinese and English; line names, verdicts and the rest
in the language asked for. The Chinese font ships with the product
(resources/fonts/wqy-microhei.ttc) and is embedded as a subset, so the PDF renders on a
machine without Chinese fonts and its text can be searched and copied.
"""
from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shared.finance import (
    ASSET_GROUPS,
    BALANCE_GROUPS,
    BalanceTotals,
    Group,
    IncomeTotals,
    Line,
    Ratio,
    Verdict,
)
from shared.finance_words import GROUP_WORDS, LINE_WORDS, RATIO_WORDS, range_text, ratio_value_text, verdict_text

FONT = "WenQuanYiMicroHei"
FONT_FILE = Path(__file__).resolve().parents[1] / "resources" / "fonts" / "wqy-microhei.ttc"
LANGS = ("zh_CN", "en")

# ----------------------------------------------------------------------------- words
#: (Chinese, English) for what the statement prints
HEADINGS = {
    "title": ("家庭财务报告", "Household financial statement"),
    "balance": ("资产负债表", "Balance sheet"),
    "income": ("家庭年收支储蓄表", "Annual income, expense and savings"),
    "ratios": ("家庭财务比率分析", "Financial ratios"),
    "mix": ("资产结构", "Asset mix"),
}
WORDS = {
    "customer": ("客户", "Customer"), "id": ("证件号码", "Resident ID"), "as_of": ("截至日期", "As of"),
    "year": ("年度", "Year"), "branch": ("机构", "Branch"), "manager": ("客户经理", "Account manager"),
    "item": ("项目", "Item"), "amount": ("金额（元）", "Amount (CNY)"), "member": ("成员", "Member"),
    "ratio": ("比率", "Ratio"), "value": ("数值", "Value"), "range": ("参考范围", "Reference range"),
    "verdict": ("评价", "Verdict"), "total_assets": ("资产合计", "Total assets"),
    "total_liabilities": ("负债合计", "Total liabilities"), "net_worth": ("净资产", "Net worth"),
    "total_income": ("收入合计", "Total income"), "total_expense": ("支出合计", "Total expense"),
    "savings": ("年结余", "Annual savings"), "no_sheet": ("尚无资产负债表", "No balance sheet yet"),
    "no_income": ("尚无年度收支表", "No income table for the year yet"),
    "customer_sign": ("客户签字", "Customer's signature"),
    "manager_sign": ("客户经理签字", "Account manager's signature"),
    "date": ("日期", "Date"), "page": ("第 {n} 页，共 {m} 页", "Page {n} of {m}"),
    "printed": ("打印时间", "Printed"), "ranges": ("参考范围版本", "Reference ranges version"),
    "months": ("个月", "months"), "notes": ("本报告依据客户提供的信息编制，仅供参考。",
                                          "Prepared from the figures the customer gave; for guidance only."),
}
VERDICT_COLOURS = {Verdict.HEALTHY: colors.HexColor("#1b7f3b"), Verdict.ATTENTION: colors.HexColor("#b35c00"),
                   Verdict.NOT_APPLICABLE: colors.HexColor("#666666")}
TENTH = Decimal("0.1")
MIX_COLOURS = [colors.HexColor(c) for c in ("#1d4f91", "#3f8fd2", "#9cc3e6")]


@dataclass(frozen=True)
class StatementData:
    """Everything a statement prints, already computed and masked."""

    bank: str
    branch: str
    customer_name: str
    #: as the statement shows it: first 6 and last 4 digits
    masked_id: str | None
    as_of: date | None
    year: int | None
    balance_lines: Sequence[Line]
    balance: BalanceTotals | None
    income_lines: Sequence[Line]
    income: IncomeTotals | None
    ratios: Sequence[Ratio]
    ranges_version: int
    manager: str | None
    printed_at: datetime
    lang: str = "zh_CN"
    #: household member id -> name, for the income lines that name one
    members: dict[int, str] = field(default_factory=dict)


@functools.cache
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT


def money(v: Decimal) -> str:
    return f"{v:,.2f}"


class _NumberedCanvas(pdf_canvas.Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """"Page n of m": the pages are kept until the end, when m is known (reportlab's
    two-pass recipe), then each gets its footer."""

    footer: tuple[str, str, str] = ("", "", "")  # (page words, printed line, font)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        words, printed, font = self.footer
        m = len(self._pages)
        for n, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(font, 8)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawRightString(A4[0] - 18 * mm, 12 * mm, words.format(n=n, m=m))
            self.drawString(18 * mm, 12 * mm, printed)
            super().showPage()
        super().save()


def render(data: StatementData) -> bytes:
    """The statement as PDF bytes."""
    font = _register_font()
    zh = data.lang != "en"

    def w(pair: tuple[str, str]) -> str:
        return pair[0] if zh else pair[1]

    def both(pair: tuple[str, str]) -> str:
        return f"{pair[0]} / {pair[1]}"

    styles = {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4),
        # a heading never ends a page apart from what it heads
        "h": ParagraphStyle("h", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4,
                            textColor=colors.HexColor("#1d4f91"), keepWithNext=1),
        "p": ParagraphStyle("p", fontName=font, fontSize=9, leading=13),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=11, textColor=colors.HexColor("#555555")),
    }
    story: list[Any] = [Paragraph(f"{data.bank} · {data.branch}", styles["p"]),
                        Paragraph(both(HEADINGS["title"]), styles["title"])]
    facts = [[w(WORDS["customer"]), data.customer_name, w(WORDS["id"]), data.masked_id or "—"],
             [w(WORDS["as_of"]), data.as_of.isoformat() if data.as_of else "—", w(WORDS["year"]),
              str(data.year) if data.year else "—"],
             [w(WORDS["branch"]), data.branch, w(WORDS["manager"]), data.manager or "—"]]
    story.append(_table(facts, font, [26 * mm, 56 * mm, 34 * mm, 58 * mm], header=False))  # "Account manager" fits

    story.append(Paragraph(both(HEADINGS["balance"]), styles["h"]))
    if data.balance is None:
        story.append(Paragraph(w(WORDS["no_sheet"]), styles["p"]))
    else:
        story.append(_statement_table(data.balance_lines, BALANCE_GROUPS, font, w, [
            (w(WORDS["total_assets"]), data.balance.total_assets),
            (w(WORDS["total_liabilities"]), data.balance.total_liabilities),
            (w(WORDS["net_worth"]), data.balance.net_worth)], {}))
        story.append(KeepTogether([Paragraph(both(HEADINGS["mix"]), styles["h"]), _asset_mix(data.balance, font, w)]))

    story.append(Paragraph(both(HEADINGS["income"]), styles["h"]))
    if data.income is None:
        story.append(Paragraph(w(WORDS["no_income"]), styles["p"]))
    else:
        story.append(_statement_table(data.income_lines, (Group.INCOME, Group.EXPENSE), font, w, [
            (w(WORDS["total_income"]), data.income.income), (w(WORDS["total_expense"]), data.income.expense),
            (w(WORDS["savings"]), data.income.savings)], data.members))

    story.append(Paragraph(both(HEADINGS["ratios"]), styles["h"]))
    rows = [[w(WORDS["ratio"]), w(WORDS["value"]), w(WORDS["range"]), w(WORDS["verdict"])]]
    verdict_styles = []
    for i, r in enumerate(data.ratios, start=1):
        rows.append([w(RATIO_WORDS[r.code]), ratio_value_text(r.code, r.value, data.lang),
                     range_text(r.code, r.range, data.lang), verdict_text(r.verdict, r.reason, data.lang)])
        verdict_styles.append(("TEXTCOLOR", (3, i), (3, i), VERDICT_COLOURS[r.verdict]))
    table = _table(rows, font, [52 * mm, 30 * mm, 42 * mm, 50 * mm])
    table.setStyle(TableStyle(verdict_styles))
    story.append(table)
    story.append(Paragraph(f"{w(WORDS['ranges'])}: {data.ranges_version}", styles["small"]))
    story.append(Spacer(1, 10 * mm))
    sign = [[f"{w(WORDS['customer_sign'])}: ____________________", f"{w(WORDS['date'])}: ____________"],
            [f"{w(WORDS['manager_sign'])}: ____________________", f"{w(WORDS['date'])}: ____________"]]
    story.append(KeepTogether([_table(sign, font, [110 * mm, 64 * mm], header=False, grid=False),
                               Spacer(1, 4 * mm), Paragraph(w(WORDS["notes"]), styles["small"])]))

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=20 * mm, title=f"{HEADINGS['title'][0]} — {data.customer_name}",
                            author=data.bank, subject=both(HEADINGS["title"]))
    printed = f"{w(WORDS['printed'])}: {data.printed_at.strftime('%Y-%m-%d %H:%M')}"
    canvas_class = type("StatementCanvas", (_NumberedCanvas,), {"footer": (w(WORDS["page"]), printed, font)})
    doc.build(story, canvasmaker=canvas_class)
    return out.getvalue()


def _table(rows: list[list[str]], font: str, widths: list[float], *, header: bool = True, grid: bool = True) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
             ("TOPPADDING", (0, 0), (-1, -1), 3)]
    if grid:
        style.append(("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b8c4")))
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")))
    t.setStyle(TableStyle(style))
    return t


def _statement_table(lines: Sequence[Line], groups: Sequence[Group], font: str, w: Any,
                     totals: list[tuple[str, Decimal]], members: dict[int, str]) -> Table:
    """A statement's lines under their groups, each group with its subtotal, then the totals."""
    rows: list[list[str]] = [[w(WORDS["item"]), w(WORDS["amount"])]]
    styles: list[tuple[Any, ...]] = [("ALIGN", (1, 0), (1, -1), "RIGHT")]
    for g in groups:
        mine = [line for line in lines if line.group == g]
        subtotal = sum((line.amount for line in mine), Decimal("0.00"))
        styles += [("BACKGROUND", (0, len(rows)), (-1, len(rows)), colors.HexColor("#f3f5f8"))]
        rows.append([w(GROUP_WORDS[g]), money(subtotal)])
        for line in mine:
            name = line.label if line.label and line.type.startswith("other_") else w(LINE_WORDS[line.type])
            if line.member_id is not None and line.member_id in members:
                name += f"（{members[line.member_id]}）"
            rows.append([f"    {name}", money(line.amount)])
    for caption, amount in totals:
        styles.append(("LINEABOVE", (0, len(rows)), (-1, len(rows)), 0.8, colors.black))
        rows.append([caption, money(amount)])
    t = _table(rows, font, [120 * mm, 54 * mm])
    t.setStyle(TableStyle(styles))
    return t


def _asset_mix(balance: BalanceTotals, font: str, w: Any) -> Drawing:
    """The asset mix as a pie: liquid, investment and personal-use assets."""
    values = [balance.liquid, balance.investment, balance.personal_use]
    d = Drawing(170 * mm, 55 * mm)
    if sum(values) <= 0:
        d.add(String(0, 25 * mm, "—", fontName=font, fontSize=9))
        return d
    pie = Pie()
    # centred: the side labels need room on both sides within the margins
    pie.x, pie.y, pie.width, pie.height = 62 * mm, 5 * mm, 45 * mm, 45 * mm
    pie.data = [float(v) for v in values]  # drawing only: the figures printed are the Decimals
    total = sum(values)
    pie.labels = [f"{w(GROUP_WORDS[g])} {(v / total * 100).quantize(TENTH, ROUND_HALF_UP)} %"
                  for g, v in zip(ASSET_GROUPS, values, strict=True)]
    pie.slices.fontName = font
    pie.slices.fontSize = 8
    pie.slices.strokeColor = colors.white
    for i, c in enumerate(MIX_COLOURS):
        pie.slices[i].fillColor = c
    pie.sideLabels = True
    d.add(pie)
    return d
