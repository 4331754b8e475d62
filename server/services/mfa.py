"""The second factor: TOTP (RFC 6238) and one-time recovery codes (CONTRACT.md, HTTP:
Login; `CRM_MFA_ROLES`).

* TOTP as every authenticator app takes it: SHA-1, 6 digits, 30-second steps, a
  160-bit secret, issuer "Branch CRM", the username as the account. The secret is
  sealed with the key file's field cipher (`user.totp_secret`), never stored in plain
  text. A code is accepted one step either side of the server's clock, but never for a
  step at or before the last one accepted: one atomic
  `UPDATE second_factor SET last_step = :step WHERE last_step < :step` decides, so the
  same code (or an older one) works once, even sent twice at the same moment.
* Recovery codes: ten per enrolment, 120 random bits each (`ABCD-EFGH-JKLM-NPQR-STUV-WXYZ`), stored
  as the SHA-256 of the normalised code (enough for codes this random), each spent by
  one atomic UPDATE. They stand in for a code at login and in re-authentication.
* `mfa_token`: the second step of a login, random, stored only as its SHA-256, for
  `CHALLENGE_MINUTES`, single-use, spent after `MAX_CODE_FAILURES` wrong codes. A
  first enrolment's token is bound to the pending secret it was shown with. It is no
  session token: only `POST /auth/totp` looks it up.

Nothing here writes a secret, a code or a token to the log or the audit trail. The
login and re-authentication flows that use this (throttling, lock-out, sessions) are in
services/auth.py.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server import crypto
from server.db import affected
from server.models import MfaChallenge, RecoveryCode, SecondFactor, User
from server.models.base import utcnow
from server.security import new_token, token_hash
from server.settings import Settings

ISSUER = "Branch CRM"
DIGITS = 6
PERIOD = 30
#: Steps of clock drift accepted either side of the server's.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
#: 24 base32 characters: 120 bits, above ASVS 5.0 6.5.2's 112 below which a lookup secret
#: would need a salted password hash (a plain SHA-256 is enough above it).
_RECOVERY_GROUPS, _RECOVERY_GROUP = 6, 4
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CHALLENGE_MINUTES = 5
MAX_CODE_FAILURES = 5
#: Associated data of the sealed values (a value cannot be moved to another field).
SECRET_FIELD = "user.totp_secret"
DEVICE_FIELD = "mfa_challenge.device_token"

Method = Literal["totp", "recovery_code"]


def required(settings: Settings, user: User) -> bool:
    """Does this user's login need the second factor (`CRM_MFA_ROLES`)?"""
    return user.role in settings.mfa_role_set


def otpauth_uri(secret: str, username: str) -> str:
    """The `otpauth://totp/...` URI an authenticator app scans (or types in)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD, name=username, issuer=ISSUER).provisioning_uri()


def _step(now: datetime) -> int:
    return int(now.timestamp()) // PERIOD


def _factor(db: Session, user_id: int) -> SecondFactor | None:
    return db.get(SecondFactor, user_id, populate_existing=True)


def enrolled(db: Session, user_id: int) -> bool:
    factor = _factor(db, user_id)
    return factor is not None and factor.secret is not None


def _seal(db: Session, secret: str) -> str:
    return crypto.cipher_of(db).seal(secret, SECRET_FIELD)


def _open(db: Session, sealed: str) -> str:
    return crypto.cipher_of(db).open(sealed, SECRET_FIELD)


def _fingerprint(sealed: str) -> str:
    return hashlib.sha256(sealed.encode()).hexdigest()


def _set_pending(db: Session, user_id: int, now: datetime, *, replace: bool) -> None:
    """A new pending secret in one statement (INSERT … ON CONFLICT): unless `replace`,
    only where none is pending, so two first logins at once agree on one secret."""
    sealed = _seal(db, pyotp.random_base32())  # 32 characters: 160 bits (RFC 4226's recommendation)
    insert_ = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert_(SecondFactor).values(user_id=user_id, last_step=0, pending_secret=sealed, pending_at=now)
    db.execute(stmt.on_conflict_do_update(index_elements=[SecondFactor.user_id],
                                          set_={"pending_secret": sealed, "pending_at": now},
                                          where=None if replace else SecondFactor.pending_secret.is_(None)))


def _pending(db: Session, user_id: int) -> str:
    factor = _factor(db, user_id)
    assert factor is not None and factor.pending_secret is not None
    return _open(db, factor.pending_secret)


def ensure_pending(db: Session, user: User) -> str:
    """The secret of a first enrolment (a login, `create-admin`): the pending one if
    there is one, so the URI the operator was given is the one the first login shows;
    else a new one. The caller's to commit."""
    factor = _factor(db, user.id)
    if factor is None or factor.pending_secret is None:
        _set_pending(db, user.id, utcnow(), replace=False)
    return _pending(db, user.id)


