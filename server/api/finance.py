from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from server.api.deps import DbSession, PathId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import finance
from shared.permissions import Action
from shared.schemas import (
    FinanceAnalysis,
    FinancePreviewIn,
    HouseholdIn,
    HouseholdRead,
)

router = APIRouter(tags=["household finance"], route_class=UnitOfWorkRoute)


@router.post("/finance-analysis/preview", response_model=FinanceAnalysis)
def preview_analysis(body: FinancePreviewIn, actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_READ)],
                     db: DbSession) -> FinanceAnalysis:
    """Totals and ratios for unsaved figures, judged by the reference ranges in force;
    nothing is stored. Amounts are decimal strings; an error names its line
    (`balance_sheet.lines[3].amount`)."""
    return finance.preview(db, actor, body)


@router.get("/customers/{customer_id}/household", response_model=HouseholdRead)
def get_household(customer_id: PathId, actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_READ)],
                  db: DbSession) -> HouseholdRead:
    """The customer and the members whose finances go with theirs; `version` 0 and no
    members until first saved."""
    return finance.household(db, actor, customer_id)


@router.put("/customers/{customer_id}/household", response_model=HouseholdRead)
def put_household(customer_id: PathId, body: HouseholdIn,
                  actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_EDIT)], db: DbSession) -> HouseholdRead:
    """The whole household: a member with its `id` is kept (income lines name it), one
    without is added, one left out removed; a stale `version` is 409 with `current`."""
    return finance.put_household(db, actor, customer_id, body)


@router.get("/customers/{customer_id}/finance-analysis", response_model=FinanceAnalysis)
def customer_analysis(customer_id: PathId, actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_READ)],
                      db: DbSession, as_of: date | None = None,
                      year: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> FinanceAnalysis:
    """The balance sheet of `as_of` and the income table of `year` (defaults: the
    latest of each) with the seven ratios, and the ranges' version they were judged by."""
    return finance.customer_analysis(db, actor, customer_id, as_of, year)
