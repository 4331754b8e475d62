"""Logins, sessions, throttling and lock-out (R-101, R-1202).

An unknown username and a wrong password get the same answer and cost the same
argon2 verification; failures are counted atomically per username (known or not) and
per source address (services/throttle.py). A successful login also returns a device
token that exempts the user's later logins from this workstation from the per-address
throttle (CONTRACT.md, HTTP).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server.context import Actor, Principal
from server.db import affected
from server.errors import Problem, conflict, unauthorized, validation_failed
from server.executor import Executor, constant
from server.models import DeviceToken, Org, OrgTree, User, UserSession
from server.models.base import columns_for, utcnow
from server.security import hash_password, needs_rehash, new_token, token_hash, verify_password
from server.services import audit, mfa, throttle
from server.settings import Settings
from shared import errors as codes
from shared.enums import Role
from shared.errors import FieldError
from shared.passwords import password_errors
from shared.permissions import allowed_actions
from shared.schemas import Me, OrgRead, UserRead

#: How often `last_seen_at` is written for an active session (idle expiry granularity).
_TOUCH_EVERY = timedelta(seconds=60)


def _invalid() -> Problem:
    return unauthorized(codes.AUTH_INVALID_CREDENTIALS, "Wrong username or password, or the account is locked")


def _throttled(retry_after: float) -> Problem:
    seconds = max(1, int(retry_after + 0.999))
    return Problem(429, codes.AUTH_THROTTLED, "Too many failed logins",
                   f"Wait {seconds} s before trying again", headers={"Retry-After": str(seconds)},
                   retry_after=seconds)


def _lock_after_failures(db: Session, settings: Settings, user: User | None, failures: int,
                         source: str | None) -> None:
    """The `login_lock_after`-th consecutive failure locks the account and ends its
    sessions (audited once, even when concurrent failures reach the limit together)."""
    if user is None or failures < settings.login_lock_after:
        return
    res = db.execute(update(User).where(User.id == user.id, User.locked.is_(False)).values(locked=True)
                     .execution_options(synchronize_session=False))
    if affected(res):
        revoke_all(db, user.id)
        audit.record(db, "user.lock", actor_name="system", object_type="user", object_id=user.id,
                     source=source, reason="too_many_failed_logins")


@dataclass(frozen=True)
class LoginAttempt:
    """What the first, short transaction of a login learnt: the attempt has been counted
    (committed) and may go on to the password check, which runs without a connection."""

    key: str
    source: str | None
    now: datetime
    user_id: int | None
    password_hash: str | None
    device_hash: str | None
    failures: int
    #: The caller's device token when it is a known device of this user (given back as is).
    device_token: str | None = None


def begin_login(db: Session, settings: Settings, username: str, source: str | None,
                device_token: str | None = None) -> LoginAttempt:
    """Count the attempt (per account; per address unless a known device) and commit it:
    the count must be durable before the password is checked, and a failure must
    outlive the rejected request. 429 while throttled."""
    key = username.strip().casefold()[:200]
    src = source or "unknown"
    now = utcnow()
    user = db.scalar(select(User).where(User.username_key == key))
    device = _device(db, settings, user, device_token, now)
    wait = throttle.address_blocked(db, settings, src, now) if device is None else None
    if wait is not None:
        audit.record(db, "auth.login", actor_name=key, outcome="throttled", source=source, reason="address")
        db.commit()
        raise _throttled(wait)
    account = throttle.account_key(key)
    failures = throttle.admit_account(db, settings, account, now)
    if failures is None:
        audit.record(db, "auth.login", actor_name=key, outcome="throttled", source=source, reason="account")
        db.commit()
        raise _throttled(throttle.retry_after(db, account, now))
    db.commit()
    return LoginAttempt(key, source, now, user.id if user else None, user.password_hash if user else None,
                        device.token_hash if device else None, failures, device_token if device else None)


def check_password(attempt: LoginAttempt, password: str) -> tuple[bool, str | None]:
    """(right password, a new hash at today's parameters if the stored one is weaker):
    the slow part of a login, run with no connection held."""
    ok = verify_password(attempt.password_hash, password)
    if ok and attempt.password_hash is not None and needs_rehash(attempt.password_hash):
        return ok, hash_password(password)
    return ok, None


def finish_login(db: Session, settings: Settings, attempt: LoginAttempt, ok: bool,
                 new_hash: str | None = None) -> tuple[str, UserSession, User, str] | mfa.Challenge:
    """(session token, session, user, device token) after a right password; or, where the
    user's role needs a second factor (`CRM_MFA_ROLES`), no session but the challenge for
    `second_factor`. Otherwise the failure is counted, committed, and 401. A success is
    the caller's to commit."""
    user = db.get(User, attempt.user_id) if attempt.user_id is not None else None
    device = db.get(DeviceToken, attempt.device_hash) if attempt.device_hash else None
    source, now = attempt.source, attempt.now
    account = throttle.account_key(attempt.key)
    if not ok or user is None or user.locked or user.disabled:
        if device is None:
            throttle.count_address_failure(db, settings, source or "unknown", now)
        reason = "locked" if user is not None and user.locked else "disabled" if user is not None and user.disabled \
            else "unknown_user" if user is None else "wrong_password"
        audit.record(db, "auth.login", actor_name=attempt.key, object_type="user",
                     object_id=user.id if user else None, outcome="failure", source=source, reason=reason)
        _lock_after_failures(db, settings, user, attempt.failures, source)
        db.commit()
        raise _invalid()
    if new_hash is not None and user.password_hash == attempt.password_hash:
        user.password_hash = new_hash  # the same password, at today's argon2 cost
    if mfa.required(settings, user):
        # no session yet; the account's failures are reset only by the second factor
        throttle.forgive_attempt(db, settings, account, now)
        challenge = mfa.issue_challenge(db, user, source, device.token_hash if device else None,
                                        attempt.device_token if device else None)
        audit.record(db, "auth.login", actor_name=user.username, object_type="user", object_id=user.id,
                     outcome="second_factor", source=source,
                     second_factor="enrolment" if challenge.enrolment else "totp")
        return challenge
    throttle.reset_account(db, account)
    return _open_login(db, settings, user, source, now, device, attempt.device_token)


def _open_login(db: Session, settings: Settings, user: User, source: str | None, now: datetime,
                device: DeviceToken | None, device_token: str | None,
                **detail: Any) -> tuple[str, UserSession, User, str]:
    """The session and device token of a login whose every factor is right (audited)."""
    token, session = _open_session(db, settings, user, source)
    if device is None:
        device_token = new_token()
        db.add(DeviceToken(token_hash=token_hash(device_token), user_id=user.id, created_at=now, last_used_at=now))
    else:
        device.last_used_at = now
        device_token = device_token or ""
    audit.record(db, "auth.login", actor_name=user.username, object_type="user", object_id=user.id, source=source,
                 device="known" if device is not None else "new", **detail)
    return token, session, user, device_token


def login(db: Session, settings: Settings, username: str, password: str, source: str | None,
          device_token: str | None = None) -> tuple[str, UserSession, User, str] | mfa.Challenge:
    """A whole login on one session (CLI, tests, the demo); the API route runs the same
    three steps with the password check between two database slots."""
    attempt = begin_login(db, settings, username, source, device_token)
    ok, new_hash = check_password(attempt, password)
    return finish_login(db, settings, attempt, ok, new_hash)


def _mfa_token_invalid() -> Problem:
    return unauthorized(codes.AUTH_MFA_TOKEN_INVALID, "The login has expired or was already used: log in again")


def second_factor(db: Session, settings: Settings, mfa_token: str, code: str,
                  source: str | None) -> tuple[str, UserSession, User, str, list[str] | None]:
    """`POST /auth/totp`: the code (or a recovery code) for a live `mfa_token` opens the
    session exactly as a login without a second factor does (plus the recovery codes
    when it completed a first enrolment). Wrong codes count against the account like
    wrong passwords (throttle, lock-out) and against the token (`mfa.MAX_CODE_FAILURES`).
    A success is the caller's to commit; a refusal commits what it counted."""
    now = utcnow()
    challenge = mfa.open_challenge(db, mfa_token, now)
    if challenge is None:
        audit.refusal(db, "auth.totp", outcome="failure", source=source, reason="invalid_token")
        raise _mfa_token_invalid()
    user = db.get(User, challenge.user_id)
    assert user is not None  # the challenge goes with its user (ON DELETE CASCADE)
    if user.locked or user.disabled:
        mfa.spend(db, challenge, now)
        audit.record(db, "auth.totp", actor_name=user.username, object_type="user", object_id=user.id,
                     outcome="failure", source=source, reason="locked" if user.locked else "disabled")
        db.commit()
        raise _mfa_token_invalid()
    account = throttle.account_key(user.username_key)
    failures = throttle.admit_account(db, settings, account, now)
    if failures is None:
        audit.record(db, "auth.totp", actor_name=user.username, object_type="user", object_id=user.id,
                     outcome="throttled", source=source)
        db.commit()
        raise _throttled(throttle.retry_after(db, account, now))
    redeemed = mfa.redeem(db, challenge, code, now)
    if redeemed is None:
        left = mfa.count_wrong_code(db, challenge)
        audit.record(db, "auth.totp", actor_name=user.username, object_type="user", object_id=user.id,
                     outcome="failure", source=source, reason="wrong_code", tries_left=left)
        _lock_after_failures(db, settings, user, failures, source)
        db.commit()
        raise unauthorized(codes.AUTH_MFA_CODE_INVALID, "Wrong code" if left else "Wrong code: log in again")
    if not mfa.spend(db, challenge, now):  # the same token completed concurrently: this one rolls back
        raise _mfa_token_invalid()
    throttle.reset_account(db, account)
    audit.record(db, "auth.totp", actor_name=user.username, object_type="user", object_id=user.id, source=source,
                 method=redeemed.method)
    if redeemed.method == "recovery_code":
        audit.record(db, "auth.recovery_code_used", actor_name=user.username, object_type="user",
                     object_id=user.id, source=source, left=mfa.recovery_codes_left(db, user.id))
    if redeemed.recovery_codes is not None:
        audit.record(db, "auth.mfa_enrolled", actor_name=user.username, object_type="user", object_id=user.id,
                     source=source, via="login")
    device = db.get(DeviceToken, challenge.device_hash) if challenge.device_hash else None
    token, session, user, device_token = _open_login(
        db, settings, user, challenge.source, now, device, mfa.device_token_of(db, challenge) if device else None,
        second_factor=redeemed.method)
    return token, session, user, device_token, redeemed.recovery_codes


def _device(db: Session, settings: Settings, user: User | None, token: str | None,
            now: datetime) -> DeviceToken | None:
    """The user's own device token, if `token` is one and has been used recently enough."""
    if user is None or not token or not 20 <= len(token) <= 200:
        return None
    device = db.get(DeviceToken, token_hash(token))
    if device is None or device.user_id != user.id or \
            now - device.last_used_at > timedelta(days=settings.device_token_days):
        return None
    return device


def _open_session(db: Session, settings: Settings, user: User, source: str | None) -> tuple[str, UserSession]:
    token = new_token()
    now = utcnow()
    session = UserSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(hours=settings.token_absolute_hours),
                          password_change_required=user.must_change_password, source=(source or "")[:100])
    db.add(session)
    db.flush()
    return token, session