def begin_reenrolment(db: Session, user: User) -> str:
    """A new pending secret for `confirm_reenrolment`, replacing any pending one (and so
    the first-enrolment login tokens bound to it); the enrolled secret stays in force
    until then."""
    _set_pending(db, user.id, utcnow(), replace=True)
    return _pending(db, user.id)


# ----------------------------------------------------------------------------- codes
def _normalise_totp(code: str) -> str | None:
    digits = "".join(code.split())
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def _normalise_recovery(code: str) -> str | None:
    plain = "".join(code.split()).replace("-", "").upper()
    ok = len(plain) == _RECOVERY_GROUPS * _RECOVERY_GROUP and all(c in _BASE32 for c in plain)
    return plain if ok else None


def _recovery_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step within the drift window whose code this is (the latest, should two match)."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = _step(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _accept_step(db: Session, user_id: int, step: int) -> bool:
    """Raise the last accepted step to `step` unless it is there already or beyond: the
    one statement that makes a code work once (concurrent requests serialise on the row,
    and the second finds the step taken)."""
    res = db.execute(update(SecondFactor).where(SecondFactor.user_id == user_id, SecondFactor.last_step < step)
                     .values(last_step=step).execution_options(synchronize_session=False))
    return affected(res) == 1


def _check_totp(db: Session, user_id: int, sealed: str | None, code: str, now: datetime) -> bool:
    digits = _normalise_totp(code)
    if sealed is None or digits is None:
        return False
    step = _matching_step(_open(db, sealed), digits, now)
    return step is not None and _accept_step(db, user_id, step)


def _use_recovery_code(db: Session, user_id: int, code: str, now: datetime) -> bool:
    plain = _normalise_recovery(code)
    if plain is None:
        return False
    res = db.execute(update(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                                RecoveryCode.code_hash == _recovery_hash(plain),
                                                RecoveryCode.used_at.is_(None))
                     .values(used_at=now).execution_options(synchronize_session=False))
    return affected(res) == 1


def verify(db: Session, user_id: int, code: str, now: datetime | None = None) -> Method | None:
    """An enrolled user's code: a TOTP code (its step then taken) or an unused recovery
    code (then spent); None when it is neither. Part of the caller's unit of work."""
    now = now or utcnow()
    factor = _factor(db, user_id)
    if factor is None or factor.secret is None:
        return None
    if _check_totp(db, user_id, factor.secret, code, now):
        return "totp"
    if _use_recovery_code(db, user_id, code, now):
        return "recovery_code"
    return None


def recovery_codes_left(db: Session, user_id: int) -> int:
    return len(db.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user_id,
                                                        RecoveryCode.used_at.is_(None))).all())


def _new_recovery_codes(db: Session, user_id: int, now: datetime) -> list[str]:
    """Ten fresh codes replacing every earlier one; only their hashes are kept."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    plain = ["".join(secrets.choice(_BASE32) for _ in range(_RECOVERY_GROUPS * _RECOVERY_GROUP))
             for _ in range(RECOVERY_CODE_COUNT)]
    db.execute(insert(RecoveryCode), [{"user_id": user_id, "code_hash": _recovery_hash(p), "created_at": now}
                                      for p in plain])
    return ["-".join(p[i:i + _RECOVERY_GROUP] for i in range(0, len(p), _RECOVERY_GROUP)) for p in plain]


def _promote(db: Session, factor: SecondFactor, now: datetime) -> list[str]:
    """The pending secret becomes the enrolled one, with new recovery codes (returned once)."""
    factor.secret, factor.enrolled_at = factor.pending_secret, now
    factor.pending_secret = factor.pending_at = None
    db.flush()  # other first-enrolment tokens are refused from now on (`redeem`)
    return _new_recovery_codes(db, factor.user_id, now)


def confirm_reenrolment(db: Session, user_id: int, code: str) -> list[str] | None:
    """A code of the pending secret replaces the enrolled one: the new recovery codes,
    or None for a wrong code. Raises LookupError when no enrolment is pending."""
    now = utcnow()
    factor = _factor(db, user_id)
    if factor is None or factor.pending_secret is None:
        raise LookupError("no enrolment pending")
    if not _check_totp(db, user_id, factor.pending_secret, code, now):
        return None
    return _promote(db, factor, now)


def reset_second_factor(db: Session, user_id: int) -> None:
    """Clear a user's enrolment (their secret, pending secret, recovery codes and open
    login tokens): their next login starts a first enrolment. The last accepted step is
    kept. For an administrator's reset once approved; the caller audits and commits."""
    db.execute(update(SecondFactor).where(SecondFactor.user_id == user_id)
               .values(secret=None, enrolled_at=None, pending_secret=None, pending_at=None)
               .execution_options(synchronize_session=False))
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.execute(delete(MfaChallenge).where(MfaChallenge.user_id == user_id))


