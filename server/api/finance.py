from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from server.api.deps import DbSession, UnitOfWorkRoute, require
from server.context import Actor
from server.services import finance
from shared.permissions import Action
from shared.schemas import FinanceAnalysis, FinancePreviewIn

router = APIRouter(tags=["household finance"], route_class=UnitOfWorkRoute)


@router.post("/finance-analysis/preview", response_model=FinanceAnalysis)
def preview_analysis(body: FinancePreviewIn, actor: Annotated[Actor, require(Action.CUSTOMER_FINANCE_READ)],
                     db: DbSession) -> FinanceAnalysis:
    """Totals and ratios for unsaved figures, judged by the reference ranges in force;
    nothing is stored. Amounts are decimal strings; an error names its line
    (`balance_sheet.lines[3].amount`)."""
    return finance.preview(db, actor, body)
