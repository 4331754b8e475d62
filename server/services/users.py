"""Staff accounts (R-1202): create, change role or org, lock, unlock, reset password,
revoke sessions. Granting a privileged role goes through an approval."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.context import Actor
from server.errors import Problem, conflict, not_found, validation_failed
from server.models import Org, User
from server.security import hash_password
from server.services import approvals, audit, auth
from server.services.orgs import subtree_ids
from shared import errors as codes
from shared.enums import PRIVILEGED_ROLES, Role
from shared.errors import FieldError
from shared.passwords import password_errors
from shared.permissions import Scope
from shared.schemas import PasswordReset, UserCreate, UserRead, UserUpdate


def _visible(db: Session, actor: Actor):  # type: ignore[no-untyped-def]
    q = select(User)
    if actor.scope == Scope.ORG_SUBTREE:
        q = q.where(User.org_id.in_(subtree_ids(db, actor.org_id, actor)))
    elif actor.scope != Scope.BANK:
        q = q.where(User.id == actor.user_id)
    return q


def list_users(db: Session, actor: Actor, page: int, page_size: int, org_id: int | None = None,
               role: str | None = None, q: str | None = None) -> tuple[list[User], int]:
    query = _visible(db, actor)
    if org_id is not None:
        query = query.where(User.org_id == org_id)
    if role:
        query = query.where(User.role == role)
    if q and q.strip():
        # `%` and `_` are what the user typed, not wildcards
        query = query.where(User.username_key.contains(q.strip().casefold(), autoescape=True)
                            | User.display_name.contains(q.strip(), autoescape=True))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(User.username_key).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def get_user(db: Session, actor: Actor, user_id: int) -> User:
    user = db.scalar(_visible(db, actor).where(User.id == user_id))
    if user is None:
        raise not_found()
    return user


def _check_org(db: Session, org_id: int) -> None:
    if db.get(Org, org_id) is None:
        raise validation_failed([FieldError("org_id", "user.org_id.not_found", "Choose an existing organisation")])


def _check_password(password: str, username: str, field: str = "password") -> None:
    errs = password_errors(password, username, field=field)
    if errs:
        raise validation_failed(errs)


def create_user(db: Session, actor: Actor, data: UserCreate) -> User | approvals.ApprovalRequest:
    _check_password(data.password, data.username)
    _check_org(db, data.org_id)
    if db.scalar(select(User.id).where(User.username_key == data.username.casefold())) is not None:
        raise conflict(codes.USER_DUPLICATE, "This username is taken")
    payload = data.model_dump(mode="json", exclude={"password"})
    payload["password_hash"] = hash_password(data.password)  # never store a plaintext password
    if data.role in PRIVILEGED_ROLES:
        req = approvals.submit(db, actor, "user.create", payload,
                               f"Create {data.role} {data.username} ({data.display_name})", org_id=data.org_id)
        return req
    user = _insert_user(db, actor, payload)
    return user


@approvals.executor("user.create")
def _insert_user(db: Session, actor: Actor, payload: dict[str, Any]) -> User:
    user = User(username=payload["username"], username_key=payload["username"].casefold(),
                password_hash=payload["password_hash"], display_name=payload["display_name"],
                role=payload["role"], org_id=payload["org_id"], position=payload.get("position", "staff"),
                must_change_password=bool(payload.get("must_change_password")))
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise conflict(codes.USER_DUPLICATE, "This username is taken") from None
    audit.record(db, "user.create", who=actor, object_type="user", object_id=user.id, role=user.role)
    return user


def create_first_admin(db: Session, username: str, password: str, org_id: int) -> User:
    """`crm-server create-admin`: the operator is trusted, no approval."""
    _check_password(password, username)
    if db.scalar(select(User.id).where(User.username_key == username.casefold())) is not None:
        raise conflict(codes.USER_DUPLICATE, "This username is taken")
    user = User(username=username, username_key=username.casefold(), password_hash=hash_password(password),
                display_name=username, role=Role.HEAD_OFFICE_ADMIN, org_id=org_id, position="staff")
    db.add(user)
    db.flush()
    audit.record(db, "user.create", actor_name="operator", object_type="user", object_id=user.id,
                 role=user.role, via="create-admin")
    return user


def _stale(user: User, version: int) -> None:
    if user.version != version:
        raise conflict(codes.VERSION_CONFLICT, "The user was changed by someone else",
                       current=UserRead.model_validate(user).model_dump(mode="json"))


def update_user(db: Session, actor: Actor, user_id: int, data: UserUpdate) -> User | approvals.ApprovalRequest:
    user = get_user(db, actor, user_id)
    _stale(user, data.version)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"version"}).items() if v is not None}
    if "org_id" in changes:
        _check_org(db, changes["org_id"])
    if changes.get("role") in PRIVILEGED_ROLES and changes["role"] != user.role:
        req = approvals.submit(db, actor, "user.grant_role",
                               {"user_id": user.id, "version": user.version, **changes},
                               f"Grant {changes['role']} to {user.username}", org_id=user.org_id)
        return req
    _apply(db, actor, user, changes)
    return user


@approvals.executor("user.grant_role")
def _grant(db: Session, actor: Actor, payload: dict[str, Any]) -> None:
    user = db.get(User, payload["user_id"])
    if user is None:
        raise not_found()
    if user.version != payload["version"]:
        raise conflict(codes.VERSION_CONFLICT, "The user changed since the request was made",
                       current=UserRead.model_validate(user).model_dump(mode="json"))
    _apply(db, actor, user, {k: v for k, v in payload.items() if k not in ("user_id", "version")})


def _apply(db: Session, actor: Actor, user: User, changes: dict[str, Any]) -> None:
    for k, v in changes.items():
        setattr(user, k, v.strip() if isinstance(v, str) and k == "display_name" else v)
    if "role" in changes or "org_id" in changes:
        auth.revoke_all(db, user.id)  # permissions changed: sessions start afresh
    db.flush()
    audit.record(db, "user.update", who=actor, object_type="user", object_id=user.id,
                 fields={k: str(v) for k, v in changes.items()})


def set_locked(db: Session, actor: Actor, user_id: int, locked: bool) -> User:
    user = get_user(db, actor, user_id)
    if user.id == actor.user_id and locked:
        raise Problem(422, codes.VALIDATION_FAILED, "Validation failed", "You cannot lock yourself out",
                      errors=[FieldError("id", "user.lock.self", "You cannot lock your own account")])
    user.locked = locked
    if locked:
        auth.revoke_all(db, user.id)
    else:
        from server.models import LoginThrottle
        counter = db.get(LoginThrottle, user.username_key)
        if counter is not None:
            db.delete(counter)
    db.flush()
    audit.record(db, "user.lock" if locked else "user.unlock", who=actor, object_type="user", object_id=user.id)
    return user


def reset_password(db: Session, actor: Actor, user_id: int, data: PasswordReset) -> User:
    """An admin reset always forces a change at the next login."""
    user = get_user(db, actor, user_id)
    _check_password(data.new_password, user.username, field="new_password")
    user.password_hash = hash_password(data.new_password)
    user.must_change_password = True
    auth.revoke_all(db, user.id)
    db.flush()
    audit.record(db, "user.password_reset", who=actor, object_type="user", object_id=user.id)
    return user


def revoke_sessions(db: Session, actor: Actor, user_id: int) -> int:
    user = get_user(db, actor, user_id)
    n = auth.revoke_all(db, user.id)
    audit.record(db, "user.revoke_sessions", who=actor, object_type="user", object_id=user.id, sessions=n)
    return n
