"""A household's statements (CONTRACT.md, Household finance): balance sheets per date
and income tables per year, the same five routes each —

    POST   /customers/{customer_id}/{path}                  201, one per customer and period
    GET    /customers/{customer_id}/{path}                  a page, newest first
    GET    /customers/{customer_id}/{path}/{statement_id}
    PATCH  /customers/{customer_id}/{path}/{statement_id}   {version, lines}: the lines replaced
    DELETE /customers/{customer_id}/{path}/{statement_id}   204

made once for both kinds (server.services.finance.Kind holds what differs)."""
# no `from __future__ import annotations`: FastAPI reads the routes' annotations, and the
# body and answer types are this factory's arguments, not module names
from typing import Annotated, Any

from fastapi import APIRouter, Response

from server.api.deps import DbSession, PageNo, PageSize, PathId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import finance
from shared.permissions import Action
from shared.schemas import (
    BalanceSheetIn,
    BalanceSheetRead,
    BalanceSheetUpdate,
    IncomeStatementIn,
    IncomeStatementRead,
    IncomeStatementUpdate,
    Page,
)

router = APIRouter(tags=["household finance"], route_class=UnitOfWorkRoute)
READ, EDIT = Action.CUSTOMER_FINANCE_READ, Action.CUSTOMER_FINANCE_EDIT


def _routes(path: str, kind: finance.Kind, create_in: Any, update_in: Any, read: Any) -> None:
    base, one = f"/customers/{{customer_id}}/{path}", f"/customers/{{customer_id}}/{path}/{{statement_id}}"
    name = kind.name

    def create(customer_id: PathId, body: create_in, actor: Annotated[Actor, require(EDIT)],
               db: DbSession) -> Any:
        return finance.create_statement(kind, db, actor, customer_id, getattr(body, kind.period), body.lines)

    def listed(customer_id: PathId, actor: Annotated[Actor, require(READ)], db: DbSession, page: PageNo = 1,
               page_size: PageSize = 50) -> Any:
        items, total = finance.statements(kind, db, actor, customer_id, page, page_size)
        return Page[read](items=items, total=total, page=page, page_size=page_size)

    def get_one(customer_id: PathId, statement_id: PathId, actor: Annotated[Actor, require(READ)],
                db: DbSession) -> Any:
        return finance.statement(kind, db, actor, customer_id, statement_id)

    def update(customer_id: PathId, statement_id: PathId, body: update_in,
               actor: Annotated[Actor, require(EDIT)], db: DbSession) -> Any:
        return finance.update_statement(kind, db, actor, customer_id, statement_id, body.version, body.lines)

    def delete(customer_id: PathId, statement_id: PathId, actor: Annotated[Actor, require(EDIT)],
               db: DbSession) -> Response:
        finance.delete_statement(kind, db, actor, customer_id, statement_id)
        return Response(status_code=204)

    router.add_api_route(base, create, methods=["POST"], status_code=201, response_model=read,
                         name=f"create_{name}", summary=f"Save a {name.replace('_', ' ')} (one per period)")
    router.add_api_route(base, listed, methods=["GET"], response_model=Page[read], name=f"list_{name}s",
                         summary="Newest first")
    router.add_api_route(one, get_one, methods=["GET"], response_model=read, name=f"get_{name}")
    router.add_api_route(one, update, methods=["PATCH"], response_model=read, name=f"update_{name}",
                         summary="The lines replaced; a stale version is 409 with current")
    router.add_api_route(one, delete, methods=["DELETE"], status_code=204, name=f"delete_{name}")


_routes("balance-sheets", finance.BALANCE, BalanceSheetIn, BalanceSheetUpdate, BalanceSheetRead)
_routes("income-statements", finance.INCOME, IncomeStatementIn, IncomeStatementUpdate, IncomeStatementRead)
