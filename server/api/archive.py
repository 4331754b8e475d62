"""The archive of deleted customers (CONTRACT.md, "Four-eyes approvals"; R-204): find
one, and bring it back within the restore window. Rules: server/services/archive.py."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from server.api.deps import DbSession, PageNo, PageSize, PathId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import archive
from shared.permissions import Action
from shared.schemas import ArchivedCustomerRead, ArchiveRestore, CustomerRead, Page, Text

router = APIRouter(prefix="/archive", tags=["archive"], route_class=UnitOfWorkRoute)


@router.get("/customers", response_model=Page[ArchivedCustomerRead])
def archived_customers(actor: Annotated[Actor, require(Action.CUSTOMER_ARCHIVE_READ)], db: DbSession,
                       q: Annotated[Text | None, Query(max_length=100)] = None, page: PageNo = 1,
                       page_size: PageSize = 50) -> Page[ArchivedCustomerRead]:
    """Deleted customers not yet restored, newest first: `q` is the exact customer number,
    the exact resident ID or credit code, or a fragment of the name. `id` is the
    customer's id; the resident ID comes masked."""
    items, total = archive.list_archived(db, actor, q, page, page_size)
    return Page[ArchivedCustomerRead](items=items, total=total, page=page, page_size=page_size)


@router.post("/customers/{customer_id}/restore", response_model=CustomerRead)
def restore_customer(customer_id: PathId, actor: Annotated[Actor, require(Action.CUSTOMER_RESTORE)], db: DbSession,
                     body: ArchiveRestore | None = None) -> CustomerRead:
    """`{customer_id}` is the customer's id. The body (`{reason}`) is optional. → 200 the
    customer as `GET /customers/{id}` answers; past `CRM_RESTORE_DAYS` → 409
    `archive.restore_expired`; its resident ID (credit code, core id) held by another
    customer meanwhile → 409 `archive.restore_identifier_taken`; nothing archived under
    the id (never, or restored already) or outside the scope → 404."""
    return archive.restore(db, actor, customer_id, body)
