"""System parameters (shared/parameters.py): read as of a time, changed as a new version."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import AwareDatetime

from server.api.deps import DbSession, PageNo, PageSize, UnitOfWorkRoute, require
from server.context import Actor
from server.errors import parse
from server.services import parameters
from shared.permissions import Action
from shared.schemas import PARAMETER_UPDATE_MODELS, Page, ParameterRead

router = APIRouter(prefix="/parameters", tags=["parameters"], route_class=UnitOfWorkRoute)


@router.get("", response_model=Page[ParameterRead])  # type: ignore[valid-type]
def list_parameters(actor: Annotated[Actor, require(Action.PARAMETER_READ)], db: DbSession, page: PageNo = 1,
                    page_size: PageSize = 50) -> Any:
    """Every registered parameter in its current version, by name."""
    rows = parameters.all_current(db)
    start = (page - 1) * page_size
    return Page[Any](items=parameters.to_reads(db, rows[start:start + page_size]), total=len(rows), page=page,
                     page_size=page_size)


@router.get("/{name}", response_model=ParameterRead)
def get_parameter(name: str, actor: Annotated[Actor, require(Action.PARAMETER_READ)], db: DbSession,
                  at: AwareDatetime | None = None) -> Any:
    """The version in force now, or at `at` (ISO 8601 with an offset or `Z`)."""
    return parameters.to_read(db, parameters.version_in_force(db, name, at))


@router.put("/{name}", response_model=ParameterRead)
def change_parameter(name: str, body: Annotated[dict[str, Any], Body()],
                     actor: Annotated[Actor, require(Action.PARAMETER_WRITE)], db: DbSession) -> Any:
    """`{version, reason?, ...the value's fields}` (the whole value, as `GET` shows it)
    → the new version; a stale `version` → 409 with `current`."""
    parameters.spec_of(name)  # 404 before looking at the body
    update = parse(PARAMETER_UPDATE_MODELS[name], body)
    version = parameters.change(db, actor, name, update.version, update, update.reason)
    return parameters.to_read(db, parameters.get_version(db, name, version))


@router.get("/{name}/history", response_model=Page[ParameterRead])  # type: ignore[valid-type]
def parameter_history(name: str, actor: Annotated[Actor, require(Action.PARAMETER_READ)], db: DbSession,
                      page: PageNo = 1, page_size: PageSize = 50) -> Any:
    """Every version, newest first."""
    rows, total = parameters.history(db, name, page, page_size)
    return Page[Any](items=parameters.to_reads(db, rows), total=total, page=page, page_size=page_size)