def session_expiry(settings: Settings, session: UserSession) -> datetime:
    """When the session ends if unused: the earlier of idle and absolute expiry."""
    return min(session.expires_at, session.last_seen_at + timedelta(minutes=settings.token_idle_minutes))


def authenticate(db: Session, settings: Settings, token: str) -> Principal | None:
    """The principal behind a bearer token, or None (expired, revoked, locked, unknown).
    One indexed statement, on every request, so that a revocation, a lock or a role
    change takes effect at the caller's next request, in every server process; it also
    reads the org tree's version, which keys the process's cache of org subtrees
    (server/access.py). `last_seen_at` is written at most once per `_TOUCH_EVERY`."""
    row = db.execute(_SESSION_CHECK, {"token_hash": token_hash(token)}).first()
    principal, touch = _principal(row, settings)
    if touch is not None:
        db.execute(_TOUCH, touch)
    return principal


async def authenticate_async(x: Executor, settings: Settings, token: str) -> Principal | None:
    """`authenticate` for the hot reads' executor (server/executor.py): the same statement."""
    row = await x.first(_SESSION_CHECK, {"token_hash": token_hash(token)})
    principal, touch = _principal(row, settings)
    if touch is not None:
        await x.run(_TOUCH, touch)
    return principal


def _principal(row: Any, settings: Settings) -> tuple[Principal | None, dict[str, Any] | None]:
    """The session check's row judged: the principal (or None) and, when the session's
    last-seen time is due, the values for `_TOUCH` that move it."""
    if row is None:
        return None, None
    now = utcnow()
    expires = min(row.expires_at, row.last_seen_at + timedelta(minutes=settings.token_idle_minutes))
    if row.revoked_at is not None or row.locked or row.disabled or now >= expires:
        return None, None
    touch = None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        touch = {"session_id": row.session_id, "stale": now - _TOUCH_EVERY, "touched_at": now}
        expires = min(row.expires_at, now + timedelta(minutes=settings.token_idle_minutes))
    return Principal(user_id=row.user_id, username=row.username, display_name=row.display_name,
                     role=Role(row.role), org_id=row.org_id, session_id=row.session_id, expires_at=expires,
                     password_change_required=row.password_change_required,
                     org_tree=None if row.org_tree is None else int(row.org_tree)), touch


