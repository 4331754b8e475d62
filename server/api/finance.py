from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.api.deps import DbSession, PathId, SettingsDep, UnitOfWorkRoute, file_response, json_response, require
from server.context import Actor
from server.services import finance, statements
from shared.permissions import Action
from shared.schemas import (
    FinanceAnalysis,
    FinancePreviewIn,
    HouseholdIn,
    HouseholdRead,
    JobRead,
    StatementBatchIn,
    StatementLang,
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


@router.get("/customers/{customer_id}/statement", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The statement as a PDF"}})
def print_statement(customer_id: PathId, actor: Annotated[Actor, require(Action.CUSTOMER_STATEMENT_PRINT)],
                    db: DbSession, settings: SettingsDep, as_of: date | None = None,
                    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                    lang: StatementLang = "zh_CN") -> Response:
    """The printed financial statement (PDF): the balance sheet of `as_of` and the income
    table of `year` (the latest of each by default; one asked for that does not exist is
    404), the ratios judged by the ranges in force. Every print is on the audit trail
    (`statement.print`); a customer with neither statement is 409."""
    printed = statements.print_one(db, actor, customer_id, as_of, year, lang, settings.bank_name)
    return file_response(printed.content, printed.filename, "application/pdf")


@router.post("/statements/batches", status_code=202, response_model=JobRead)
def start_statement_batch(body: StatementBatchIn,
                          actor: Annotated[Actor, require(Action.CUSTOMER_STATEMENT_PRINT)], db: DbSession,
                          settings: SettingsDep) -> Response:
    """The statements of a manager's customers printed by a background job (202 with the
    job; follow it at `GET /jobs/{id}`, download its PDFs from `GET /jobs/{id}/outputs`)."""
    job = statements.start_batch(db, actor, body, settings.bank_name, settings.statement_batch_limit)
    return json_response(job, 202)
