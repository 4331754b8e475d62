from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class User(Base):
    """A member of staff. `username_key` (case-folded) makes usernames case-insensitive."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    username_key: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(30))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    position: Mapped[str] = mapped_column(String(30), default="staff")
    locked: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The admin who last set this user's password (a reset), and when; cleared only by
    #: a reset by someone else. Whoever set it knew it: they may not count as this
    #: user's second pair of eyes (services/approvals.py).
    credentials_set_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    credentials_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __mapper_args__ = {"version_id_col": version}


class UserSession(Base):
    """A login. Only the SHA-256 of the opaque token is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    password_change_required: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str | None] = mapped_column(String(100))


class LoginThrottle(Base):
    """Failed-login counters, one row per account (`user:<case-folded name>`, known or
    not, so an unknown name is throttled exactly like a real one) or per source address
    (`addr:<ip>`). Counted atomically in the database (services/throttle.py), so
    concurrent guesses can neither lose updates nor slip past the limit."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    #: Start of the counting window (per address: failures within the window count).
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Per account: no attempt is admitted before this time.
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeviceToken(Base):
    """OWASP's "device cookie": proof that this user logged in successfully from this
    workstation before. A login carrying a valid one is exempt from the per-address
    throttle (a branch's staff share one NAT address), never from the account's own
    lock-out. Only the SHA-256 of the opaque token is stored."""

    __tablename__ = "device_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