#: A session's last-seen time moved (unless a concurrent request has just moved it).
_TOUCH = constant(update(UserSession).where(UserSession.id == bindparam("session_id"),
                                            UserSession.last_seen_at < bindparam("stale"))
                  .values(last_seen_at=bindparam("touched_at")).execution_options(synchronize_session=False))


#: The org tree's version (`org_tree`, kept by triggers on `org`) changes with every
#: committed change of the tree, whichever order concurrent ones commit in.
_SESSION_CHECK = constant(
    select(UserSession.id.label("session_id"), UserSession.user_id, UserSession.expires_at,
           UserSession.last_seen_at, UserSession.revoked_at, UserSession.password_change_required,
           User.username, User.display_name, User.role, User.org_id, User.locked, User.disabled,
           select(OrgTree.version).where(OrgTree.id == 1).scalar_subquery().label("org_tree"))
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


_ME_USER = constant(select(*columns_for(User, UserRead)).where(User.id == bindparam("user_id")))
_ME_ORG = constant(select(*columns_for(Org, OrgRead)).where(Org.id == bindparam("org_id")))


async def me(x: Executor, actor: Actor) -> Me:
    """Who the caller is, where, what they may do and until when (the client's start)."""
    user = await x.first(_ME_USER, {"user_id": actor.user_id})
    org = await x.first(_ME_ORG, {"org_id": actor.org_id})
    return Me(user=UserRead.model_validate(user), org=OrgRead.model_validate(org),
              permissions=allowed_actions(actor.role), expires_at=actor.principal.expires_at,
              password_change_required=actor.principal.password_change_required)


def logout(db: Session, principal: Principal) -> None:
    db.execute(update(UserSession).where(UserSession.id == principal.session_id).values(revoked_at=utcnow()))
    audit.record(db, "auth.logout", who=principal, object_type="user", object_id=principal.user_id)


def revoke_all(db: Session, user_id: int) -> int:
    """End every open session of a user (part of the caller's unit of work)."""
    res = db.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                     .values(revoked_at=utcnow()))
    return affected(res)


