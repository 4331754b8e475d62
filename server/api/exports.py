"""`POST /api/v1/{customers,users,audit,approvals}/exports`: a list exported to a file
is on the audit trail. The client writes the file (exactly as the list shows it, masked
as the reader sees it) only after the server has recorded the export; whoever may read
a list may export it."""
from typing import Annotated

from fastapi import APIRouter, Response

from server.api.deps import DbSession, UnitOfWorkRoute, require
from server.context import Actor
from server.services import audit
from shared.permissions import Action
from shared.schemas import ExportRecord

router = APIRouter(tags=["exports"], route_class=UnitOfWorkRoute)

#: path of the list -> what its rows are (the audit action's prefix) and who may read it
EXPORTABLE = {
    "customers": ("customer", Action.CUSTOMER_LOOKUP),
    "users": ("user", Action.USER_READ),
    "audit": ("audit", Action.AUDIT_READ),
    "approvals": ("approval", Action.APPROVAL_READ),
}


def _exporter(listed: str, action: Action):  # type: ignore[no-untyped-def]
    # (no `from __future__ import annotations` here: FastAPI reads this signature's
    # annotations, and `action` is this closure's, not a module name)
    def record_export(body: ExportRecord, actor: Annotated[Actor, require(action)], db: DbSession) -> Response:
        audit.record_export(db, actor, listed, body)
        return Response(status_code=204)
    record_export.__name__ = f"record_{listed}_export"
    record_export.__doc__ = f"An export of the {listed} list, on the audit trail as `{listed}.export`."
    return record_export


for _path, (_listed, _action) in EXPORTABLE.items():
    router.add_api_route(f"/{_path}/exports", _exporter(_listed, _action), methods=["POST"], status_code=204)
