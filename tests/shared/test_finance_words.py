"""Every household-finance code has words in both languages (the screen and the printed
statement both take them from shared/finance_words.py)."""
from shared.enums import RatioCode
from shared.finance import LINE_GROUPS, Group, Reason, Verdict
from shared.finance_words import GROUP_WORDS, LINE_WORDS, RATIO_WORDS, REASON_WORDS, VERDICT_WORDS, word


def test_every_code_has_chinese_and_english_words():
    for table, codes in ((LINE_WORDS, LINE_GROUPS), (GROUP_WORDS, list(Group)), (RATIO_WORDS, list(RatioCode)),
                         (VERDICT_WORDS, list(Verdict)), (REASON_WORDS, [str(r) for r in Reason])):
        for code in codes:
            zh, en = table[code]
            assert zh and en and zh != en, code
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), code


def test_word_picks_the_language():
    assert word(LINE_WORDS["cash"], "zh_CN") == "现金"
    assert word(LINE_WORDS["cash"], "en") == "Cash"


def test_how_ratios_read_on_screen_and_on_paper():
    from decimal import Decimal as D

    from shared.finance import Range, Reason, Verdict
    from shared.finance_words import range_text, ratio_value_text, verdict_text
    assert ratio_value_text(RatioCode.SAVINGS_RATIO, D("0.4909"), "en") == "49.09 %"
    assert ratio_value_text(RatioCode.EMERGENCY_FUND, D("3.5714"), "en") == "3.57 months"
    assert ratio_value_text(RatioCode.EMERGENCY_FUND, D("3.5714"), "zh_CN") == "3.57 个月"
    assert ratio_value_text(RatioCode.DEBT_RATIO, None, "en") == "—"
    assert range_text(RatioCode.SAVINGS_RATIO, Range(D("0.3"), None), "en") == "≥ 30.00 %"
    assert range_text(RatioCode.DEBT_RATIO, Range(None, D("0.5")), "en") == "≤ 50.00 %"
    assert range_text(RatioCode.EMERGENCY_FUND, Range(D("3"), D("6")), "zh_CN") == "3.00 – 6.00 个月"
    assert range_text(RatioCode.SOLVENCY, Range(None, None), "en") == "—"
    # half-up, as the ratios themselves are rounded: 12.345 % shows 12.35 %, never 12.34 %
    assert range_text(RatioCode.SOLVENCY, Range(D("0.12345"), None), "en") == "≥ 12.35 %"
    assert verdict_text(Verdict.NOT_APPLICABLE, Reason.NO_LIABILITIES, "zh_CN") == "不适用（无负债）"
    assert verdict_text(Verdict.NOT_APPLICABLE, Reason.NO_LIABILITIES, "en") == "Not applicable (no liabilities)"
    assert verdict_text(Verdict.HEALTHY, None, "en") == "Healthy"