def _reauthenticate(db: Session, settings: Settings, principal: Principal, user: User, password: str,
                    code: str | None, action: str, source: str | None, *, password_field: str,
                    need_code: bool, policy: Callable[[], list[FieldError]] | None = None) -> None:
    """Before a change to one's own credentials: the password and, where enrolled
    (`need_code`), the second factor, under the same throttle and lock-out as a login —
    a stolen session must become neither an unlimited password oracle nor a code one.
    `policy` (the new password's rules) is checked once the password is known right and
    before a code is spent on it. Refusals are audited as `action` and committed."""
    if need_code and not code:
        raise validation_failed([FieldError("code", codes.FIELD_REQUIRED,
                                            "Enter the code of your authenticator app (or a recovery code)")])
    now = utcnow()
    account = throttle.account_key(user.username_key)
    failures = throttle.admit_account(db, settings, account, now)
    if failures is None:
        audit.record(db, action, who=principal, object_type="user", object_id=user.id, outcome="throttled",
                     source=source)
        db.commit()
        raise _throttled(throttle.retry_after(db, account, now))
    if not verify_password(user.password_hash, password):
        audit.record(db, action, who=principal, object_type="user", object_id=user.id, outcome="failure",
                     source=source, reason=f"wrong_{password_field}")
        _lock_after_failures(db, settings, user, failures, source)
        db.commit()
        raise Problem(403, codes.AUTH_WRONG_PASSWORD, "Wrong password", "The current password is wrong")
    errs = policy() if policy is not None else []
    if errs or not need_code:
        # the right password: not a failure, whatever the rest is worth
        if need_code:
            throttle.forgive_attempt(db, settings, account, now)
        else:
            throttle.reset_account(db, account)
        db.commit()
        if errs:
            raise validation_failed(errs)
        return
    method = mfa.verify(db, user.id, code or "", now)
    if method is None:
        audit.record(db, action, who=principal, object_type="user", object_id=user.id, outcome="failure",
                     source=source, reason="wrong_code")
        _lock_after_failures(db, settings, user, failures, source)
        db.commit()
        raise Problem(403, codes.AUTH_MFA_CODE_INVALID, "Wrong code", "The second-factor code is wrong")
    if method == "recovery_code":
        audit.record(db, "auth.recovery_code_used", who=principal, object_type="user", object_id=user.id,
                     source=source, left=mfa.recovery_codes_left(db, user.id))
    throttle.reset_account(db, account)
    db.commit()  # the code is spent with the re-authentication it made


