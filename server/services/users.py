"""Staff accounts (R-1202): create, change name, position, role or org, lock, unlock,
reset password, reset the second factor, revoke sessions.

Four eyes without loopholes (roles-and-permissions.md; the conditions are data in
shared.permissions): whatever touches a privileged user — creating one, granting a
privileged role, changing a privileged user's role or org, unlocking them, resetting
their password — waits for a second head-office admin; with `CRM_USER_ADMIN_FOUR_EYES`
every change but locking and ending sessions does. Nobody changes their own role,
org, lock state or password through administration. A password reset records who set
it, so that person never counts as that user's second pair of eyes.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import access
from server.context import Actor
from server.errors import conflict, validation_failed
from server.models import ApprovalRequest, LoginThrottle, Org, User
from server.models.base import utcnow
from server.security import hash_password
from server.services import approvals, audit, auth, history, mfa, throttle
from shared import errors as codes
from shared.enums import PRIVILEGED_ROLES, Role
from shared.errors import FieldError
from shared.passwords import password_errors
from shared.permissions import USER_ASSIGNMENT_FIELDS, Action, Resource
from shared.schemas import HistoryEntry, PasswordReset, UserCreate, UserRead, UserUpdate

Outcome = User | ApprovalRequest
#: What a user's change history shows of them (never a password or its hash).
_SHOWN = ("username", "display_name", "role", "org_id", "position")


def _history(user: User, action: str, changes: dict[str, tuple[Any, Any]], actor: Actor,
             approval: ApprovalRequest | None, db: Session) -> None:
    """The change, in the user's history: by the maker when a checker let it through."""
    history.record(db, Resource.USER, user.id, action, approval.maker_id if approval else actor.user_id, changes,
                   approval_id=approval.id if approval else None)


def change_history(db: Session, actor: Actor, user_id: int, page: int,
                   page_size: int) -> tuple[list[HistoryEntry], int]:
    user = get_user(db, actor, user_id)
    return history.page(db, Resource.USER, user.id, page, page_size, full=True)


def list_users(db: Session, actor: Actor, page: int, page_size: int, org_id: int | None = None,
               role: str | None = None, q: str | None = None) -> tuple[list[User], int]:
    query = select(User).where(access.scope_filter(db, actor, Resource.USER))
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
    return access.load(db, actor, Resource.USER, user_id)  # type: ignore[no-any-return]


def _check_org(db: Session, org_id: int) -> None:
    if db.get(Org, org_id) is None:
        raise validation_failed([FieldError("org_id", "user.org_id.not_found", "Choose an existing organisation")])


def _check_password(password: str, username: str, field: str = "password") -> None:
    errs = password_errors(password, username, field=field)
    if errs:
        raise validation_failed(errs)


def _details(user: User | None = None, **extra: Any) -> dict[str, Any]:
    """What an approval shows of a user (never a password or its hash)."""
    out: dict[str, Any] = {}
    if user is not None:
        out.update(user_id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                   org_id=user.org_id)
    out.update({k: str(v) if v is not None else None for k, v in extra.items()})
    return out


# ----------------------------------------------------------------------------- create
def create_user(db: Session, actor: Actor, data: UserCreate) -> Outcome:
    _check_password(data.password, data.username)
    _check_org(db, data.org_id)
    if db.scalar(select(User.id).where(User.username_key == data.username.casefold())) is not None:
        raise conflict(codes.USER_DUPLICATE, "This username is taken")
    payload = data.model_dump(mode="json", exclude={"password"})
    payload["password_hash"] = hash_password(data.password)  # never store a plaintext password
    privileged = data.role in PRIVILEGED_ROLES
    if access.needs_approval(db, actor, Action.USER_CREATE, privileged_target=privileged):
        return approvals.submit(
            db, actor, "user.grant_privileged" if privileged else "user.create", payload,
            f"Create {data.role} {data.username} ({data.display_name})", org_id=data.org_id, object_type="user",
            object_id=None, details={k: payload[k] for k in ("username", "display_name", "role", "org_id",
                                                             "position")})
    return _insert_user(db, actor, payload)


@approvals.executor("user.create")
def _create_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> User:
    user = _insert_user(db, checker, payload, approval=req)
    req.object_id = str(user.id)
    return user


