"""Household finance (issue 14, household-finance.md): the analysis of a household's
balance sheet and income table — totals and ratios from `shared.finance`, judged by the
`ratio-ranges` parameter in force, whose version the answer names."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import access
from server.context import Actor
from server.errors import conflict, not_found, validation_failed
from server.models import (
    BalanceSheet,
    BalanceSheetLine,
    Customer,
    Household,
    HouseholdMember,
    IncomeStatement,
    IncomeStatementLine,
)
from server.models.base import utcnow
from server.services import audit, history, parameters
from shared import errors as codes
from shared.enums import Relation
from shared.errors import FieldError
from shared.finance import (
    LABELLED_LINES,
    BalanceTotals,
    IncomeTotals,
    Line,
    balance_totals,
    income_totals,
    money_text,
    ranges_of,
    ratio_text,
    ratios,
)
from shared.parameters import RATIO_RANGES, RatioRanges
from shared.permissions import Action, Resource
from shared.schemas import (
    MAX_ID,
    BalanceSheetRead,
    FinanceAnalysis,
    FinanceLineIn,
    FinanceLineRead,
    FinancePreviewIn,
    HouseholdIn,
    HouseholdMemberRead,
    HouseholdRead,
    IncomeStatementRead,
    RatioRangeRead,
    RatioRead,
)

#: A second balance sheet of one customer and date; a second income table of one year.
DUPLICATE_DATE = "finance.balance_sheet.duplicate_date"
DUPLICATE_YEAR = "finance.income_statement.duplicate_year"

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


# ----------------------------------------------------------------------------- statements
FEN = Decimal(100)
#: An income line naming someone who is not a member of the customer's household.
UNKNOWN_LINE_MEMBER = "finance.line.member_unknown"
Statement = BalanceSheet | IncomeStatement
StatementRead = BalanceSheetRead | IncomeStatementRead


@dataclass(frozen=True)
class Kind:
    """A balance sheet (one per customer and date) or an income table (per year): the
    same rules, kept once here."""

    name: str  # the audit actions' and history fields' prefix
    model: type[BalanceSheet] | type[IncomeStatement]
    line_model: type[BalanceSheetLine] | type[IncomeStatementLine]
    period: str  # the column that makes a statement unique per customer
    read: type[BalanceSheetRead] | type[IncomeStatementRead]
    duplicate: str  # the 409's code for a second statement of the period
    what: str

    def totals(self, lines: list[Line]) -> dict[str, str]:
        return (balance_totals(lines) if self.model is BalanceSheet else income_totals(lines)).as_strings()


BALANCE = Kind("balance_sheet", BalanceSheet, BalanceSheetLine, "as_of", BalanceSheetRead, DUPLICATE_DATE,
               "a balance sheet of that date")
INCOME = Kind("income_statement", IncomeStatement, IncomeStatementLine, "year", IncomeStatementRead, DUPLICATE_YEAR,
              "an income table of that year")


def statement_lines(st: Statement) -> list[Line]:
    return [Line(x.type, Decimal(x.amount_fen) / FEN, x.label, getattr(x, "member_id", None)) for x in st.lines]


def to_read(kind: Kind, st: Statement) -> Any:
    lines = statement_lines(st)
    return kind.read.model_validate({
        "id": st.id, "customer_id": st.customer_id, kind.period: getattr(st, kind.period), "version": st.version,
        "lines": [FinanceLineRead(type=x.type, group=str(x.group), label=x.label, amount=money_text(x.amount),
                                  member_id=x.member_id) for x in lines],
        "totals": kind.totals(lines), "created_at": st.created_at, "updated_at": st.updated_at})


def customer_in_scope(db: Session, actor: Actor, customer_id: int, *, for_update: bool = False) -> Customer:
    """The customer whose finances these are, if the actor's finance scope reaches it
    (the assigned account manager, the branch's managers); otherwise 404."""
    c: Customer = access.load(db, actor, Resource.CUSTOMER, customer_id, for_update=for_update)
    return c


def _statement(kind: Kind, db: Session, actor: Actor, customer_id: int, statement_id: int, *,
               for_update: bool = False) -> Any:
    customer_in_scope(db, actor, customer_id)
    m = kind.model
    stmt = select(m).where(m.id == statement_id, m.customer_id == customer_id)
    st = db.scalar(stmt.with_for_update() if for_update else stmt) if 1 <= statement_id <= MAX_ID else None
    if st is None:
        raise not_found()
    return st


def _line_rows(kind: Kind, db: Session, customer_id: int, lines: Sequence[FinanceLineIn]) -> list[Any]:
    """The lines as rows; an income line's member must be one of this household's."""
    members = set(db.scalars(select(HouseholdMember.id).join(Household).where(
        Household.customer_id == customer_id))) if any(x.member_id is not None for x in lines) else set()
    errors = [FieldError(f"lines[{n}].member_id", UNKNOWN_LINE_MEMBER, "Not a member of this customer's household")
              for n, x in enumerate(lines) if x.member_id is not None and x.member_id not in members]
    if errors:
        raise validation_failed(errors)
    rows = []
    for n, x in enumerate(lines):
        row = kind.line_model(position=n, type=x.type, label=x.label.strip() if x.label else None,
                              amount_fen=int(Decimal(x.amount) * FEN))
        if x.member_id is not None:
            row.member_id = x.member_id  # type: ignore[union-attr]  # income lines only (the schema sees to it)
        rows.append(row)
    return rows


def _by_line(kind: Kind, st: Statement) -> dict[str, str]:
    """A statement's lines for the change history: per line (type; an other line's
    label; an income line's member) its amount, the period in the value (a field holds
    40 characters)."""
    period = getattr(st, kind.period)
    out: dict[str, Decimal] = {}
    for x in statement_lines(st):
        key = f"{kind.name}.{x.type}" + (f"[{x.label}]" if x.label and x.type in LABELLED_LINES else "") + \
            (f"#{x.member_id}" if x.member_id is not None else "")
        out[key[:40]] = out.get(key[:40], Decimal("0.00")) + x.amount
    shown = period.isoformat() if isinstance(period, date) else str(period)
    return {k: f"{shown}: {money_text(v)}" for k, v in out.items()}


def _record_change(kind: Kind, db: Session, actor: Actor, st: Statement, action: str, before: dict[str, str],
                   after: dict[str, str]) -> None:
    changes = {k: (before.get(k), after.get(k)) for k in sorted(before.keys() | after.keys())
               if before.get(k) != after.get(k)}
    if changes:
        history.record(db, Resource.CUSTOMER, st.customer_id, action, actor.user_id, changes)
    period = getattr(st, kind.period)
    audit.record(db, f"{kind.name}.{action}", who=actor, object_type=kind.name, object_id=st.id,
                 customer_id=st.customer_id, **{kind.period: period.isoformat() if isinstance(period, date)
                                                else period})


def create_statement(kind: Kind, db: Session, actor: Actor, customer_id: int, period: date | int,
                     lines: Sequence[FinanceLineIn]) -> Any:
    """One per customer and period: a second is 409 (also when two arrive at once)."""
    customer_in_scope(db, actor, customer_id, for_update=True)
    m = kind.model
    if db.scalar(select(m.id).where(m.customer_id == customer_id, getattr(m, kind.period) == period)) is not None:
        raise conflict(kind.duplicate, f"This customer has {kind.what} already")
    st = m(customer_id=customer_id, created_by=actor.user_id, lines=_line_rows(kind, db, customer_id, lines),
           **{kind.period: period})
    db.add(st)
    try:
        db.flush()
    except IntegrityError:  # the same period saved at the same moment by someone else
        db.rollback()
        raise conflict(kind.duplicate, f"This customer has {kind.what} already") from None
    _record_change(kind, db, actor, st, "create", {}, _by_line(kind, st))
    return to_read(kind, st)


def statements(kind: Kind, db: Session, actor: Actor, customer_id: int, page: int, page_size: int
               ) -> tuple[list[Any], int]:
    """Newest first."""
    customer_in_scope(db, actor, customer_id)
    m = kind.model
    q = select(m).where(m.customer_id == customer_id)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows: Sequence[Statement] = db.scalars(q.order_by(getattr(m, kind.period).desc())  # type: ignore[assignment]
                                           .offset((page - 1) * page_size).limit(page_size)).all()
    return [to_read(kind, st) for st in rows], total


def statement(kind: Kind, db: Session, actor: Actor, customer_id: int, statement_id: int) -> Any:
    return to_read(kind, _statement(kind, db, actor, customer_id, statement_id))


def update_statement(kind: Kind, db: Session, actor: Actor, customer_id: int, statement_id: int, version: int,
                     lines: Sequence[FinanceLineIn]) -> Any:
    """The lines replaced; a stale `version` is 409 with the statement as it is now."""
    st = _statement(kind, db, actor, customer_id, statement_id, for_update=True)
    if st.version != version:
        raise conflict(codes.VERSION_CONFLICT, f"The {kind.name.replace('_', ' ')} was changed by someone else "
                       "since you read it", current=to_read(kind, st).model_dump(mode="json"))
    before = _by_line(kind, st)
    st.lines = _line_rows(kind, db, customer_id, lines)
    st.updated_at = utcnow()  # the row changes with its lines (and its version with it)
    db.flush()
    _record_change(kind, db, actor, st, "update", before, _by_line(kind, st))
    return to_read(kind, st)


def delete_statement(kind: Kind, db: Session, actor: Actor, customer_id: int, statement_id: int) -> None:
    st = _statement(kind, db, actor, customer_id, statement_id, for_update=True)
    _record_change(kind, db, actor, st, "delete", _by_line(kind, st), {})
    db.delete(st)
    db.flush()


# ----------------------------------------------------------------------------- households
#: A member id in a PUT that is not one of this household's members.
UNKNOWN_MEMBER = "household.members.id.unknown"
#: A member's customer record the user cannot look up (or that does not exist).
MEMBER_CUSTOMER_NOT_FOUND = "household.members.customer_id.not_found"


def _household_row(db: Session, customer_id: int, *, for_update: bool = False) -> Household | None:
    stmt = select(Household).where(Household.customer_id == customer_id)
    return db.scalar(stmt.with_for_update() if for_update else stmt)


def household_read(customer_id: int, h: Household | None) -> HouseholdRead:
    if h is None:
        return HouseholdRead(id=None, customer_id=customer_id, members=[], version=0)
    return HouseholdRead(id=h.id, customer_id=customer_id, version=h.version, members=[
        HouseholdMemberRead(id=m.id, name=m.name, relation=Relation(m.relation), birth_date=m.birth_date,
                            occupation=m.occupation, customer_id=m.customer_id) for m in h.members])


def household(db: Session, actor: Actor, customer_id: int) -> HouseholdRead:
    customer_in_scope(db, actor, customer_id)
    return household_read(customer_id, _household_row(db, customer_id))


def _members_text(h: Household | None) -> str | None:
    """The household for the change history: each member as relation and name."""
    if h is None or not h.members:
        return None
    return "; ".join(f"{m.relation}: {m.name}" + (f" ({m.birth_date.isoformat()})" if m.birth_date else "")
                     for m in h.members)[:2000]


def put_household(db: Session, actor: Actor, customer_id: int, body: HouseholdIn) -> HouseholdRead:
    """The whole household replaced: members with their `id` kept (income lines name
    them), those without one added, those left out removed. `version` 0 makes it."""
    customer_in_scope(db, actor, customer_id, for_update=True)
    h = _household_row(db, customer_id, for_update=True)
    if (h.version if h is not None else 0) != body.version:
        raise conflict(codes.VERSION_CONFLICT, "The household was changed by someone else since you read it",
                       current=household_read(customer_id, h).model_dump(mode="json"))
    known = {m.id: m for m in h.members} if h is not None else {}
    errors = [FieldError(f"members[{i}].id", UNKNOWN_MEMBER, "Not a member of this household")
              for i, m in enumerate(body.members) if m.id is not None and m.id not in known]
    for i, m in enumerate(body.members):
        linked = db.get(Customer, m.customer_id) if m.customer_id is not None else None
        if m.customer_id is not None and (linked is None or not access.in_scope(
                db, actor, Resource.CUSTOMER, linked, Action.CUSTOMER_LOOKUP)):
            errors.append(FieldError(f"members[{i}].customer_id", MEMBER_CUSTOMER_NOT_FOUND,
                                     "Choose a customer you can look up"))
    if errors:
        raise validation_failed(errors)
    before = _members_text(h)
    if h is None:
        h = Household(customer_id=customer_id)
        db.add(h)
    members = []
    for n, m in enumerate(body.members):
        row = known.get(m.id) if m.id is not None else None
        row = row or HouseholdMember()
        row.position, row.name, row.relation = n, m.name, str(m.relation)
        row.birth_date, row.occupation, row.customer_id = m.birth_date, m.occupation, m.customer_id
        members.append(row)
    h.members = members
    h.updated_at = utcnow()
    db.flush()
    after = _members_text(h)
    if before != after:
        history.record(db, Resource.CUSTOMER, customer_id, "update", actor.user_id, {"household": (before, after)})
    audit.record(db, "household.update", who=actor, object_type="customer", object_id=customer_id,
                 members=len(members))
    return household_read(customer_id, h)


# ----------------------------------------------------------------------------- a customer's analysis
def customer_analysis(db: Session, actor: Actor, customer_id: int, as_of: date | None, year: int | None
                      ) -> FinanceAnalysis:
    """The balance sheet of `as_of` (default: the latest) and the income table of `year`
    (default: the latest), analysed. One asked for that does not exist is 404; a
    customer without either gets the ratios that need it as not applicable."""
    customer_in_scope(db, actor, customer_id)
    sheet = pick(db, BALANCE, customer_id, as_of)
    table = pick(db, INCOME, customer_id, year)
    return analysis(db, None if sheet is None else balance_totals(statement_lines(sheet)),
                    None if table is None else income_totals(statement_lines(table)),
                    balance_sheet_id=None if sheet is None else sheet.id,
                    income_statement_id=None if table is None else table.id)


def pick(db: Session, kind: Kind, customer_id: int, period: date | int | None, *, strict: bool = True) -> Any:
    """The statement of `period`, or the latest; one asked for that does not exist is
    404 (`strict`) or None."""
    m = kind.model
    column = getattr(m, kind.period)
    q = select(m).where(m.customer_id == customer_id)
    found = db.scalar(q.where(column == period) if period is not None else q.order_by(column.desc()).limit(1))
    if found is None and period is not None and strict:
        raise not_found()
    return found
