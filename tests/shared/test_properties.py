"""Properties that hold for every input, not just the examples we thought of
(hypothesis): the resident-ID validator, masking, and household-finance arithmetic.
Bounded examples keep CI fast; a failure prints the smallest counter-example."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.finance import (
    ASSET_GROUPS,
    LIABILITY_GROUPS,
    LINE_GROUPS,
    Group,
    Line,
    RatioCode,
    Verdict,
    balance_totals,
    income_totals,
    ratios,
)
from shared.masking import mask_id_number, mask_phone, mask_search_text
from shared.parameters import MONEY_MAX
from shared.validators import PROVINCE_PREFIXES, id_birth_date, id_check_char, id_gender, id_number_errors

TODAY = date(2026, 12, 1)
provinces = st.sampled_from(sorted(PROVINCE_PREFIXES))
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    body = (draw(provinces) + draw(st.text("0123456789", min_size=4, max_size=4)) + draw(births).strftime("%Y%m%d")
            + draw(st.text("0123456789", min_size=3, max_size=3)))
    return body + id_check_char(body)


@settings(max_examples=300, deadline=None)
@given(resident_ids())
def test_every_well_formed_id_is_accepted_and_tells_its_birth_date_and_gender(v):
    assert id_number_errors(v, today=TODAY) == []
    assert id_number_errors(v.lower(), today=TODAY) == []  # x and X alike
    assert id_birth_date(v) == date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    assert id_gender(v) == ("male" if int(v[16]) % 2 else "female")


@settings(max_examples=300, deadline=None)
@given(resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_changed_is_refused(v, pos, delta):
    changed = v[:pos] + str((int(v[pos]) + delta) % 10) + v[pos + 1:]
    assert id_number_errors(changed, today=TODAY) != []


@settings(max_examples=300, deadline=None)
@given(resident_ids(), st.integers(0, 16))
def test_any_two_neighbouring_digits_swapped_are_refused(v, pos):
    chars = list(v)
    chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    swapped = "".join(chars)
    if swapped != v and not (pos == 16 and not v[17].isdigit()):
        assert id_number_errors(swapped, today=TODAY) != []


@given(st.text(max_size=60))
def test_the_validator_never_raises_on_any_text(text):
    assert isinstance(id_number_errors(text, today=TODAY), list)


@given(resident_ids())
def test_a_masked_id_keeps_its_length_and_only_its_ends(v):
    m = mask_id_number(v)
    assert m is not None and len(m) == len(v) and m[:6] == v[:6] and m[-4:] == v[-4:] and set(m[6:-4]) == {"*"}


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_a_masked_phone_keeps_its_length_and_only_its_ends(v):
    m = mask_phone(v)
    assert m is not None and m[:3] == v[:3] and m[-4:] == v[-4:] and set(m[3:-4]) == {"*"} and len(m) == 11


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_a_search_text_on_record_keeps_no_long_run_of_digits(text):
    assert not re.search(r"\d{7,}", mask_search_text(text).replace("*", "-"))


amounts = st.decimals(min_value=0, max_value=MONEY_MAX, places=2, allow_nan=False, allow_infinity=False)
balance_types = sorted(t for t, g in LINE_GROUPS.items() if g in (*ASSET_GROUPS, *LIABILITY_GROUPS))
income_types = sorted(t for t, g in LINE_GROUPS.items() if g in (Group.INCOME, Group.EXPENSE))
balance_lines = st.lists(st.builds(Line, st.sampled_from(balance_types), amounts), max_size=30)
income_lines = st.lists(st.builds(Line, st.sampled_from(income_types), amounts), max_size=30)


@settings(max_examples=200, deadline=None)
@given(balance_lines, st.randoms(use_true_random=False))
def test_balance_totals_add_up_whatever_the_order(lines, rnd):
    t = balance_totals(lines)
    assert t.total_assets == t.liquid + t.investment + t.personal_use
    assert t.total_liabilities == t.short_term + t.long_term
    assert t.net_worth == t.total_assets - t.total_liabilities
    assert t.total_assets == sum((x.amount for x in lines if x.group in ASSET_GROUPS), Decimal(0))
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    assert balance_totals(shuffled) == t


@settings(max_examples=200, deadline=None)
@given(balance_lines, balance_lines)
def test_balance_totals_of_two_sheets_are_the_sum_of_their_totals(a, b):
    ta, tb, both = balance_totals(a), balance_totals(b), balance_totals(a + b)
    assert both.total_assets == ta.total_assets + tb.total_assets
    assert both.net_worth == ta.net_worth + tb.net_worth


@settings(max_examples=200, deadline=None)
@given(income_lines)
def test_savings_are_income_less_expense(lines):
    t = income_totals(lines)
    assert t.savings == t.income - t.expense
    assert t.debt_repayments <= t.expense


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), balance_lines), st.one_of(st.none(), income_lines))
def test_every_ratio_has_a_value_exactly_when_it_applies_and_its_verdict_follows_its_range(b, i):
    out = ratios(None if b is None else balance_totals(b), None if i is None else income_totals(i))
    assert [r.code for r in out] == list(RatioCode)
    for r in out:
        assert (r.value is None) == (r.verdict == Verdict.NOT_APPLICABLE)
        assert (r.reason is None) == (r.value is not None)
        if r.value is not None:
            assert r.value == r.value.quantize(Decimal("0.0001"))
            assert (r.verdict == Verdict.HEALTHY) == r.range.holds(r.value)


@settings(max_examples=200, deadline=None)
@given(balance_lines)
def test_solvency_and_debt_ratio_sum_to_one(lines):
    t = balance_totals(lines)
    by = {r.code: r for r in ratios(t, None)}
    s, d = by[RatioCode.SOLVENCY].value, by[RatioCode.DEBT_RATIO].value
    if t.total_assets > 0:
        assert s is not None and d is not None and abs(s + d - 1) <= Decimal("0.0001")
    else:
        assert s is None and d is None

