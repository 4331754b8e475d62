from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
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


class SecondFactor(Base):
    """A user's TOTP second factor (services/mfa.py). The secrets are sealed with the
    key file's field cipher, never stored in plain text. `secret` is the enrolled one;
    `pending_secret` one shown but not yet confirmed by a code (a first enrolment at
    login or `create-admin`, or a re-enrolment). `last_step` is the last accepted TOTP
    time step, only ever raised by one atomic UPDATE: a code (or an older one) works once."""

    __tablename__ = "second_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str | None] = mapped_column(String(200))
    enrolled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pending_secret: Mapped[str | None] = mapped_column(String(200))
    pending_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)


class RecoveryCode(Base):
    """One of a user's one-time recovery codes: only the SHA-256 of the normalised code
    (80 random bits) is stored; `used_at` is set by one atomic UPDATE, so it works once."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MfaChallenge(Base):
    """The second step of a login: a short-lived, single-use `mfa_token` (only its
    SHA-256 stored) issued after a right password, accepted only by `POST /auth/totp`
    (never a session token). It carries what the session needs from the password step
    (source, device) and, for a first enrolment, a fingerprint of the pending secret it
    confirms. Spent by its success or by too many wrong codes."""

    __tablename__ = "mfa_challenge"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(default=0)
    spent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Enrolment: SHA-256 of the sealed pending secret shown with this token.
    secret_ref: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(100))
    #: The login's known device (its token hash, and the token sealed to give it back).
    device_hash: Mapped[str | None] = mapped_column(String(64))
    device_token: Mapped[str | None] = mapped_column(String(400))