def _insert_user(db: Session, actor: Actor, payload: dict[str, Any], approval: ApprovalRequest | None = None) -> User:
    user = User(username=payload["username"], username_key=payload["username"].casefold(),
                password_hash=payload["password_hash"], display_name=payload["display_name"],
                role=payload["role"], org_id=payload["org_id"], position=payload.get("position", "staff"),
                must_change_password=bool(payload.get("must_change_password")),
                credentials_set_by=approval.maker_id if approval else actor.user_id, credentials_set_at=utcnow())
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise conflict(codes.USER_DUPLICATE, "This username is taken") from None
    audit.record(db, "user.create", who=actor, object_type="user", object_id=user.id, role=user.role,
                 approval_id=approval.id if approval else None)
    _history(user, "create", {f: (None, getattr(user, f)) for f in _SHOWN}, actor, approval, db)
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
    history.record(db, Resource.USER, user.id, "create", None, {f: (None, getattr(user, f)) for f in _SHOWN})
    return user


# ----------------------------------------------------------------------------- update
def _stale(user: User, version: int) -> None:
    if user.version != version:
        raise conflict(codes.VERSION_CONFLICT, "The user was changed by someone else",
                       current=UserRead.model_validate(user).model_dump(mode="json"))


def update_user(db: Session, actor: Actor, user_id: int, data: UserUpdate) -> Outcome:
    user = get_user(db, actor, user_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"version"}).items()
               if getattr(user, k) != v}
    assigning = bool(changes.keys() & USER_ASSIGNMENT_FIELDS)
    if assigning:
        access.refuse_on_oneself(db, actor, Action.USER_ASSIGN, user.id)
    access.authorise_fields(db, actor, Resource.USER, user, set(changes))
    _stale(user, data.version)
    if not changes:
        return user
    if "org_id" in changes:
        _check_org(db, changes["org_id"])
    grants = changes.get("role") in PRIVILEGED_ROLES
    action = Action.USER_ASSIGN if assigning else Action.USER_UPDATE
    if access.needs_approval(db, actor, action, privileged_target=user.role in PRIVILEGED_ROLES or grants):
        summary = f"Grant {changes['role']} to {user.username}" if grants else \
            f"Change {', '.join(sorted(changes))} of {user.username}"
        return approvals.submit(db, actor, "user.grant_privileged" if grants else "user.update",
                                {"user_id": user.id, "version": user.version, **changes}, summary, org_id=user.org_id,
                                object_type="user", object_id=user.id, details=_details(user, **{
                                    f"new_{k}": v for k, v in changes.items()}))
    _apply(db, actor, user, changes)
    return user


