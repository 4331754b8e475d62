"""The second factor (TOTP) as CONTRACT.md's login flow says: `POST /auth/login` answers
`{mfa_required, mfa_token}` or `{mfa_enrolment_required, mfa_token, otpauth_uri}` for the
roles in `CRM_MFA_ROLES`, and `POST /auth/totp {mfa_token, code}` the normal login
response (with `recovery_codes` when it completed an enrolment); re-authentication
before changing one's own password or second factor; `create-admin` prints the URI.

Only the clock is stood in for (`Clock`): codes are computed from the URI's secret as an
authenticator app would.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

import server.services.auth as auth_service
from server import crypto
from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.keys import create_key_file
from server.migrate import upgrade
from server.models import AuditLog, MfaChallenge, RecoveryCode, SecondFactor
from server.models.base import utcnow
from server.services import mfa
from server.settings import get_settings
from shared.enums import Role
from tests.server.conftest import PASSWORD, pg_admin_url

MFA_ROLES = "branch_manager,head_office_admin"
NEW_PASSWORD = "Second-Factor-Pass-2026"
#: The keys of a plain login answer, exactly as before the second factor existed.
SESSION_KEYS = {"access_token", "token_type", "expires_at", "user", "password_change_required", "device_token"}


class Clock:
    """The server's clock (services/auth.py and services/mfa.py), a second into a step."""

    def __init__(self) -> None:
        start = int(utcnow().timestamp()) // 30 * 30 + 1
        self.now = datetime.fromtimestamp(start, UTC)

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def code(self, secret: str, steps: int = 0) -> str:
        """What an authenticator app shows now (or `steps` steps away)."""
        return pyotp.TOTP(secret).at(int(self.now.timestamp()) + 30 * steps)

    def wrong(self, secret: str) -> str:
        """A code of no step near now."""
        near = {self.code(secret, d) for d in range(-2, 3)}
        return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in near)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(auth_service, "utcnow", c)
    monkeypatch.setattr(mfa, "utcnow", c)
    return c


@pytest.fixture
def mfa_api(make_client):  # type: ignore[no-untyped-def]
    """Branch managers and head-office admins need a second factor. The clock stands still
    between requests, so the account's waiting periods are 0 s (the counts still hold)."""
    return make_client(mfa_roles=MFA_ROLES, login_throttle_seconds=0.0)