def change_password(db: Session, settings: Settings, principal: Principal, old: str, new: str,
                    source: str | None, code: str | None = None) -> tuple[str, UserSession, User]:
    """The old password (and, where enrolled, the second factor) is checked under the
    same throttle and lock-out as a login. A session that must change its password was
    opened by a login with every factor a moment ago and reaches nothing else: it needs
    the old password only."""
    user = db.get(User, principal.user_id)
    assert user is not None

    def policy() -> list[FieldError]:
        errs = password_errors(new, user.username, field="new_password")
        if not errs and verify_password(user.password_hash, new):
            errs = [FieldError("new_password", "password.unchanged",
                               "Choose a password different from the current one")]
        return errs

    need_code = not principal.password_change_required and mfa.enrolled(db, user.id)
    _reauthenticate(db, settings, principal, user, old, code, "auth.password_change", source,
                    password_field="old_password", need_code=need_code, policy=policy)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    revoke_all(db, user.id)
    token, session = _open_session(db, settings, user, source)
    audit.record(db, "auth.password_change", who=principal, object_type="user", object_id=user.id, source=source)
    return token, session, user


def start_reenrolment(db: Session, settings: Settings, principal: Principal, password: str, code: str | None,
                      source: str | None) -> tuple[str, str]:
    """`POST /auth/totp/enrolment`: after re-authentication, a new pending secret
    (otpauth URI, secret); the enrolled one stays in force until it is confirmed."""
    user = db.get(User, principal.user_id)
    assert user is not None
    _reauthenticate(db, settings, principal, user, password, code, "auth.mfa_enrolment_started", source,
                    password_field="password", need_code=mfa.enrolled(db, user.id))
    secret = mfa.begin_reenrolment(db, user)
    audit.record(db, "auth.mfa_enrolment_started", who=principal, object_type="user", object_id=user.id,
                 source=source)
    return mfa.otpauth_uri(secret, user.username), secret


def confirm_reenrolment(db: Session, principal: Principal, code: str, source: str | None) -> list[str]:
    """`POST /auth/totp/enrolment/confirm`: a code of the pending secret makes it the
    one in force, with new recovery codes (the old secret and codes stop working)."""
    try:
        recovery = mfa.confirm_reenrolment(db, principal.user_id, code)
    except LookupError:
        raise conflict(codes.AUTH_MFA_NOT_PENDING, "Start an enrolment first") from None
    if recovery is None:
        audit.refusal(db, "auth.mfa_enrolled", who=principal, object_type="user", object_id=principal.user_id,
                      outcome="failure", source=source, reason="wrong_code")
        raise Problem(403, codes.AUTH_MFA_CODE_INVALID, "Wrong code", "The code does not match the new secret")
    audit.record(db, "auth.mfa_enrolled", who=principal, object_type="user", object_id=principal.user_id,
                 source=source, via="reenrolment")
    return recovery
