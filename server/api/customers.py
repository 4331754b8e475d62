from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from server.api.deps import (
    DbSession,
    PageNo,
    PageSize,
    PathId,
    UnitOfWorkRoute,
    async_reads,
    executor_of,
    json_response,
    pending,
    require,
)
from server.api.hot import HotRead, IntParam, page_params
from server.context import Actor
from server.executor import Executor
from server.services import archive, customers
from server.settings import Settings
from shared.permissions import Action
from shared.schemas import (
    ApprovalPending,
    CustomerCreate,
    CustomerDelete,
    CustomerPage,
    CustomerQuery,
    CustomerRead,
    CustomerUpdate,
    HistoryEntry,
    Page,
)

router = APIRouter(prefix="/customers", tags=["customers"], route_class=UnitOfWorkRoute)
#: A search's page when the client names none.
SEARCH_PAGE_SIZE = 20


async def answer_search(x: Executor, actor: Actor, settings: Settings, query: CustomerQuery, page: int,
                        page_size: int) -> Response:
    items, total, capped = await customers.search(x, actor, query, page=page, page_size=page_size,
                                                  count_cap=settings.search_count_cap)
    return json_response(CustomerPage(items=items, total=total, page=page, page_size=page_size,
                                      total_capped=capped))


@router.get("", response_model=CustomerPage)
@async_reads
async def search_customers(request: Request, actor: Annotated[Actor, require(Action.CUSTOMER_LOOKUP)],
                           query: Annotated[CustomerQuery, Query()], page: PageNo = 1,
                           page_size: PageSize = SEARCH_PAGE_SIZE) -> Response:
    """Exact resident ID, credit code, customer number or phone; any fragment of the name;
    pinyin full spelling or initials (prefix). Identifiers are masked in results."""
    return await answer_search(await executor_of(request), actor, request.app.state.settings, query, page,
                               page_size)


@router.post("", response_model=CustomerRead, status_code=201)
def create_customer(body: CustomerCreate, actor: Annotated[Actor, require(Action.CUSTOMER_CREATE)],
                    db: DbSession) -> CustomerRead:
    return customers.create(db, actor, body)


async def answer_read(x: Executor, actor: Actor, _settings: Settings, customer_id: int) -> Response:
    return json_response(await customers.read(x, actor, customer_id))


@router.get("/{customer_id}", response_model=CustomerRead)
@async_reads
async def get_customer(customer_id: PathId, request: Request,
                       actor: Annotated[Actor, require(Action.CUSTOMER_LOOKUP)]) -> Response:
    """The full profile; resident ID and phone unmasked only where the reader's scope
    allows it, and such a read is audited."""
    return await answer_read(await executor_of(request), actor, request.app.state.settings, customer_id)


@router.patch("/{customer_id}", response_model=CustomerRead,
              responses={202: {"model": ApprovalPending, "description": "A reassignment waits for a checker"}})
def update_customer(customer_id: PathId, body: CustomerUpdate,
                    actor: Annotated[Actor, require(Action.CUSTOMER_EDIT_CONTACT)],
                    db: DbSession) -> CustomerRead | JSONResponse:
    """Contact details, the full profile and allocation need successively stronger
    rights; a stale `version` gets 409 with the current record; moving a customer
    beyond the reassignment threshold answers 202 and waits for a checker."""
    result = customers.update_customer(db, actor, customer_id, body)
    return result if isinstance(result, CustomerRead) else pending(result)


@router.delete("/{customer_id}", status_code=202, response_model=ApprovalPending)
def delete_customer(customer_id: PathId, body: CustomerDelete, actor: Annotated[Actor, require(Action.CUSTOMER_DELETE)],
                    db: DbSession) -> JSONResponse:
    """Never a direct delete: `{version, reason}` → 202, a `customer.delete` request for a
    checker. Once approved the customer is archived whole and gone from reads and
    searches (`/archive/customers`); a second request while one waits → 409
    `customer.delete.pending`; a stale `version` → 409 with `current`."""
    return pending(archive.request_deletion(db, actor, customer_id, body))


@router.get("/{customer_id}/history", response_model=Page[HistoryEntry])
def customer_history(customer_id: PathId, actor: Annotated[Actor, require(Action.CUSTOMER_HISTORY)], db: DbSession,
                     page: PageNo = 1, page_size: PageSize = 50) -> Page[HistoryEntry]:
    items, total = customers.change_history(db, actor, customer_id, page, page_size)
    return Page[HistoryEntry](items=items, total=total, page=page, page_size=page_size)


#: The same reads without FastAPI's request handling (server/api/hot.py).
HOT_READS = (
    HotRead("/customers", Action.CUSTOMER_LOOKUP, answer_search, model=("query", CustomerQuery),
            ints=page_params(SEARCH_PAGE_SIZE)),
    HotRead("/customers/{customer_id}", Action.CUSTOMER_LOOKUP, answer_read, path_ints={"customer_id": IntParam()}),
)