def new_user(api: TestClient, world: Any, username: str, role: str = "branch_manager", org: str = "A",
             **extra: Any) -> int:
    r = api.post("/users", headers=world.h("admin"), json={
        "username": username, "password": PASSWORD, "display_name": "双因素测试", "role": role,
        "org_id": world.orgs[org], **extra})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def login(api: TestClient, username: str, password: str = PASSWORD) -> Any:
    r = api.post("/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def totp(api: TestClient, mfa_token: str, code: str) -> Any:
    return api.post("/auth/totp", json={"mfa_token": mfa_token, "code": code})


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


def bearer(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


def enrol(api: TestClient, clock: Clock, username: str) -> tuple[str, list[str], dict[str, Any]]:
    """The first login's enrolment: (secret, recovery codes, the login response)."""
    first = login(api, username)
    secret = secret_of(first["otpauth_uri"])
    r = totp(api, first["mfa_token"], clock.code(secret))
    assert r.status_code == 200, r.text
    return secret, r.json()["recovery_codes"], r.json()


def actions(db: Any, user_id: int) -> list[tuple[str, str]]:
    rows = db.scalars(select(AuditLog).where(AuditLog.object_type == "user", AuditLog.object_id == str(user_id))
                      .order_by(AuditLog.id)).all()
    return [(r.action, r.outcome) for r in rows]


# ----------------------------------------------------------------------------- the login flow
def test_first_login_enrols_then_every_login_asks_for_a_code(mfa_api, world, db, clock):
    uid = new_user(mfa_api, world, "mfa.bm1")
    first = login(mfa_api, "mfa.bm1")
    assert set(first) == {"mfa_enrolment_required", "mfa_token", "otpauth_uri"}
    assert first["mfa_enrolment_required"] is True
    app = pyotp.parse_uri(first["otpauth_uri"])
    assert first["otpauth_uri"].startswith("otpauth://totp/")
    assert (app.digits, app.interval, app.name, app.issuer) == (6, 30, "mfa.bm1", "Branch CRM")
    assert app.digest().name == "sha1" and len(secret_of(first["otpauth_uri"])) >= 32
    # until a code confirms it, every login shows the same secret
    again = login(mfa_api, "mfa.bm1")
    assert again["otpauth_uri"] == first["otpauth_uri"] and again["mfa_token"] != first["mfa_token"]
    secret = secret_of(first["otpauth_uri"])
    r = totp(mfa_api, first["mfa_token"], clock.code(secret))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == SESSION_KEYS | {"recovery_codes"}
    assert body["token_type"] == "bearer" and body["user"]["id"] == uid and body["device_token"]
    codes = body["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10 and all(len(c.replace("-", "")) >= 10 for c in codes)
    assert mfa_api.get("/auth/me", headers=bearer(body)).status_code == 200
    # the other token of the pending secret is no way in once it is confirmed
    clock.advance(30)
    assert totp(mfa_api, again["mfa_token"], clock.code(secret)).status_code == 401
    # enrolled: the next login asks for a code, and gets a plain session for it
    clock.advance(30)
    nxt = login(mfa_api, "mfa.bm1")
    assert set(nxt) == {"mfa_required", "mfa_token"} and nxt["mfa_required"] is True
    r = totp(mfa_api, nxt["mfa_token"], clock.code(secret))
    assert r.status_code == 200 and set(r.json()) == SESSION_KEYS
    assert mfa_api.get("/auth/me", headers=bearer(r.json())).json()["user"]["username"] == "mfa.bm1"
    done = actions(db, uid)
    assert ("auth.mfa_enrolled", "success") in done and done.count(("auth.totp", "success")) == 2
    assert ("auth.login", "second_factor") in done and ("auth.login", "success") in done


def test_a_plain_login_keeps_its_shape_and_roles_outside_the_setting_need_no_code(mfa_api, world):
    for username in ("teller_a1", "am_a", "auditor"):  # not in MFA_ROLES
        body = login(mfa_api, username)
        assert set(body) == SESSION_KEYS and body["token_type"] == "bearer"
        assert mfa_api.get("/auth/me", headers=bearer(body)).status_code == 200
    assert "mfa_token" in login(mfa_api, "bm_a")


def test_an_empty_setting_asks_nobody_for_a_code(api, world):
    for username in ("bm_a", "admin", "teller_a1"):
        assert set(login(api, username)) == SESSION_KEYS


def test_the_setting_defaults_to_every_role_and_parses_empty_one_and_several(monkeypatch):
    monkeypatch.delenv("CRM_MFA_ROLES", raising=False)
    assert get_settings().mfa_role_set == {r.value for r in Role}
    for value, expected in (("", set()), ("auditor", {"auditor"}),
                            ("teller, head_office_admin", {"teller", "head_office_admin"})):
        monkeypatch.setenv("CRM_MFA_ROLES", value)
        assert get_settings().mfa_role_set == expected
    monkeypatch.setenv("CRM_MFA_ROLES", "teller,cashier")
    with pytest.raises(ValueError):
        get_settings()


def test_a_code_works_once_per_time_step(mfa_api, world, clock):
    new_user(mfa_api, world, "mfa.bm2")
    secret, _codes, _s = enrol(mfa_api, clock, "mfa.bm2")
    used = clock.code(secret)
    # the same code, and an older one, at a later login of the same step: refused
    for code in (used, clock.code(secret, -1)):
        r = totp(mfa_api, login(mfa_api, "mfa.bm2")["mfa_token"], code)
        assert r.status_code == 401 and r.json()["code"] == "auth.mfa_code_invalid", r.text
    # the next step's code (a clock a little ahead) works once
    nxt = clock.code(secret, 1)
    assert totp(mfa_api, login(mfa_api, "mfa.bm2")["mfa_token"], nxt).status_code == 200
    clock.advance(30)
    assert totp(mfa_api, login(mfa_api, "mfa.bm2")["mfa_token"], nxt).status_code == 401
    clock.advance(30)
    assert totp(mfa_api, login(mfa_api, "mfa.bm2")["mfa_token"], clock.code(secret)).status_code == 200


def test_a_recovery_code_works_once(mfa_api, world, db, clock):
    uid = new_user(mfa_api, world, "mfa.bm3")
    _secret, codes, _s = enrol(mfa_api, clock, "mfa.bm3")
    r = totp(mfa_api, login(mfa_api, "mfa.bm3")["mfa_token"], codes[0])
    assert r.status_code == 200 and "recovery_codes" not in r.json()
    assert mfa_api.get("/auth/me", headers=bearer(r.json())).status_code == 200
    r = totp(mfa_api, login(mfa_api, "mfa.bm3")["mfa_token"], codes[0])
    assert r.status_code == 401 and r.json()["code"] == "auth.mfa_code_invalid"
    # typed in lower case and without the dashes, another one still works
    typed = codes[1].replace("-", "").lower()
    assert totp(mfa_api, login(mfa_api, "mfa.bm3")["mfa_token"], typed).status_code == 200
    assert actions(db, uid).count(("auth.recovery_code_used", "success")) == 2


def test_a_recovery_code_does_not_complete_a_first_enrolment(mfa_api, world, clock):
    new_user(mfa_api, world, "mfa.bm4")
    new_user(mfa_api, world, "mfa.bm5")
    _secret, codes, _s = enrol(mfa_api, clock, "mfa.bm4")
    first = login(mfa_api, "mfa.bm5")  # another user's recovery code, or any, before enrolling
    assert totp(mfa_api, first["mfa_token"], codes[2]).status_code == 401


def test_the_mfa_token_is_no_bearer_token_and_expires(mfa_api, world, clock):
    new_user(mfa_api, world, "mfa.bm6")
    secret, _codes, _s = enrol(mfa_api, clock, "mfa.bm6")
    clock.advance(30)
    challenge = login(mfa_api, "mfa.bm6")
    h = {"Authorization": f"Bearer {challenge['mfa_token']}"}
    for method, path in (("GET", "/auth/me"), ("GET", "/customers"), ("GET", f"/customers/{world.customers['main']}"),
                         ("POST", "/auth/password"), ("POST", "/auth/totp/enrolment")):
        r = mfa_api.request(method, path, headers=h, json={} if method == "POST" else None)
        assert r.status_code == 401 and r.json()["code"] == "auth.required", (path, r.text)
    # a password-only step reached nothing: the token still works, once, within its 5 minutes
    clock.advance(4 * 60)
    assert totp(mfa_api, challenge["mfa_token"], clock.code(secret)).status_code == 200
    clock.advance(30)
    assert totp(mfa_api, challenge["mfa_token"], clock.code(secret)).json()["code"] == "auth.mfa_token_invalid"
    late = login(mfa_api, "mfa.bm6")
    clock.advance(5 * 60 + 1)
    r = totp(mfa_api, late["mfa_token"], clock.code(secret))
    assert r.status_code == 401 and r.json()["code"] == "auth.mfa_token_invalid"
    for junk in ("x" * 43, ""):
        assert totp(mfa_api, junk, clock.code(secret)).status_code in (401, 422)


def test_an_unknown_mfa_token_is_refused_on_record(mfa_api, db):
    r = totp(mfa_api, "y" * 43, "123456")
    assert r.status_code == 401 and r.json()["code"] == "auth.mfa_token_invalid"
    row = db.scalars(select(AuditLog).where(AuditLog.action == "auth.totp").order_by(AuditLog.id.desc())).first()
    assert row is not None and row.outcome == "failure" and "invalid_token" in (row.detail or "")
    assert "y" * 43 not in (row.detail or "")


def test_five_wrong_codes_spend_the_token(make_client, world, clock):
    api = make_client(mfa_roles=MFA_ROLES, login_throttle_seconds=0.0, login_lock_after=100)
    new_user(api, world, "mfa.bm7")
    secret, _codes, _s = enrol(api, clock, "mfa.bm7")
    clock.advance(30)
    challenge = login(api, "mfa.bm7")
    for _ in range(5):
        r = totp(api, challenge["mfa_token"], clock.wrong(secret))
        assert r.status_code == 401 and r.json()["code"] == "auth.mfa_code_invalid"
    r = totp(api, challenge["mfa_token"], clock.code(secret))
    assert r.status_code == 401 and r.json()["code"] == "auth.mfa_token_invalid"
    assert totp(api, login(api, "mfa.bm7")["mfa_token"], clock.code(secret)).status_code == 200


def test_wrong_codes_lock_the_account_login_after_login(make_client, world, db, clock):
    api = make_client(mfa_roles=MFA_ROLES, login_throttle_seconds=0.0, login_lock_after=7)
    uid = new_user(api, world, "mfa.bm8")
    secret, _codes, _s = enrol(api, clock, "mfa.bm8")
    clock.advance(30)
    # a right password does not wipe the wrong codes before it: 5 + 2 reach the lock-out
    for tries in (5, 2):
        token = login(api, "mfa.bm8")["mfa_token"]
        for _ in range(tries):
            assert totp(api, token, clock.wrong(secret)).status_code == 401
    assert api.get(f"/users/{uid}", headers=world.h("admin")).json()["locked"] is True
    r = api.post("/auth/login", json={"username": "mfa.bm8", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "auth.invalid_credentials"
    assert ("user.lock", "success") in actions(db, uid)


def test_a_right_code_clears_the_failures(make_client, world, clock):
    api = make_client(mfa_roles=MFA_ROLES, login_throttle_seconds=0.0, login_lock_after=4)
    uid = new_user(api, world, "mfa.bm9")
    secret, _codes, _s = enrol(api, clock, "mfa.bm9")
    for _ in range(3):
        clock.advance(30)
        token = login(api, "mfa.bm9")["mfa_token"]
        assert totp(api, token, clock.wrong(secret)).status_code == 401
        assert totp(api, token, clock.code(secret)).status_code == 200
    assert api.get(f"/users/{uid}", headers=world.h("admin")).json()["locked"] is False


def test_a_forced_password_change_follows_the_second_factor(mfa_api, world, clock):
    new_user(mfa_api, world, "mfa.bm10", must_change_password=True)
    _secret, codes, body = enrol(mfa_api, clock, "mfa.bm10")
    assert body["password_change_required"] is True and len(codes) == 10
    h = bearer(body)
    assert mfa_api.get("/customers", headers=h).json()["code"] == "auth.password_change_required"
    r = mfa_api.post("/auth/password", headers=h, json={"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200 and r.json()["password_change_required"] is False


# ----------------------------------------------------------------------------- re-authentication
def test_a_password_change_needs_the_code_once_enrolled(mfa_api, world, clock):
    new_user(mfa_api, world, "mfa.bm11")
    secret, codes, body = enrol(mfa_api, clock, "mfa.bm11")
    h = bearer(body)

    def change(**extra: Any) -> Any:
        return mfa_api.post("/auth/password", headers=h, json={"old_password": PASSWORD,
                                                               "new_password": NEW_PASSWORD, **extra})

    r = change()
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"
    r = change(old_password="Wrong-Password-123", code=clock.code(secret, 1))
    assert r.status_code == 403 and r.json()["code"] == "auth.wrong_password"
    r = change(code=clock.code(secret))  # the code the login used
    assert r.status_code == 403 and r.json()["code"] == "auth.mfa_code_invalid"
    r = change(code=clock.wrong(secret))
    assert r.status_code == 403 and r.json()["code"] == "auth.mfa_code_invalid"
    # a new password the policy refuses costs no code
    r = change(new_password="short", code=clock.code(secret, 1))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "new_password"
    r = change(code=clock.code(secret, 1))
    assert r.status_code == 200, r.text
    assert mfa_api.get("/auth/me", headers=h).status_code == 401  # every session ended
    clock.advance(60)
    token = login(mfa_api, "mfa.bm11", NEW_PASSWORD)["mfa_token"]
    assert totp(mfa_api, token, codes[0]).status_code == 200
    # a recovery code re-authenticates too
    h = bearer(totp(mfa_api, login(mfa_api, "mfa.bm11", NEW_PASSWORD)["mfa_token"], clock.code(secret)).json())
    r = mfa_api.post("/auth/password", headers=h, json={"old_password": NEW_PASSWORD, "new_password": PASSWORD,
                                                        "code": codes[1]})
    assert r.status_code == 200, r.text


def test_reenrolment_needs_the_password_and_a_code_and_replaces_the_secret(mfa_api, world, db, clock):
    uid = new_user(mfa_api, world, "mfa.bm12")
    old, old_codes, body = enrol(mfa_api, clock, "mfa.bm12")
    h = bearer(body)
    url = "/auth/totp/enrolment"
    r = mfa_api.post(url + "/confirm", headers=h, json={"code": clock.code(old, 1)})
    assert r.status_code == 409 and r.json()["code"] == "auth.mfa_enrolment_not_pending"
    r = mfa_api.post(url, headers=h, json={"password": "Wrong-Password-123", "code": clock.code(old, 1)})
    assert r.status_code == 403 and r.json()["code"] == "auth.wrong_password"
    r = mfa_api.post(url, headers=h, json={"password": PASSWORD})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"
    r = mfa_api.post(url, headers=h, json={"password": PASSWORD, "code": clock.wrong(old)})
    assert r.status_code == 403 and r.json()["code"] == "auth.mfa_code_invalid"
    r = mfa_api.post(url, headers=h, json={"password": PASSWORD, "code": clock.code(old, 1)})
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert set(r.json()) == {"otpauth_uri", "secret"} and secret_of(r.json()["otpauth_uri"]) == new != old
    clock.advance(60)
    # until confirmed, the old secret stays in force
    r = mfa_api.post(url + "/confirm", headers=h, json={"code": clock.code(old)})
    assert r.status_code == 403 and r.json()["code"] == "auth.mfa_code_invalid"
    r = mfa_api.post(url + "/confirm", headers=h, json={"code": clock.code(new)})
    assert r.status_code == 200 and len(r.json()["recovery_codes"]) == 10
    new_codes = r.json()["recovery_codes"]
    clock.advance(30)
    for stale in (clock.code(old), old_codes[0]):
        r = totp(mfa_api, login(mfa_api, "mfa.bm12")["mfa_token"], stale)
        assert r.status_code == 401 and r.json()["code"] == "auth.mfa_code_invalid"
    assert totp(mfa_api, login(mfa_api, "mfa.bm12")["mfa_token"], clock.code(new)).status_code == 200
    assert totp(mfa_api, login(mfa_api, "mfa.bm12")["mfa_token"], new_codes[0]).status_code == 200
    done = actions(db, uid)
    assert ("auth.mfa_enrolment_started", "success") in done and done.count(("auth.mfa_enrolled", "success")) == 2


def test_reset_second_factor_starts_a_new_enrolment(mfa_api, world, db, clock):
    uid = new_user(mfa_api, world, "mfa.bm13")
    old, _codes, _s = enrol(mfa_api, clock, "mfa.bm13")
    mfa.reset_second_factor(db, uid)
    db.commit()
    first = login(mfa_api, "mfa.bm13")
    assert first["mfa_enrolment_required"] is True and secret_of(first["otpauth_uri"]) != old


# ----------------------------------------------------------------------------- what is stored
def test_the_secret_is_sealed_and_codes_and_tokens_are_stored_hashed(mfa_api, world, db, clock):
    uid = new_user(mfa_api, world, "mfa.bm14")
    first = login(mfa_api, "mfa.bm14")
    secret = secret_of(first["otpauth_uri"])
    r = totp(mfa_api, first["mfa_token"], clock.code(secret))
    codes = r.json()["recovery_codes"]
    clock.advance(30)
    pending = login(mfa_api, "mfa.bm14")["mfa_token"]
    stored = " ".join(str(v) for table in ("second_factor", "recovery_code", "mfa_challenge")
                      for row in db.execute(text(f"SELECT * FROM {table} WHERE user_id = :u"), {"u": uid})
                      for v in row)
    audited = " ".join(f"{a.detail} {a.object_id}" for a in db.scalars(select(AuditLog)))
    for plain in (secret, first["mfa_token"], pending, *codes, *(c.replace("-", "") for c in codes)):
        assert plain not in stored and plain not in audited
    row = db.get(SecondFactor, uid)
    assert row.secret and row.pending_secret is None and row.enrolled_at is not None
    cipher = crypto.FieldCipher.from_key_file(mfa_api.app.state.settings.resolved_key_file)
    assert cipher.open(row.secret, "user.totp_secret") == secret
    assert len(db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == uid)).all()) == 10
    assert db.scalars(select(MfaChallenge).where(MfaChallenge.user_id == uid)).all()


# ----------------------------------------------------------------------------- create-admin
def test_create_admin_prints_the_uri_the_first_login_asks_a_code_of(tmp_path, monkeypatch, capsys):
    from server.cli import main
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    monkeypatch.setenv("CRM_KEY_FILE", str(tmp_path / "keys.json"))
    monkeypatch.setenv("CRM_MFA_ROLES", "head_office_admin")
    monkeypatch.setenv("CRM_ADMIN_PASSWORD", "Boss-Admin-Pass-2026")
    assert main(["init", "--database-url", url]) == 0
    capsys.readouterr()
    assert main(["create-admin", "boss", "--database-url", url]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("otpauth://")]
    assert len(printed) == 1
    monkeypatch.setenv("CRM_MFA_ROLES", "")
    assert main(["create-admin", "boss2", "--database-url", url]) == 0
    assert "otpauth://" not in capsys.readouterr().out
    settings = get_settings(database_url=url, profile="development", mfa_roles="head_office_admin")
    engine = make_engine(url)
    try:
        with TestClient(create_app(settings, make_sessionmaker(engine, settings.resolved_key_file)),
                        base_url="http://testserver/api/v1") as api:
            first = login(api, "boss", "Boss-Admin-Pass-2026")
            assert first["mfa_enrolment_required"] is True and first["otpauth_uri"] == printed[0]
            r = totp(api, first["mfa_token"], pyotp.TOTP(secret_of(printed[0])).now())
            assert r.status_code == 200 and len(r.json()["recovery_codes"]) == 10
            assert api.get("/auth/me", headers=bearer(r.json())).json()["user"]["role"] == "head_office_admin"
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- concurrency (PostgreSQL)
@pytest.fixture
def pg_committed(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """A PostgreSQL database of its own with committed data: (settings, sessionmaker)."""
    admin = pg_admin_url()
    if admin is None:
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    name = f"crm_mfa_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    settings = get_settings(database_url=url, key_file=str(tmp_path / "keys.json"), profile="development",
                            mfa_roles=MFA_ROLES)
    engine = make_engine(url)
    try:
        upgrade(engine)
        create_key_file(settings.resolved_key_file)
        yield settings, make_sessionmaker(engine, settings.resolved_key_file)
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _enrolled_admin(factory: Any, username: str) -> tuple[int, str, list[str]]:
    """A committed, enrolled head-office admin: (id, secret, recovery codes); the
    enrolment took this time step."""
    from server.services.orgs import ensure_head_office
    from server.services.users import create_first_admin
    with factory() as db:
        user = create_first_admin(db, username, PASSWORD, ensure_head_office(db).id)
        secret = mfa.ensure_pending(db, user)
        codes = mfa.confirm_reenrolment(db, user.id, pyotp.TOTP(secret).now())
        assert codes is not None
        db.commit()
        return user.id, secret, codes


@pytest.mark.postgres
def test_concurrent_uses_of_one_code_take_its_step_once(pg_committed):
    _settings, factory = pg_committed
    uid, secret, _codes = _enrolled_admin(factory, "race.one")
    code = pyotp.TOTP(secret).at(int(utcnow().timestamp()) + 30)  # the next step's
    first, second = factory(), factory()
    try:
        assert mfa.verify(first, uid, code) == "totp"  # its UPDATE holds the row, uncommitted
        got: dict[str, Any] = {}
        waiter = threading.Thread(target=lambda: got.setdefault("second", mfa.verify(second, uid, code)))
        waiter.start()
        waiter.join(1.0)
        assert waiter.is_alive(), "the second use did not wait for the first"
        first.commit()
        waiter.join(30)
        assert got == {"second": None}
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_the_same_code_sent_twice_at_once_opens_one_session(pg_committed):
    import httpx

    from server.embedded import serve_in_thread
    settings, factory = pg_committed
    uid, secret, codes = _enrolled_admin(factory, "race.two")
    served = serve_in_thread(create_app(settings, factory))
    api = served.url + "/api/v1"

    def mfa_token() -> str:
        r = httpx.post(api + "/auth/login", json={"username": "race.two", "password": PASSWORD}, timeout=30)
        return str(r.json()["mfa_token"])

    def at_once(tokens: tuple[str, str], code: str) -> list[int]:
        barrier = threading.Barrier(2)
        answers: list[int] = []

        def send(token: str) -> None:
            with httpx.Client(timeout=30) as c:
                barrier.wait()
                answers.append(c.post(api + "/auth/totp", json={"mfa_token": token, "code": code}).status_code)

        threads = [threading.Thread(target=send, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return sorted(answers)

    try:
        # a first login sent twice at once: one pending secret, shown to both
        with factory() as db:
            from server.services.orgs import ensure_head_office
            from server.services.users import create_first_admin
            create_first_admin(db, "race.new", PASSWORD, ensure_head_office(db).id)
            db.commit()
        firsts: list[str] = []

        def first_login() -> None:
            r = httpx.post(api + "/auth/login", json={"username": "race.new", "password": PASSWORD}, timeout=30)
            firsts.append(r.json()["otpauth_uri"])

        threads = [threading.Thread(target=first_login) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(firsts) == 2 and firsts[0] == firsts[1]
        next_step = pyotp.TOTP(secret).at(int(utcnow().timestamp()) + 30)
        assert at_once((mfa_token(), mfa_token()), next_step) == [200, 401]  # two logins, one code
        same = mfa_token()
        assert at_once((same, same), codes[0]) == [200, 401]  # one login's token twice
        assert at_once((mfa_token(), mfa_token()), codes[1]) == [200, 401]  # two logins, one recovery code
    finally:
        served.stop()
    with factory() as db:
        sessions = db.execute(text("SELECT count(*) FROM user_session WHERE user_id = :u"), {"u": uid}).scalar()
    assert sessions == 3
