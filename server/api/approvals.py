from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from server.api.deps import DbSession, PageNo, PageSize, PathId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import approvals
from shared.enums import ApprovalStatus
from shared.permissions import Action
from shared.schemas import ApprovalDecision, ApprovalRead, Page

router = APIRouter(prefix="/approvals", tags=["approvals"], route_class=UnitOfWorkRoute)


@router.get("", response_model=Page[ApprovalRead])
def list_approvals(actor: Annotated[Actor, require(Action.APPROVAL_READ)], db: DbSession,
                   status: ApprovalStatus | None = None, mine: bool = False, page: PageNo = 1,
                   page_size: PageSize = 50) -> Page[ApprovalRead]:
    """A checker sees the requests whose object is in their scope and whose kind they
    may decide; everyone sees their own (`mine=true`: only those)."""
    rows, total = approvals.list_requests(db, actor, status, page, page_size, mine)
    return Page[ApprovalRead](items=[approvals.to_read(db, r) for r in rows], total=total, page=page,
                              page_size=page_size)


@router.post("/{approval_id}/approve", response_model=ApprovalRead)
def approve(approval_id: PathId, body: ApprovalDecision, actor: Annotated[Actor, require(Action.APPROVAL_DECIDE)],
            db: DbSession) -> ApprovalRead:
    return approvals.to_read(db, approvals.decide(db, actor, approval_id, body.version, True, body.reason))


@router.post("/{approval_id}/reject", response_model=ApprovalRead)
def reject(approval_id: PathId, body: ApprovalDecision, actor: Annotated[Actor, require(Action.APPROVAL_DECIDE)],
           db: DbSession) -> ApprovalRead:
    return approvals.to_read(db, approvals.decide(db, actor, approval_id, body.version, False, body.reason))
