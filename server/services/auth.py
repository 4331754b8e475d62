"""Logins, sessions, throttling and lock-out (R-101, R-1202).

An unknown username and a wrong password get the same answer and cost the same
argon2 verification; failures are counted per username (known or not) and per
source address.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.context import Principal
from server.errors import Problem, unauthorized, validation_failed
from server.models import LoginThrottle, User, UserSession
from server.models.base import utcnow
from server.security import hash_password, new_token, token_hash, verify_password
from server.services import audit
from server.settings import Settings
from shared import errors as codes
from shared.enums import Role
from shared.passwords import password_errors

#: How often `last_seen_at` is written for an active session (idle expiry granularity).
_TOUCH_EVERY = timedelta(seconds=30)


class AddressThrottle:
    """Failed logins per source address in a sliding window (per server process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, source: str, limit: int, window: float) -> bool:
        with self._lock:
            q = self._failures.get(source)
            if not q:
                return False
            cutoff = time.monotonic() - window
            while q and q[0] < cutoff:
                q.popleft()
            return len(q) >= limit

    def fail(self, source: str) -> None:
        with self._lock:
            self._failures.setdefault(source, deque()).append(time.monotonic())


def _invalid() -> Problem:
    return unauthorized(codes.AUTH_INVALID_CREDENTIALS, "Wrong username or password, or the account is locked")


def _throttled(retry_after: float) -> Problem:
    seconds = max(1, int(retry_after + 0.999))
    return Problem(429, codes.AUTH_THROTTLED, "Too many failed logins",
                   f"Wait {seconds} s before trying again", headers={"Retry-After": str(seconds)},
                   retry_after=seconds)


def login(db: Session, settings: Settings, throttle: AddressThrottle, username: str, password: str,
          source: str | None) -> tuple[str, UserSession, User]:
    key = username.strip().casefold()[:200]
    src = source or "unknown"
    if throttle.blocked(src, settings.login_address_limit, settings.login_address_window_seconds):
        audit.record(db, "auth.login", actor_name=key, outcome="throttled", source=source)
        db.commit()
        raise _throttled(settings.login_address_window_seconds)
    counter = db.get(LoginThrottle, key)
    now = utcnow()
    if counter and counter.failures >= settings.login_throttle_after:
        wait = min(300.0, settings.login_throttle_seconds * 2 ** (counter.failures - settings.login_throttle_after))
        elapsed = (now - counter.last_failure_at).total_seconds()
        if elapsed < wait:
            audit.record(db, "auth.login", actor_name=key, outcome="throttled", source=source)
            db.commit()
            raise _throttled(wait - elapsed)
    user = db.scalar(select(User).where(User.username_key == key))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.locked or user.disabled:
        throttle.fail(src)
        if counter is None:
            counter = LoginThrottle(username_key=key, failures=0)
            db.add(counter)
        counter.failures += 1
        counter.last_failure_at = now
        reason = "locked" if user is not None and user.locked else "disabled" if user is not None and user.disabled \
            else "unknown_user" if user is None else "wrong_password"
        audit.record(db, "auth.login", actor_name=key, object_type="user", object_id=user.id if user else None,
                     outcome="failure", source=source, reason=reason)
        if user is not None and not user.locked and counter.failures >= settings.login_lock_after:
            user.locked = True
            audit.record(db, "user.lock", actor_name="system", object_type="user", object_id=user.id,
                         source=source, reason="too_many_failed_logins")
        db.commit()
        raise _invalid()
    if counter is not None:
        db.delete(counter)
    token, session = _open_session(db, settings, user, source)
    audit.record(db, "auth.login", actor_name=user.username, object_type="user", object_id=user.id, source=source)
    db.commit()
    return token, session, user


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
    """The principal behind a bearer token, or None (expired, revoked, locked, unknown)."""
    row = db.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    session, user = row
    now = utcnow()
    if session.revoked_at is not None or user.locked or user.disabled or now >= session_expiry(settings, session):
        return None
    if now - session.last_seen_at >= _TOUCH_EVERY:
        session.last_seen_at = now
        db.commit()
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                     role=Role(user.role), org_id=user.org_id, session_id=session.id,
                     expires_at=session_expiry(settings, session),
                     password_change_required=session.password_change_required)


def logout(db: Session, principal: Principal) -> None:
    db.execute(update(UserSession).where(UserSession.id == principal.session_id).values(revoked_at=utcnow()))
    audit.record(db, "auth.logout", who=principal, object_type="user", object_id=principal.user_id)
    db.commit()


def revoke_all(db: Session, user_id: int) -> int:
    """End every open session of a user (no commit: part of the caller's unit of work)."""
    res = db.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                     .values(revoked_at=utcnow()))
    return res.rowcount or 0


def change_password(db: Session, settings: Settings, principal: Principal, old: str, new: str,
                    source: str | None) -> tuple[str, UserSession, User]:
    user = db.get(User, principal.user_id)
    assert user is not None
    if not verify_password(user.password_hash, old):
        audit.record(db, "auth.password_change", who=principal, object_type="user", object_id=user.id,
                     outcome="failure", source=source, reason="wrong_old_password")
        db.commit()
        raise Problem(403, codes.AUTH_WRONG_PASSWORD, "Wrong password", "The current password is wrong")
    errs = password_errors(new, user.username, field="new_password")
    if not errs and verify_password(user.password_hash, new):
        from shared.errors import FieldError
        errs = [FieldError("new_password", "password.unchanged", "Choose a password different from the current one")]
    if errs:
        raise validation_failed(errs)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    revoke_all(db, user.id)
    token, session = _open_session(db, settings, user, source)
    audit.record(db, "auth.password_change", who=principal, object_type="user", object_id=user.id, source=source)
    db.commit()
    return token, session, user
