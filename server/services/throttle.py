"""Counting failed logins atomically in the database (TRAPS.md: `row.failures += 1` in
Python loses updates under concurrency, and the first insert races on the key).

Two kinds of counter share the `login_throttle` table:

* **per account** (`user:<name>`): an attempt is *admitted* by one
  `INSERT … ON CONFLICT DO UPDATE … WHERE blocked_until <= now RETURNING failures`,
  committed before the password is checked. It counts the attempt as a failure up
  front and sets the waiting period that follows it, so concurrent guesses serialise
  on the row: after `login_throttle_after` failures, at most one guess per waiting
  period gets through, however many arrive at once. A correct password deletes the
  row (`reset_account`). Password changes use the same counter: the old password is
  the same secret.
* **per source address** (`addr:<ip>`): failures within a fixed window, counted with
  one atomic upsert after a failure (`count_address_failure`) and checked before the
  next attempt. Successful logins never count. A login carrying a valid device token
  skips this counter altogether (CONTRACT.md: a branch's staff share one address).

Both statements are plain SQL that SQLite (≥ 3.35) and PostgreSQL execute alike.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import LoginThrottle
from server.models.base import UtcDateTime
from server.settings import Settings

#: The longest wait between two attempts on one account.
MAX_WAIT_SECONDS = 300.0
_T = LoginThrottle


def account_key(username_key: str) -> str:
    return f"user:{username_key}"


def address_key(source: str) -> str:
    return f"addr:{source}"


def _insert(db: Session) -> Any:
    """INSERT with ON CONFLICT for the session's dialect."""
    return (postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert)(_T)


def _wait(settings: Settings, failures: int) -> float | None:
    """Seconds the account must wait after its `failures`-th consecutive failure."""
    if failures < settings.login_throttle_after:
        return None
    return float(min(MAX_WAIT_SECONDS,
                     settings.login_throttle_seconds * 2.0 ** (failures - settings.login_throttle_after)))


def _blocked_until(settings: Settings, now: datetime, failures: Any) -> Any:
    """SQL for `now + wait(failures)`: a CASE over the (few) counts before the cap, with
    the timestamps computed here, so the statement needs no date arithmetic in SQL."""
    whens = []
    n = settings.login_throttle_after
    while True:
        wait = _wait(settings, n)
        assert wait is not None
        whens.append((failures == n, literal(now + timedelta(seconds=wait), UtcDateTime())))
        if wait >= MAX_WAIT_SECONDS or len(whens) >= 40:
            break
        n += 1
    capped = literal(now + timedelta(seconds=_wait(settings, n) or 0.0), UtcDateTime())
    return case((failures < settings.login_throttle_after, literal(None, UtcDateTime())), *whens, else_=capped)


def admit_account(db: Session, settings: Settings, key: str, now: datetime) -> int | None:
    """Count this attempt on the account, unless the account is still waiting.

    Returns the number of consecutive failures including this attempt, or None when
    the attempt is refused (then nothing changed). Commits: the count must be durable,
    and visible to concurrent attempts, before the password is checked."""
    stmt = _insert(db).values(key=key, failures=1, window_started_at=now, last_failure_at=now,
                              blocked_until=_blocked_until(settings, now, literal(1)))
    stmt = stmt.on_conflict_do_update(
        index_elements=[_T.key],
        set_={"failures": _T.failures + 1, "last_failure_at": now,
              "blocked_until": _blocked_until(settings, now, _T.failures + 1)},
        where=or_(_T.blocked_until.is_(None), _T.blocked_until <= now),
    ).returning(_T.failures)
    failures = db.execute(stmt).scalar()
    db.commit()
    return failures


def retry_after(db: Session, key: str, now: datetime) -> float:
    """Seconds until the account admits an attempt again."""
    until = db.scalar(select(_T.blocked_until).where(_T.key == key))
    return max(1.0, (until - now).total_seconds()) if until else 1.0


def reset_account(db: Session, key: str) -> None:
    """A correct password: the account's consecutive failures start again from zero."""
    db.execute(delete(_T).where(_T.key == key))


def forgive_attempt(db: Session, settings: Settings, key: str, now: datetime) -> None:
    """A correct password where a second factor must follow: the attempt admitted up
    front is not a failure, but the failures before it stay counted (and the wait they
    set), so that wrong codes, login after login, still reach the lock-out. Only a
    completed second factor resets the account (`reset_account`)."""
    left = _T.failures - 1
    db.execute(update(_T).where(_T.key == key, _T.failures > 0)
               .values(failures=left, blocked_until=_blocked_until(settings, now, left))
               .execution_options(synchronize_session=False))


def address_blocked(db: Session, settings: Settings, source: str, now: datetime) -> float | None:
    """Seconds until `source` may try again, or None when it is not blocked."""
    window = timedelta(seconds=settings.login_address_window_seconds)
    row = db.execute(select(_T.failures, _T.window_started_at).where(
        _T.key == address_key(source), _T.window_started_at > now - window)).first()
    if row is None or row.failures < settings.login_address_limit:
        return None
    remaining: float = (row.window_started_at + window - now).total_seconds()
    return max(1.0, remaining)


def count_address_failure(db: Session, settings: Settings, source: str, now: datetime) -> None:
    """One more failure from `source`; a window that has run out starts afresh."""
    expired = _T.window_started_at <= now - timedelta(seconds=settings.login_address_window_seconds)
    stmt = _insert(db).values(key=address_key(source), failures=1, window_started_at=now, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_T.key],
        set_={"failures": case((expired, 1), else_=_T.failures + 1),
              "window_started_at": case((expired, literal(now, UtcDateTime())), else_=_T.window_started_at),
              "last_failure_at": now},
    )
    db.execute(stmt)
