from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from server.api.deps import DbSession, PageNo, PageSize, PathId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import orgs
from shared.permissions import Action
from shared.schemas import HistoryEntry, OrgCreate, OrgRead, OrgUpdate, Page

router = APIRouter(prefix="/orgs", tags=["orgs"], route_class=UnitOfWorkRoute)


@router.get("", response_model=Page[OrgRead])
def list_orgs(actor: Annotated[Actor, require(Action.ORG_READ)], db: DbSession,
              page: PageNo = 1, page_size: PageSize = 200) -> Page[OrgRead]:
    rows, total = orgs.list_orgs(db, actor, page, page_size)
    return Page[OrgRead](items=[OrgRead.model_validate(o) for o in rows], total=total, page=page,
                         page_size=page_size)


@router.post("", response_model=OrgRead, status_code=201)
def create_org(body: OrgCreate, actor: Annotated[Actor, require(Action.ORG_MANAGE)], db: DbSession) -> OrgRead:
    return OrgRead.model_validate(orgs.create_org(db, actor, body))


@router.get("/{org_id}", response_model=OrgRead)
def get_org(org_id: PathId, actor: Annotated[Actor, require(Action.ORG_READ)], db: DbSession) -> OrgRead:
    return OrgRead.model_validate(orgs.get_org(db, actor, org_id))


@router.patch("/{org_id}", response_model=OrgRead)
def update_org(org_id: PathId, body: OrgUpdate, actor: Annotated[Actor, require(Action.ORG_MANAGE)],
               db: DbSession) -> OrgRead:
    return OrgRead.model_validate(orgs.update_org(db, actor, org_id, body))


@router.get("/{org_id}/history", response_model=Page[HistoryEntry])
def org_history(org_id: PathId, actor: Annotated[Actor, require(Action.ORG_HISTORY)], db: DbSession,
                page: PageNo = 1, page_size: PageSize = 50) -> Page[HistoryEntry]:
    """Who created, renamed or re-coded this organisation, when (newest first)."""
    items, total = orgs.change_history(db, actor, org_id, page, page_size)
    return Page[HistoryEntry](items=items, total=total, page=page, page_size=page_size)
