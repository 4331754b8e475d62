from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from server.api.deps import DbSession, PageNo, PageSize, QueryId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import audit
from shared.permissions import Action
from shared.schemas import AuditEntry, Page, Text

router = APIRouter(prefix="/audit", tags=["audit"], route_class=UnitOfWorkRoute)


@router.get("", response_model=Page[AuditEntry])
def search_audit(actor: Annotated[Actor, require(Action.AUDIT_READ)], db: DbSession,
                 actor_id: QueryId | None = None, action: Annotated[Text | None, Query(max_length=60)] = None,
                 object_type: Annotated[Text | None, Query(max_length=30)] = None,
                 object_id: Annotated[Text | None, Query(max_length=40)] = None,
                 outcome: Annotated[Text | None, Query(max_length=20)] = None,
                 since: AwareDatetime | None = None, until: AwareDatetime | None = None,
                 page: PageNo = 1, page_size: PageSize = 50) -> Page[AuditEntry]:
    """The audit log for auditors: logins, refusals, unmasked reads, changes, approvals.
    `since`/`until` are ISO 8601 with an offset or `Z` (a time without one is 422)."""
    rows, total = audit.search(db, actor, actor_id=actor_id, action=action, object_type=object_type,
                               object_id=object_id,
                               outcome=outcome, since=since, until=until, page=page, page_size=page_size)
    return Page[AuditEntry](items=audit.to_entries(db, rows), total=total, page=page,
                            page_size=page_size)
