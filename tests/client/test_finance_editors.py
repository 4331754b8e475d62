"""The household-finance statement editors on real widgets, typed into by keyboard.

The figures are household-finance.md's worked example; the line codes and their order
are the spec's codes table, written out here rather than taken from shared.finance."""
from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from client.views.finance_editors import (
    AMOUNT_INVALID,
    AMOUNT_NEGATIVE,
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_MANY_DECIMALS,
    PROBLEM_ROLE,
    VALUE_ROLE,
    AmountError,
    StatementEditor,
    format_amount,
    parse_amount,
)
from shared.schemas import FinanceLineRead

# The spec's standard (non-"other") balance-sheet lines, group by group, in its order.
BALANCE_ROWS = ["cash", "demand_deposits", "money_market_funds",
                "time_deposits", "bonds", "stocks", "funds", "wealth_products", "insurance_cash_value",
                "investment_property",
                "residence", "vehicles",
                "credit_card", "consumer_loans",
                "mortgage", "car_loan", "investment_property_loan", "education_loan"]
# The worked example's balance sheet, as staff would type it.
WORKED_BALANCE = {"cash": "20,000", "demand_deposits": "80000", "funds": "150,000.00", "time_deposits": "250000",
                  "residence": "3,000,000", "vehicles": "200000", "credit_card": "10,000", "mortgage": "1200000",
                  "car_loan": "90,000"}
SELF, SPOUSE = 11, 12
MEMBERS = [(SELF, "张三 (self)"), (SPOUSE, "李四 (spouse)")]
OK = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def line(type_: str, amount: str, member_id: int | None = None, label: str | None = None) -> dict[str, object]:
    return {"type": type_, "amount": amount, "label": label, "member_id": member_id}


def shown(qtbot, kind: str,  # type: ignore[no-untyped-def]
          members: list[tuple[int, str]] | None = None) -> StatementEditor:
    editor = StatementEditor(kind)
    qtbot.addWidget(editor)
    if members is not None:
        editor.set_members(members)
    editor.resize(1100, 900)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.table)
    return editor


