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