# ----------------------------------------------------------------------------- the login's second step
@dataclass(frozen=True)
class Challenge:
    """What a right password gets where a second factor must follow."""

    token: str
    user_id: int
    #: A first enrolment: the URI of the pending secret to confirm.
    otpauth_uri: str | None = None

    @property
    def enrolment(self) -> bool:
        return self.otpauth_uri is not None


def issue_challenge(db: Session, user: User, source: str | None, device_hash: str | None,
                    device_token: str | None) -> Challenge:
    """An `mfa_token` for `user` after a right password (the caller's to commit)."""
    now = utcnow()
    db.execute(delete(MfaChallenge).where(MfaChallenge.user_id == user.id,
                                          or_(MfaChallenge.expires_at <= now, MfaChallenge.spent_at.is_not(None))))
    uri = ref = None
    if not enrolled(db, user.id):
        uri = otpauth_uri(ensure_pending(db, user), user.username)
        factor = _factor(db, user.id)
        assert factor is not None and factor.pending_secret is not None
        ref = _fingerprint(factor.pending_secret)
    token = new_token()
    sealed_device = crypto.cipher_of(db).seal(device_token, DEVICE_FIELD) if device_hash and device_token else None
    db.add(MfaChallenge(token_hash=token_hash(token), user_id=user.id, created_at=now,
                        expires_at=now + timedelta(minutes=CHALLENGE_MINUTES), failures=0, secret_ref=ref,
                        source=(source or "")[:100], device_hash=device_hash if sealed_device else None,
                        device_token=sealed_device))
    db.flush()
    return Challenge(token, user.id, uri)


def open_challenge(db: Session, token: str, now: datetime) -> MfaChallenge | None:
    """The live challenge behind an `mfa_token`: known, not expired, not spent."""
    if not 20 <= len(token) <= 200:
        return None
    ch = db.get(MfaChallenge, token_hash(token), populate_existing=True)
    if ch is None or ch.spent_at is not None or ch.failures >= MAX_CODE_FAILURES or now >= ch.expires_at:
        return None
    return ch


@dataclass(frozen=True)
class Redeemed:
    method: Method
    #: When the code completed a first enrolment: the new recovery codes (shown once).
    recovery_codes: list[str] | None = None


def redeem(db: Session, challenge: MfaChallenge, code: str, now: datetime) -> Redeemed | None:
    """The code sent with a live challenge: a TOTP code of the enrolled secret or an
    unused recovery code; for a first enrolment, only a code of the pending secret the
    token was issued with (then enrolled). None when wrong (nothing changed)."""
    factor = _factor(db, challenge.user_id)
    if factor is None:
        return None
    if challenge.secret_ref is not None:  # a first enrolment
        if factor.secret is not None or factor.pending_secret is None \
                or not hmac.compare_digest(_fingerprint(factor.pending_secret), challenge.secret_ref):
            return None
        if not _check_totp(db, challenge.user_id, factor.pending_secret, code, now):
            return None
        return Redeemed("totp", _promote(db, factor, now))
    method = verify(db, challenge.user_id, code, now)
    return None if method is None else Redeemed(method)


def count_wrong_code(db: Session, challenge: MfaChallenge) -> int:
    """One more wrong code on this token (atomically): the codes it has left."""
    res = db.execute(update(MfaChallenge).where(MfaChallenge.token_hash == challenge.token_hash)
                     .values(failures=MfaChallenge.failures + 1).returning(MfaChallenge.failures)
                     .execution_options(synchronize_session=False))
    failures = res.scalar()
    return max(0, MAX_CODE_FAILURES - int(failures if failures is not None else MAX_CODE_FAILURES))


def spend(db: Session, challenge: MfaChallenge, now: datetime) -> bool:
    """Use the token up; False when a concurrent request already did (or it ran out)."""
    res = db.execute(update(MfaChallenge).where(MfaChallenge.token_hash == challenge.token_hash,
                                                MfaChallenge.spent_at.is_(None),
                                                MfaChallenge.failures < MAX_CODE_FAILURES)
                     .values(spent_at=now).execution_options(synchronize_session=False))
    return affected(res) == 1


def device_token_of(db: Session, challenge: MfaChallenge) -> str | None:
    """The login's known device token, to give back as the password step got it."""
    return crypto.cipher_of(db).open(challenge.device_token, DEVICE_FIELD) if challenge.device_token else None
