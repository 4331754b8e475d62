from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from server.api.deps import DbSession, PageNo, PageSize, PathId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import finance
from shared.permissions import Action
from shared.schemas import (
    BalanceSheetIn,
    BalanceSheetRead,
    BalanceSheetUpdate,
    FinanceAnalysis,
    FinancePreviewIn,
    HouseholdIn,
    HouseholdRead,
    Page,
)

router = APIRouter(tags=["household finance"], route_class=UnitOfWorkRoute)


@router.post("/finance-analysis/preview", response_model=FinanceAnalysis)
def preview_analysis(body: FinancePreviewIn, actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_READ)],
                     db: DbSession) -> FinanceAnalysis:
    """Totals and ratios for unsaved figures, judged by the reference ranges in force;
    nothing is stored. Amounts are decimal strings; an error names its line
    (`balance_sheet.lines[3].amount`)."""
    return finance.preview(db, actor, body)


@router.post("/customers/{customer_id}/balance-sheets", response_model=BalanceSheetRead, status_code=201)
def create_balance_sheet(customer_id: PathId, body: BalanceSheetIn,
                         actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_EDIT)],
                         db: DbSession) -> BalanceSheetRead:
    """The household's balance sheet as of a date: one per customer and date (a second
    is 409); every sheet is kept, so one year compares with the last."""
    return finance.create_balance_sheet(db, actor, customer_id, body)


@router.get("/customers/{customer_id}/balance-sheets", response_model=Page[BalanceSheetRead])
def list_balance_sheets(customer_id: PathId, actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_READ)],
                        db: DbSession, page: PageNo = 1, page_size: PageSize = 50) -> Page[BalanceSheetRead]:
    """Newest first."""
    items, total = finance.balance_sheets(db, actor, customer_id, page, page_size)
    return Page[BalanceSheetRead](items=items, total=total, page=page, page_size=page_size)


@router.get("/customers/{customer_id}/balance-sheets/{sheet_id}", response_model=BalanceSheetRead)
def get_balance_sheet(customer_id: PathId, sheet_id: PathId,
                      actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_READ)],
                      db: DbSession) -> BalanceSheetRead:
    return finance.balance_sheet(db, actor, customer_id, sheet_id)


@router.patch("/customers/{customer_id}/balance-sheets/{sheet_id}", response_model=BalanceSheetRead)
def update_balance_sheet(customer_id: PathId, sheet_id: PathId, body: BalanceSheetUpdate,
                         actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_EDIT)],
                         db: DbSession) -> BalanceSheetRead:
    """Replaces the lines; a stale `version` is 409 with `current`."""
    return finance.update_balance_sheet(db, actor, customer_id, sheet_id, body)


@router.delete("/customers/{customer_id}/balance-sheets/{sheet_id}", status_code=204)
def delete_balance_sheet(customer_id: PathId, sheet_id: PathId,
                         actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_EDIT)], db: DbSession) -> Response:
    finance.delete_balance_sheet(db, actor, customer_id, sheet_id)
    return Response(status_code=204)


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