def _approved_target(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> User:
    """The request's user, through the checker's own scope; unchanged since the request."""
    user: User = access.load(db, checker, Resource.USER, int(payload["user_id"]))
    if user.version != payload["version"]:
        raise approvals.stale()
    return user


@approvals.executor("user.grant_privileged")
def _grant_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> User:
    if "username" in payload:  # creating a user with a privileged role
        return _create_approved(db, checker, req, payload)
    return _update_approved(db, checker, req, payload)


@approvals.executor("user.update")
def _update_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> User:
    user = _approved_target(db, checker, req, payload)
    changes = {k: v for k, v in payload.items() if k not in ("user_id", "version")}
    if "org_id" in changes:
        _check_org(db, changes["org_id"])
    _apply(db, checker, user, changes, approval=req)
    return user


def _apply(db: Session, actor: Actor, user: User, changes: dict[str, Any],
           approval: ApprovalRequest | None = None) -> None:
    _history(user, "update", {k: (getattr(user, k), v) for k, v in changes.items()}, actor, approval, db)
    for k, v in changes.items():
        setattr(user, k, v.strip() if isinstance(v, str) and k == "display_name" else v)
    if changes.keys() & USER_ASSIGNMENT_FIELDS:
        auth.revoke_all(db, user.id)  # permissions changed: sessions start afresh
    db.flush()
    audit.record(db, "user.update", who=actor, object_type="user", object_id=user.id,
                 fields={k: str(v) for k, v in changes.items()}, approval_id=approval.id if approval else None)


# ----------------------------------------------------------------------------- lock, unlock
def set_locked(db: Session, actor: Actor, user_id: int, locked: bool) -> Outcome:
    user = get_user(db, actor, user_id)
    action = Action.USER_LOCK if locked else Action.USER_UNLOCK
    access.refuse_on_oneself(db, actor, action, user.id)
    if not locked and access.needs_approval(db, actor, action, privileged_target=user.role in PRIVILEGED_ROLES):
        return approvals.submit(db, actor, "user.unlock", {"user_id": user.id, "version": user.version},
                                f"Unlock {user.username}", org_id=user.org_id, object_type="user",
                                object_id=user.id, details=_details(user))
    _set_locked(db, actor, user, locked)
    return user


@approvals.executor("user.unlock")
def _unlock_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> User:
    user = _approved_target(db, checker, req, payload)
    _set_locked(db, checker, user, False, approval=req)
    return user


def _set_locked(db: Session, actor: Actor, user: User, locked: bool, approval: ApprovalRequest | None = None) -> None:
    _history(user, "lock" if locked else "unlock", {"locked": (user.locked, locked)}, actor, approval, db)
    user.locked = locked
    if locked:
        auth.revoke_all(db, user.id)
    else:
        counter = db.get(LoginThrottle, throttle.account_key(user.username_key))
        if counter is not None:
            db.delete(counter)
    db.flush()
    audit.record(db, "user.lock" if locked else "user.unlock", who=actor, object_type="user", object_id=user.id,
                 approval_id=approval.id if approval else None)


# ----------------------------------------------------------------------------- credentials
def reset_password(db: Session, actor: Actor, user_id: int, data: PasswordReset) -> Outcome:
    """An admin reset always forces a change at the next login. One's own password is
    changed with the old one (`POST /auth/password`), never reset."""
    user = get_user(db, actor, user_id)
    access.refuse_on_oneself(db, actor, Action.USER_RESET_PASSWORD, user.id)
    _check_password(data.new_password, user.username, field="new_password")
    password_hash = hash_password(data.new_password)
    if access.needs_approval(db, actor, Action.USER_RESET_PASSWORD, privileged_target=user.role in PRIVILEGED_ROLES):
        return approvals.submit(db, actor, "user.password_reset",
                                {"user_id": user.id, "version": user.version, "password_hash": password_hash},
                                f"Reset the password of {user.username}", org_id=user.org_id, object_type="user",
                                object_id=user.id, details=_details(user))
    _set_password(db, actor, user, password_hash, set_by=actor.user_id)
    return user


@approvals.executor("user.password_reset")
def _reset_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> User:
    user = _approved_target(db, checker, req, payload)
    # the maker chose (and knows) the password: it is theirs, not the checker's
    _set_password(db, checker, user, payload["password_hash"], set_by=req.maker_id, approval=req)
    return user


def _set_password(db: Session, actor: Actor, user: User, password_hash: str, *, set_by: int,
                  approval: ApprovalRequest | None = None) -> None:
    _history(user, "password_reset", {"password": (None, None)}, actor, approval, db)
    user.password_hash = password_hash
    user.must_change_password = True
    user.credentials_set_by, user.credentials_set_at = set_by, utcnow()
    auth.revoke_all(db, user.id)
    db.flush()
    audit.record(db, "user.password_reset", who=actor, object_type="user", object_id=user.id,
                 approval_id=approval.id if approval else None)


def reset_second_factor(db: Session, actor: Actor, user_id: int) -> Outcome:
    """Clear a user's second factor (a lost phone): their next login enrols afresh, and
    their sessions end. Whoever knows the password could enrol a new one, so it waits for
    a second head-office admin (the table's `approval_when`); never one's own (one's own
    is re-enrolled with `POST /auth/totp/enrolment`)."""
    user = get_user(db, actor, user_id)
    access.refuse_on_oneself(db, actor, Action.USER_MFA_RESET, user.id)
    if access.needs_approval(db, actor, Action.USER_MFA_RESET, privileged_target=user.role in PRIVILEGED_ROLES):
        return approvals.submit(db, actor, "user.mfa_reset", {"user_id": user.id, "version": user.version},
                                f"Reset the second factor of {user.username}", org_id=user.org_id,
                                object_type="user", object_id=user.id, details=_details(user))
    _reset_second_factor(db, actor, user)
    return user


@approvals.executor("user.mfa_reset")
def _mfa_reset_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> User:
    user = _approved_target(db, checker, req, payload)
    _reset_second_factor(db, checker, user, approval=req)
    return user


def _reset_second_factor(db: Session, actor: Actor, user: User, approval: ApprovalRequest | None = None) -> None:
    _history(user, "mfa_reset", {"second_factor": (None, None)}, actor, approval, db)
    mfa.reset_second_factor(db, user.id)
    n = auth.revoke_all(db, user.id)
    db.flush()
    audit.record(db, "user.mfa_reset", who=actor, object_type="user", object_id=user.id, sessions=n,
                 approval_id=approval.id if approval else None)


def revoke_sessions(db: Session, actor: Actor, user_id: int) -> int:
    user = get_user(db, actor, user_id)
    n = auth.revoke_all(db, user.id)
    audit.record(db, "user.revoke_sessions", who=actor, object_type="user", object_id=user.id, sessions=n)
    return n
