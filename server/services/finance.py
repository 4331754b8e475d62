"""Household finance (issue 14, household-finance.md): the analysis of a household's
balance sheet and income table — totals and ratios from `shared.finance`, judged by the
`ratio-ranges` parameter in force, whose version the answer names."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import access
from server.context import Actor
from server.errors import conflict, not_found, validation_failed
from server.models import BalanceSheet, BalanceSheetLine, Customer, Household, HouseholdMember
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
    BalanceSheetIn,
    BalanceSheetLineIn,
    BalanceSheetRead,
    BalanceSheetUpdate,
    FinanceAnalysis,
    FinanceLineRead,
    FinancePreviewIn,
    HouseholdIn,
    HouseholdMemberRead,
    HouseholdRead,
    RatioRangeRead,
    RatioRead,
)

#: A second balance sheet of one customer and date.
DUPLICATE_DATE = "finance.balance_sheet.duplicate_date"

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


# ----------------------------------------------------------------------------- balance sheets
FEN = Decimal(100)


def _lines(sheet: BalanceSheet) -> list[Line]:
    return [Line(x.type, Decimal(x.amount_fen) / FEN, x.label) for x in sheet.lines]


def to_read(sheet: BalanceSheet) -> BalanceSheetRead:
    lines = _lines(sheet)
    return BalanceSheetRead(
        id=sheet.id, customer_id=sheet.customer_id, as_of=sheet.as_of, version=sheet.version,
        lines=[FinanceLineRead(type=x.type, group=str(x.group), label=x.label, amount=money_text(x.amount))
               for x in lines],
        totals=balance_totals(lines).as_strings(), created_at=sheet.created_at, updated_at=sheet.updated_at)


def _customer(db: Session, actor: Actor, customer_id: int, *, for_update: bool = False) -> Customer:
    """The customer whose finances these are, if the actor's finance scope reaches it
    (the assigned account manager, the branch's managers); otherwise 404."""
    c: Customer = access.load(db, actor, Resource.CUSTOMER, customer_id, for_update=for_update)
    return c


def _sheet(db: Session, actor: Actor, customer_id: int, sheet_id: int, *, for_update: bool = False) -> BalanceSheet:
    _customer(db, actor, customer_id)
    stmt = select(BalanceSheet).where(BalanceSheet.id == sheet_id, BalanceSheet.customer_id == customer_id)
    sheet = db.scalar(stmt.with_for_update() if for_update else stmt) if 1 <= sheet_id <= MAX_ID else None
    if sheet is None:
        raise not_found()
    return sheet


def _line_rows(lines: Sequence[BalanceSheetLineIn]) -> list[BalanceSheetLine]:
    return [BalanceSheetLine(position=n, type=x.type, label=x.label.strip() if x.label else None,
                             amount_fen=int(Decimal(x.amount) * FEN)) for n, x in enumerate(lines)]


def _by_line(sheet_as_of: date, lines: Sequence[Line]) -> dict[str, str]:
    """A sheet's lines for the change history: per line (type, and label for an other
    line) its amount, the date in the field's value (a field holds 40 characters)."""
    out: dict[str, Decimal] = {}
    for x in lines:
        key = f"balance_sheet.{x.type}" + (f"[{x.label}]" if x.label and x.type in LABELLED_LINES else "")
        out[key[:40]] = out.get(key[:40], Decimal("0.00")) + x.amount
    return {k: f"{sheet_as_of.isoformat()}: {money_text(v)}" for k, v in out.items()}


def _record_change(db: Session, actor: Actor, sheet: BalanceSheet, action: str, before: dict[str, str],
                   after: dict[str, str]) -> None:
    changes = {k: (before.get(k), after.get(k)) for k in sorted(before.keys() | after.keys())
               if before.get(k) != after.get(k)}
    if changes:
        history.record(db, Resource.CUSTOMER, sheet.customer_id, action, actor.user_id, changes)
    audit.record(db, f"balance_sheet.{action}", who=actor, object_type="balance_sheet", object_id=sheet.id,
                 customer_id=sheet.customer_id, as_of=sheet.as_of.isoformat())


def create_balance_sheet(db: Session, actor: Actor, customer_id: int, body: BalanceSheetIn) -> BalanceSheetRead:
    """One sheet per customer and date: a second for the same date is 409."""
    _customer(db, actor, customer_id, for_update=True)
    if db.scalar(select(BalanceSheet.id).where(BalanceSheet.customer_id == customer_id,
                                               BalanceSheet.as_of == body.as_of)) is not None:
        raise conflict(DUPLICATE_DATE, "This customer has a balance sheet of that date already")
    sheet = BalanceSheet(customer_id=customer_id, as_of=body.as_of, created_by=actor.user_id,
                         lines=_line_rows(body.lines))
    db.add(sheet)
    try:
        db.flush()
    except IntegrityError:  # the same date saved at the same moment by someone else
        db.rollback()
        raise conflict(DUPLICATE_DATE, "This customer has a balance sheet of that date already") from None
    _record_change(db, actor, sheet, "create", {}, _by_line(sheet.as_of, _lines(sheet)))
    return to_read(sheet)


def balance_sheets(db: Session, actor: Actor, customer_id: int, page: int, page_size: int
                   ) -> tuple[list[BalanceSheetRead], int]:
    """Newest first."""
    _customer(db, actor, customer_id)
    q = select(BalanceSheet).where(BalanceSheet.customer_id == customer_id)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(q.order_by(BalanceSheet.as_of.desc()).offset((page - 1) * page_size).limit(page_size))
    return [to_read(s) for s in rows], total


def balance_sheet(db: Session, actor: Actor, customer_id: int, sheet_id: int) -> BalanceSheetRead:
    return to_read(_sheet(db, actor, customer_id, sheet_id))


def update_balance_sheet(db: Session, actor: Actor, customer_id: int, sheet_id: int,
                         body: BalanceSheetUpdate) -> BalanceSheetRead:
    """The lines replaced; a stale `version` is 409 with the sheet as it is now."""
    sheet = _sheet(db, actor, customer_id, sheet_id, for_update=True)
    if sheet.version != body.version:
        raise conflict(codes.VERSION_CONFLICT, "The balance sheet was changed by someone else since you read it",
                       current=to_read(sheet).model_dump(mode="json"))
    before = _by_line(sheet.as_of, _lines(sheet))
    sheet.lines = _line_rows(body.lines)
    sheet.updated_at = utcnow()  # the row changes with its lines (and its version with it)
    db.flush()
    _record_change(db, actor, sheet, "update", before, _by_line(sheet.as_of, _lines(sheet)))
    return to_read(sheet)


def delete_balance_sheet(db: Session, actor: Actor, customer_id: int, sheet_id: int) -> None:
    sheet = _sheet(db, actor, customer_id, sheet_id, for_update=True)
    _record_change(db, actor, sheet, "delete", _by_line(sheet.as_of, _lines(sheet)), {})
    db.delete(sheet)
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
    _customer(db, actor, customer_id)
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
    _customer(db, actor, customer_id, for_update=True)
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