def focused():  # type: ignore[no-untyped-def]
    """Where the keyboard goes now: the table, or the cell editor that typing opened."""
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_keys(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    for ch in text:  # the first key opens the editor, the rest go to it
        qtbot.keyClicks(focused(), ch)


def press(qtbot, key: Qt.Key, modifiers: Qt.KeyboardModifier = OK) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(focused(), key, modifiers)


def go_to(editor: StatementEditor, index: QModelIndex) -> None:
    assert index.isValid()
    editor.table.setCurrentIndex(index)


def value(index: QModelIndex) -> Decimal | None:
    result = index.data(VALUE_ROLE)
    assert result is None or isinstance(result, Decimal)
    return result


def row_of(editor: StatementEditor, name: str) -> int:
    """The row whose first column reads `name` (a line, a group's header or a total)."""
    model = editor.model
    rows = [r for r in range(model.rowCount()) if str(model.index(r, 0).data()).strip() == name]
    assert len(rows) == 1, (name, rows)
    return rows[0]


def column_of(editor: StatementEditor, caption: str) -> int:
    model = editor.model
    cols = [c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == caption]
    assert len(cols) == 1, (caption, cols)
    return cols[0]


def cell(editor: StatementEditor, row_name: str, caption: str) -> QModelIndex:
    return editor.model.index(row_of(editor, row_name), column_of(editor, caption))


def marked(index: QModelIndex) -> bool:
    """Marked as wrong: a red background and words that say what is wrong."""
    background = index.data(Qt.ItemDataRole.BackgroundRole)
    return (background is not None and background.red() > 200 and background.green() < 220
            and bool(index.data(PROBLEM_ROLE)) and bool(index.data(Qt.ItemDataRole.ToolTipRole)))


# ----------------------------------------------------------------------------- amounts
@pytest.mark.parametrize(("text", "expected"), [
    ("20000", "20000.00"),
    ("1,234,567.5", "1234567.50"),
    (" 12 000 ", "12000.00"),
    ("¥150,000", "150000.00"),
    ("￥80000.00", "80000.00"),
    ("１２，０００．５", "12000.50"),
    ("１２０００", "12000.00"),
    ("0", "0.00"),
    (".5", "0.50"),
    ("0.01", "0.01"),
    ("999999999999.99", "999999999999.99"),
    ("999,999,999,999.99", "999999999999.99"),
])
def test_amounts_as_staff_type_them(text: str, expected: str) -> None:
    parsed = parse_amount(text)
    assert isinstance(parsed, Decimal)
    assert parsed == Decimal(expected)
    assert str(parsed) == expected  # two decimals, exactly


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_a_blank_amount_is_none(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(("text", "code"), [
    ("abc", AMOUNT_INVALID),
    ("12.3.4", AMOUNT_INVALID),
    ("1e5", AMOUNT_INVALID),
    ("1,50", AMOUNT_INVALID),  # a European decimal comma is refused, not read as 150
    ("¥", AMOUNT_INVALID),
    ("12 元 5", AMOUNT_INVALID),
    ("NaN", AMOUNT_INVALID),
    ("-5", AMOUNT_NEGATIVE),
    ("－５００", AMOUNT_NEGATIVE),
    ("¥-1,000.00", AMOUNT_NEGATIVE),
    ("0.005", AMOUNT_TOO_MANY_DECIMALS),
    ("12.345", AMOUNT_TOO_MANY_DECIMALS),
    ("1000000000000.00", AMOUNT_TOO_LARGE),
    ("999999999999.991", AMOUNT_TOO_MANY_DECIMALS),
    ("1,000,000,000,000", AMOUNT_TOO_LARGE),
])
def test_amounts_that_are_refused_say_why(text: str, code: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


def test_amounts_are_shown_grouped_with_two_decimals() -> None:
    assert format_amount(Decimal("1234567.5")) == "1,234,567.50"
    assert format_amount(Decimal("0")) == "0.00"
    assert format_amount(Decimal("999999999999.99")) == "999,999,999,999.99"
    assert format_amount(Decimal("-2400000")) == "-2,400,000.00"


# ----------------------------------------------------------------------------- typing
def test_the_worked_balance_sheet_typed_by_keyboard_alone(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    changes: list[None] = []
    editor.changed.connect(lambda: changes.append(None))
    # from the first amount cell on, Tab and Enter in turn, past the groups' header rows
    for n, code in enumerate(BALANCE_ROWS):
        if code in WORKED_BALANCE:
            type_keys(qtbot, WORKED_BALANCE[code])
        press(qtbot, Qt.Key.Key_Tab if n % 2 else Qt.Key.Key_Return)
    totals = editor.totals()
    assert (totals.total_assets, totals.total_liabilities, totals.net_worth) == (
        Decimal("3700000.00"), Decimal("1300000.00"), Decimal("2400000.00"))
    assert value(cell(editor, "Total assets", "Amount")) == Decimal("3700000.00")
    assert cell(editor, "Net worth", "Amount").data() == "2,400,000.00"
    assert cell(editor, "Liquid assets", "Amount").data() == "100,000.00"  # the group's subtotal
    assert cell(editor, "Residence", "Amount").data() == "3,000,000.00"
    assert editor.lines() == [
        line("cash", "20000.00"), line("demand_deposits", "80000.00"), line("time_deposits", "250000.00"),
        line("funds", "150000.00"), line("residence", "3000000.00"), line("vehicles", "200000.00"),
        line("credit_card", "10000.00"), line("mortgage", "1200000.00"), line("car_loan", "90000.00")]
    assert not editor.has_errors()
    assert editor.is_dirty()
    assert changes


def test_changed_follows_each_keystroke_and_the_totals_are_live(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    changes: list[None] = []
    editor.changed.connect(lambda: changes.append(None))
    type_keys(qtbot, "12")
    assert len(changes) == 2
    assert editor.totals().liquid == Decimal("12.00")  # before the edit is finished
    type_keys(qtbot, "x")
    assert len(changes) == 3
    assert editor.has_errors()
    press(qtbot, Qt.Key.Key_Tab)
    assert marked(cell(editor, "Cash", "Amount"))
    assert cell(editor, "Cash", "Amount").data() == "12x"  # kept as typed
    assert editor.totals().liquid == Decimal("0.00")
    assert editor.lines() == []


def test_typing_replaces_a_cell_and_delete_clears_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    editor.set_lines([line("cash", "20000.00"), line("stocks", "5000.00")])
    go_to(editor, editor.cell_index("cash"))
    type_keys(qtbot, "30000")
    press(qtbot, Qt.Key.Key_Return)
    assert editor.lines()[0] == line("cash", "30000.00")
    go_to(editor, editor.cell_index("stocks"))
    press(qtbot, Qt.Key.Key_Delete)
    assert editor.lines() == [line("cash", "30000.00")]
    assert editor.totals().investment == Decimal("0.00")


def test_escape_puts_back_what_the_cell_held(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    editor.set_lines([line("cash", "20000.00")])
    go_to(editor, editor.cell_index("cash"))
    type_keys(qtbot, "9")
    assert editor.totals().liquid == Decimal("9.00")
    press(qtbot, Qt.Key.Key_Escape)
    assert editor.lines() == [line("cash", "20000.00")]
    assert not editor.is_dirty()


def test_the_income_table_with_two_members(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    assert [editor.model.headerData(c, Qt.Orientation.Horizontal) for c in (1, 2, 3)] == [
        "张三 (self)", "李四 (spouse)", "Household"]
    # wages: one member's, then Tab to the other's; the rest is the household's
    go_to(editor, editor.cell_index("wages", SELF))
    type_keys(qtbot, "360,000")
    press(qtbot, Qt.Key.Key_Tab)
    type_keys(qtbot, "240000")
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Return)  # the household's wages: none; Enter goes down to its bonus
    type_keys(qtbot, "60000")
    press(qtbot, Qt.Key.Key_Return)
    for code, amount in (("living", "180,000"), ("insurance", "24000"), ("debt_repayments", "132,000.00")):
        go_to(editor, editor.cell_index(code))
        type_keys(qtbot, amount)
        press(qtbot, Qt.Key.Key_Return)
    totals = editor.totals()
    assert (totals.income, totals.expense, totals.savings) == (
        Decimal("660000.00"), Decimal("336000.00"), Decimal("324000.00"))
    assert cell(editor, "Savings", "Total").data() == "324,000.00"
    assert cell(editor, "Wages", "Total").data() == "600,000.00"
    assert cell(editor, "Income", "张三 (self)").data() == "360,000.00"  # a member's subtotal
    assert editor.lines() == [
        line("wages", "360000.00", SELF), line("wages", "240000.00", SPOUSE), line("bonus", "60000.00"),
        line("living", "180000.00"), line("insurance", "24000.00"), line("debt_repayments", "132000.00")]
    # an expense belongs to the household: no member's cell takes one
    assert not editor.model.flags(editor.cell_index("living", SELF)) & Qt.ItemFlag.ItemIsEditable
    assert editor.model.flags(editor.cell_index("bonus", SPOUSE)) & Qt.ItemFlag.ItemIsEditable


def test_tab_goes_on_past_rows_that_take_no_amount(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    go_to(editor, editor.cell_index("rent"))  # the household's rent: the income group's last amount cell
    press(qtbot, Qt.Key.Key_Tab)  # past the Expenses header: the first expense, the household's
    assert editor.table.currentIndex() == editor.cell_index("living")
    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.table.currentIndex() == editor.cell_index("rent")


def test_ctrl_s_asks_to_save_what_is_typed(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    type_keys(qtbot, "5")  # the cell's editor is open
    with qtbot.waitSignal(editor.save_requested, timeout=1000):
        press(qtbot, Qt.Key.Key_S, CTRL)
    assert editor.lines() == [line("cash", "5.00")]
    with qtbot.waitSignal(editor.save_requested, timeout=1000):
        press(qtbot, Qt.Key.Key_S, CTRL)


# ----------------------------------------------------------------------------- paste
def test_a_spreadsheet_column_pastes_downwards(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    editor.set_lines([line("money_market_funds", "5.00")])
    go_to(editor, editor.cell_index("cash"))
    QGuiApplication.clipboard().setText("20,000.00\r\n80000\r\n\r\n¥150,000\r\n")
    press(qtbot, Qt.Key.Key_V, CTRL)
    # the blank cell leaves money-market funds blank; the investment header is passed
    assert editor.lines() == [line("cash", "20000.00"), line("demand_deposits", "80000.00"),
                              line("time_deposits", "150000.00")]
    assert editor.totals().total_assets == Decimal("250000.00")
    assert not editor.has_errors()


def test_a_pasted_cell_that_is_no_amount_is_marked(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    go_to(editor, editor.cell_index("residence"))
    QGuiApplication.clipboard().setText("3,000,000\n二十万\n10000\n-5\n")
    press(qtbot, Qt.Key.Key_V, CTRL)
    assert value(editor.cell_index("residence")) == Decimal("3000000.00")
    vehicles = editor.cell_index("vehicles")
    assert marked(vehicles)
    assert vehicles.data() == "二十万"
    assert value(editor.cell_index("credit_card")) == Decimal("10000.00")  # past the short-term header
    assert marked(editor.cell_index("consumer_loans"))
    assert "negative" in str(editor.cell_index("consumer_loans").data(PROBLEM_ROLE))
    assert editor.has_errors()
    assert [ln["type"] for ln in editor.lines()] == ["residence", "credit_card"]
    problems = editor.model.index(vehicles.row(), column_of(editor, "To correct")).data()
    assert "Not an amount" in problems


def test_a_paste_longer_than_the_table_says_what_was_left(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    go_to(editor, editor.cell_index("education_loan"))
    QGuiApplication.clipboard().setText("1\n2\n3\n")
    press(qtbot, Qt.Key.Key_V, CTRL)
    assert editor.lines() == [line("education_loan", "1.00")]
    assert editor.general_errors.isVisible()
    assert "2" in editor.general_errors.text()


# ----------------------------------------------------------------------------- server errors
def test_server_errors_go_to_the_line_they_name(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    editor.set_lines([line("cash", "20000.00"), line("demand_deposits", "80000.00"), line("funds", "150000.00")])
    sent = editor.lines()
    assert sent[1]["type"] == "demand_deposits"
    editor.show_errors([
        {"field": "lines[1].amount", "code": "field.out_of_range", "message": "Must be between 0 and 999999999999.99"},
        {"field": "as_of", "code": "finance.balance_sheet.duplicate_date", "message": "duplicate"}])
    assert marked(editor.cell_index("demand_deposits"))
    assert not marked(editor.cell_index("cash"))
    assert not marked(editor.cell_index("funds"))
    assert editor.table.currentIndex() == editor.cell_index("demand_deposits")
    assert editor.general_errors.isVisible()
    assert "balance sheet of that date" in editor.general_errors.text()
    assert not editor.has_errors()  # what is typed is fine; the server's words stay until changed
    editor.clear_errors()
    assert not marked(editor.cell_index("demand_deposits"))
    assert not editor.general_errors.isVisible()


def test_a_server_error_goes_when_its_cell_is_changed(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    editor.set_lines([line("wages", "360000.00", SELF), line("wages", "240000.00", SPOUSE)])
    editor.lines()
    editor.show_errors([{"field": "lines[1].member_id", "code": "finance.line.member_unknown", "message": "x"}])
    spouse = editor.cell_index("wages", SPOUSE)
    assert marked(spouse)
    assert not marked(editor.cell_index("wages", SELF))
    go_to(editor, spouse)
    type_keys(qtbot, "250000")
    press(qtbot, Qt.Key.Key_Return)
    assert not marked(spouse)


# ----------------------------------------------------------------------------- compare
def test_compare_shows_each_change_and_the_totals_change(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    editor.set_lines([line(code, str(parse_amount(text))) for code, text in WORKED_BALANCE.items()])
    previous = [line("cash", "10000.00"), line("demand_deposits", "80000.00"),
                line("other_investment", "50000.00", label="Gold")]
    editor.compare_with(previous, "2025-12-31")
    assert column_of(editor, "2025-12-31") > 0
    cash_change = cell(editor, "Cash", "Change")
    assert value(cash_change) == Decimal("10000.00")
    assert "▲" in cash_change.data() and "10,000.00" in cash_change.data()
    assert cell(editor, "Cash", "2025-12-31").data() == "10,000.00"
    font = cash_change.data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()  # marked by more than colour
    assert value(cell(editor, "Demand deposits", "Change")) == Decimal("0.00")
    assert "▲" not in cell(editor, "Demand deposits", "Change").data()
    # the line the previous sheet had and this one has not: shown, gone down to nothing
    gold = cell(editor, "Gold", "Change")
    assert value(gold) == Decimal("-50000.00") and "▼" in gold.data()
    assert value(cell(editor, "Liquid assets", "Change")) == Decimal("10000.00")
    assert value(cell(editor, "Total assets", "Change")) == Decimal("3560000.00")  # 3,700,000 - 140,000
    assert value(cell(editor, "Net worth", "2025-12-31")) == Decimal("140000.00")
    assert [ln["type"] for ln in editor.lines()] == [
        "cash", "demand_deposits", "time_deposits", "funds", "residence", "vehicles", "credit_card", "mortgage",
        "car_loan"]
    editor.compare_with(None, "")
    headers = [editor.model.headerData(c, Qt.Orientation.Horizontal) for c in range(editor.model.columnCount())]
    assert "2025-12-31" not in headers and "Change" not in headers
    assert all(str(editor.model.index(r, 0).data()).strip() != "Gold" for r in range(editor.model.rowCount()))


def test_compare_of_the_income_table_sums_the_members(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    editor.set_lines([line("wages", "360000.00", SELF), line("wages", "240000.00", SPOUSE)])
    editor.compare_with([line("wages", "500000.00", SELF)], "2025")
    assert value(cell(editor, "Wages", "Change")) == Decimal("100000.00")
    assert value(cell(editor, "Savings", "Change")) == Decimal("100000.00")


# ----------------------------------------------------------------------------- lines
def test_add_an_other_line_name_it_and_remove_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    assert not editor.remove_action.isEnabled()  # the cash row is standard: cleared, never removed
    editor.add_actions["other_investment"].trigger()  # "Add line…" of the investment assets
    type_keys(qtbot, "Gold")  # the new line's name is being edited
    press(qtbot, Qt.Key.Key_Tab)
    type_keys(qtbot, "50,000")
    press(qtbot, Qt.Key.Key_Return)
    assert editor.lines() == [line("other_investment", "50000.00", label="Gold")]
    assert editor.totals().investment == Decimal("50000.00")
    gold = row_of(editor, "Gold")
    assert row_of(editor, "Investment property") < gold < row_of(editor, "Personal-use assets")
    go_to(editor, editor.model.index(gold, 1))
    assert editor.remove_action.isEnabled()
    editor.remove_button.click()
    assert editor.lines() == []
    assert editor.totals().investment == Decimal("0.00")
    assert all(str(editor.model.index(r, 0).data()).strip() != "Gold" for r in range(editor.model.rowCount()))


def test_an_other_line_needs_a_name(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    editor.add_line("other_expense")
    press(qtbot, Qt.Key.Key_Tab)  # no name: on to its amount
    type_keys(qtbot, "800")
    press(qtbot, Qt.Key.Key_Return)
    assert editor.has_errors()
    assert editor.totals().expense == Decimal("800.00")


def test_clear_a_standard_line(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    editor.set_lines([line("wages", "1.00", SELF), line("wages", "2.00", SPOUSE), line("bonus", "3.00")])
    go_to(editor, editor.cell_index("wages", SPOUSE))
    assert not editor.remove_action.isEnabled() and editor.clear_action.isEnabled()
    editor.clear_button.click()
    assert editor.lines() == [line("bonus", "3.00")]


def test_set_lines_then_lines_round_trips(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    loaded = [line("wages", "360000.00", SELF), line("wages", "240000.00", SPOUSE), line("wages", "1000.00", SELF),
              line("bonus", "60000.00"), line("other_income", "5000.00", SPOUSE, "Royalties"),
              line("other_income", "700.00", None, "Prize"), line("living", "180000.00"),
              line("other_expense", "0.00", None, "Gym")]
    editor.set_lines([FinanceLineRead(group="x", **ln) for ln in loaded])  # type: ignore[arg-type]
    assert not editor.is_dirty()
    assert sorted(editor.lines(), key=repr) == sorted(loaded, key=repr)
    assert editor.totals().income == Decimal("666700.00")  # several lines of one type add up
    editor.set_lines(editor.lines())
    assert sorted(editor.lines(), key=repr) == sorted(loaded, key=repr)
    go_to(editor, editor.cell_index("bonus"))
    type_keys(qtbot, "1")
    press(qtbot, Qt.Key.Key_Return)
    assert editor.is_dirty()
    editor.mark_saved()
    assert not editor.is_dirty()


def test_set_lines_refuses_a_line_of_the_other_statement(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    with pytest.raises(ValueError):
        editor.set_lines([line("wages", "1.00")])


def test_read_only_takes_no_edits(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    editor.set_lines([line("cash", "20000.00")])
    editor.set_read_only(True)
    go_to(editor, editor.cell_index("cash"))
    type_keys(qtbot, "5")
    press(qtbot, Qt.Key.Key_Delete)
    QGuiApplication.clipboard().setText("1\n2\n")
    press(qtbot, Qt.Key.Key_V, CTRL)
    assert editor.lines() == [line("cash", "20000.00")]
    assert not editor.add_button.isEnabled()
    assert not editor.model.flags(editor.cell_index("cash")) & Qt.ItemFlag.ItemIsEditable


def test_insert_adds_a_line_to_the_current_rows_group(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "income", MEMBERS)
    go_to(editor, editor.cell_index("food"))
    press(qtbot, Qt.Key.Key_Insert)  # among the parts of living: an other living expense
    type_keys(qtbot, "Pets")
    press(qtbot, Qt.Key.Key_Return)  # the name, then on to its amount
    type_keys(qtbot, "3000")
    press(qtbot, Qt.Key.Key_Return)
    assert editor.lines() == [line("other_living", "3000.00", label="Pets")]
    assert editor.totals().expense == Decimal("3000.00")


def test_group_and_line_words_follow_the_language(qtbot, qapp) -> None:  # type: ignore[no-untyped-def]
    from client import i18n
    assert i18n.set_language(qapp, "zh_CN")
    try:
        editor = shown(qtbot, "balance")
        assert row_of(editor, "流动性资产") < row_of(editor, "现金") < row_of(editor, "投资性资产")
    finally:
        i18n.set_language(qapp, "en")


def test_the_to_correct_column_is_there_only_while_something_is_to_correct(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = shown(qtbot, "balance")
    editor.set_lines([line("cash", "100.00")])
    problem = editor.model.column_of("problem")
    assert editor.table.isColumnHidden(problem)
    editor.lines()
    editor.show_errors([{"field": "lines[0].type", "code": "field.invalid", "message": "Not valid"}])
    assert not editor.table.isColumnHidden(problem)
    editor.clear_errors()
    assert editor.table.isColumnHidden(problem)
    # comparing adds columns where the hidden one was: they show, the new last one does not
    editor.compare_with([line("cash", "90.00")], "2025-12-31")
    hidden = [c.role for i, c in enumerate(editor.model.columns) if editor.table.isColumnHidden(i)]
    assert hidden == ["problem"]
