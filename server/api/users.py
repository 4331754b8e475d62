from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from server.api.deps import DbSession, PageNo, PageSize, PathId, QueryId, UnitOfWorkRoute, pending, require
from server.context import Actor
from server.models import ApprovalRequest, User
from server.services import users
from shared.enums import Role
from shared.permissions import Action
from shared.schemas import ApprovalPending, HistoryEntry, Page, PasswordReset, Text, UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], route_class=UnitOfWorkRoute)


def _created_or_pending(result: User | ApprovalRequest, status: int) -> JSONResponse:
    if isinstance(result, User):
        return JSONResponse(UserRead.model_validate(result).model_dump(mode="json"), status_code=status)
    return pending(result)


@router.get("", response_model=Page[UserRead])
def list_users(actor: Annotated[Actor, require(Action.USER_READ)], db: DbSession, page: PageNo = 1,
               page_size: PageSize = 50, org_id: QueryId | None = None, role: Role | None = None,
               q: Text | None = None) -> Page[UserRead]:
    rows, total = users.list_users(db, actor, page, page_size, org_id, role, q)
    return Page[UserRead](items=[UserRead.model_validate(u) for u in rows], total=total, page=page,
                          page_size=page_size)


@router.post("", status_code=201, response_model=UserRead,
             responses={202: {"model": ApprovalPending, "description": "A privileged role awaits approval"}})
def create_user(body: UserCreate, actor: Annotated[Actor, require(Action.USER_CREATE)],
                db: DbSession) -> JSONResponse | UserRead:
    return _created_or_pending(users.create_user(db, actor, body), 201)


@router.get("/{user_id}", response_model=UserRead)
def get_user(user_id: PathId, actor: Annotated[Actor, require(Action.USER_READ)], db: DbSession) -> UserRead:
    return UserRead.model_validate(users.get_user(db, actor, user_id))


@router.patch("/{user_id}", response_model=UserRead,
              responses={202: {"model": ApprovalPending, "description": "A privileged role awaits approval"}})
def update_user(user_id: PathId, body: UserUpdate, actor: Annotated[Actor, require(Action.USER_UPDATE)],
                db: DbSession) -> JSONResponse | UserRead:
    return _created_or_pending(users.update_user(db, actor, user_id, body), 200)


_PENDING: dict[int | str, dict[str, Any]] = {
    202: {"model": ApprovalPending, "description": "Waits for a second head-office admin"}}


@router.post("/{user_id}/lock", response_model=UserRead)
def lock_user(user_id: PathId, actor: Annotated[Actor, require(Action.USER_LOCK)],
              db: DbSession) -> JSONResponse | UserRead:
    return _created_or_pending(users.set_locked(db, actor, user_id, True), 200)


@router.post("/{user_id}/unlock", response_model=UserRead, responses=_PENDING)
def unlock_user(user_id: PathId, actor: Annotated[Actor, require(Action.USER_UNLOCK)],
                db: DbSession) -> JSONResponse | UserRead:
    """Unlocking a privileged user (or anyone, under CRM_USER_ADMIN_FOUR_EYES) → 202."""
    return _created_or_pending(users.set_locked(db, actor, user_id, False), 200)


@router.post("/{user_id}/password-reset", response_model=UserRead, responses=_PENDING)
def reset_password(user_id: PathId, body: PasswordReset, actor: Annotated[Actor, require(Action.USER_RESET_PASSWORD)],
                   db: DbSession) -> JSONResponse | UserRead:
    """Resetting a privileged user's password (or anyone's, under CRM_USER_ADMIN_FOUR_EYES) → 202."""
    return _created_or_pending(users.reset_password(db, actor, user_id, body), 200)


@router.post("/{user_id}/second-factor/reset", status_code=202, response_model=ApprovalPending)
def reset_second_factor(user_id: PathId, actor: Annotated[Actor, require(Action.USER_MFA_RESET)],
                        db: DbSession) -> JSONResponse | UserRead:
    """Clears the user's TOTP and recovery codes (their next login enrols afresh) and ends
    their sessions once a second head-office admin approves → 202; never one's own."""
    return _created_or_pending(users.reset_second_factor(db, actor, user_id), 200)


@router.post("/{user_id}/revoke-sessions", status_code=204)
def revoke_sessions(user_id: PathId, actor: Annotated[Actor, require(Action.USER_REVOKE_SESSIONS)],
                    db: DbSession) -> Response:
    users.revoke_sessions(db, actor, user_id)
    return Response(status_code=204)


@router.get("/{user_id}/history", response_model=Page[HistoryEntry])
def user_history(user_id: PathId, actor: Annotated[Actor, require(Action.USER_HISTORY)], db: DbSession,
                 page: PageNo = 1, page_size: PageSize = 50) -> Page[HistoryEntry]:
    """Who changed this user's name, position, role, org or lock state, when (newest first)."""
    items, total = users.change_history(db, actor, user_id, page, page_size)
    return Page[HistoryEntry](items=items, total=total, page=page, page_size=page_size)
