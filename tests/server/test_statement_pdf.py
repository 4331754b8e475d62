"""The printed statement (issue 14, household-finance.md "The printed statement"): its
text layer holds the Chinese and English headings, the customer's name, the masked ID
and the totals; the Chinese font is embedded; "page n of m" is right on a long
statement; it renders to an image (PDFium, as a viewer would)."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from server.statement_pdf import StatementData, render
from shared.finance import Line, balance_totals, income_totals, ratios

D = Decimal
SHEET = [Line(t, D(a)) for t, a in (
    ("cash", "20000"), ("demand_deposits", "80000"), ("funds", "150000"), ("time_deposits", "250000"),
    ("residence", "3000000"), ("vehicles", "200000"), ("credit_card", "10000"), ("mortgage", "1200000"),
    ("car_loan", "90000"))]
YEAR = [Line("wages", D("360000"), member_id=1), Line("wages", D("240000"), member_id=2),
        *[Line(t, D(a)) for t, a in (("bonus", "60000"), ("living", "180000"), ("insurance", "24000"),
                                     ("debt_repayments", "132000"))]]


def statement(lang: str = "zh_CN", sheet: list[Line] | None = SHEET, year: list[Line] | None = YEAR) -> bytes:
    b = None if sheet is None else balance_totals(sheet)
    i = None if year is None else income_totals(year)
    return render(StatementData("示范商业银行", "城东支行", "张三丰", "330102********3810", date(2026, 12, 31), 2026,
                                sheet or [], b, year or [], i, ratios(b, i), 3, "刘晓燕", datetime(2026, 12, 2, 9, 30),
                                lang, {1: "张三丰", 2: "李秀英"}))


def pages_text(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(BytesIO(pdf)).pages]


def test_the_text_layer_holds_the_headings_the_customer_and_the_totals():
    pdf = statement()
    assert pdf.startswith(b"%PDF")
    text = "\n".join(pages_text(pdf))
    for heading in ("资产负债表 / Balance sheet", "家庭年收支储蓄表 / Annual income, expense and savings",
                    "家庭财务比率分析 / Financial ratios", "家庭财务报告 / Household financial statement"):
        assert heading in text
    for fact in ("张三丰", "330102********3810", "示范商业银行", "城东支行", "刘晓燕", "2026-12-31"):
        assert fact in text
    # the worked example's totals, and its ratios with their verdicts
    for total in ("3,700,000.00", "1,300,000.00", "2,400,000.00", "660,000.00", "336,000.00", "324,000.00"):
        assert total in text
    assert re.search(r"结余比率\s+49\.09 %\s+≥ 30\.00 %\s+健康", text)  # as the screen shows it
    assert re.search(r"投资与净资产比率\s+16\.67 %\s+≥ 50\.00 %\s+需关注", text)
    assert re.search(r"流动性比率\s+3\.57 个月\s+3\.00 – 6\.00 个月\s+健康", text)
    assert "工资薪金（李秀英）" in text  # an income line names its member
    assert "参考范围版本: 3" in text  # the version of the ranges it was judged by
    assert "客户签字" in text and "客户经理签字" in text


def test_the_chinese_font_ships_embedded():
    pdf = statement()
    assert b"/FontFile2" in pdf  # a TrueType font program inside the file
    fonts = {f["/BaseFont"] for page in PdfReader(BytesIO(pdf)).pages
             for f in page["/Resources"]["/Font"].get_object().values()}
    assert any("WenQuanYiMicroHei" in str(f) for f in fonts), fonts


def test_in_english_the_words_are_english_and_the_headings_still_both():
    text = "\n".join(pages_text(statement("en")))
    assert "资产负债表 / Balance sheet" in text
    assert "Savings ratio" in text and "Healthy" in text and "Attention" in text
    assert "Page 1 of" in text and "Cash" in text


def test_page_n_of_m_is_right_on_a_long_statement():
    long_sheet = [Line("other_liquid", D(n), label=f"账户{n}") for n in range(1, 140)]
    pages = pages_text(statement(sheet=long_sheet))
    m = len(pages)
    assert m >= 4
    for n, text in enumerate(pages, start=1):
        assert f"第 {n} 页，共 {m} 页" in text


def test_what_does_not_apply_is_printed_with_its_reason():
    text = "\n".join(pages_text(statement(year=None)))
    assert "尚无年度收支表" in text
    assert re.search(r"结余比率\s+—\s+≥ 30\.00 %\s+不适用（无收支表）", text)
    no_debt = "\n".join(pages_text(statement(sheet=[Line("cash", D("50000"))])))
    assert re.search(r"即付比率\s+—\s+≥ 70\.00 %\s+不适用（无负债）", no_debt)


def test_it_renders_to_an_image(tmp_path: Path):
    """As a viewer draws it (PDFium, Chrome's renderer): every page, with ink on it."""
    pdf = pdfium.PdfDocument(statement())
    assert len(pdf) == 2
    for n in range(len(pdf)):
        image = pdf[n].render(scale=0.7).to_pil().convert("L")
        path = tmp_path / f"page-{n + 1}.png"
        image.save(path)
        assert path.read_bytes().startswith(b"\x89PNG")
        dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
        assert dark > 2000, (n, dark)  # text and tables drawn, not a blank page


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_an_empty_household_still_prints(lang):
    pages = pages_text(statement(lang, sheet=None, year=None))
    assert pages and ("尚无资产负债表" if lang == "zh_CN" else "No balance sheet yet") in pages[0]
