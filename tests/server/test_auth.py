"""Login, sessions, throttling, lock-out and password changes (R-101, R-1202)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.models import AuditLog
from server.models.base import utcnow
from tests.server.conftest import PASSWORD


def login(api, username, password=PASSWORD):
    return api.post("/auth/login", json={"username": username, "password": password})


def test_login_returns_a_bearer_token_and_the_user(api):
    r = login(api, "am_a")
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40
    assert body["expires_at"].endswith("Z") and body["user"]["role"] == "account_manager"
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    me = api.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["permissions"]["customer.read_full"] == "own_book" and "user.create" not in me["permissions"]


def test_usernames_are_case_insensitive(api):
    assert login(api, "AM_A").status_code == 200


def test_unknown_user_and_wrong_password_look_the_same(api):
    wrong = login(api, "am_a", "Wrong-Password-123")
    unknown = login(api, "nobody_here", "Wrong-Password-123")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "auth.invalid_credentials"


def test_failed_and_successful_logins_are_audited(api, db):
    login(api, "am_a", "Wrong-Password-123")
    login(api, "am_a")
    rows = db.scalars(select(AuditLog).where(AuditLog.action == "auth.login").order_by(AuditLog.id.desc())).all()
    assert [r.outcome for r in rows[:2]] == ["success", "failure"]
    assert all(PASSWORD not in (r.detail or "") for r in rows)


def test_repeated_failures_throttle_then_lock_until_an_admin_unlocks(make_client, world):
    api = make_client(login_throttle_after=2, login_throttle_seconds=0.0, login_lock_after=4)
    for _ in range(4):
        assert login(api, "am_b", "Wrong-Password-123").status_code == 401
    # locked: even the right password fails, with the same answer
    locked = login(api, "am_b")
    assert locked.status_code == 401 and locked.json()["code"] == "auth.invalid_credentials"
    # the lock ended the user's sessions
    assert api.get("/auth/me", headers=world.h("am_b")).status_code == 401
    r = api.get(f"/users/{world.users['am_b']}", headers=world.h("admin"))
    assert r.json()["locked"] is True
    assert api.post(f"/users/{world.users['am_b']}/unlock", headers=world.h("admin")).status_code == 200
    assert login(api, "am_b").status_code == 200


def test_throttle_answers_429_with_retry_after(make_client):
    api = make_client(login_throttle_after=2, login_throttle_seconds=60.0, login_lock_after=100)
    for _ in range(2):
        assert login(api, "ghost", "Wrong-Password-123").status_code == 401
    r = login(api, "ghost", "Wrong-Password-123")
    assert r.status_code == 429 and r.json()["code"] == "auth.throttled"
    assert int(r.headers["Retry-After"]) > 0


def test_source_address_throttle(make_client):
    api = make_client(login_address_limit=3, login_throttle_after=100)
    for i in range(3):
        login(api, f"user{i}", "Wrong-Password-123")
    assert login(api, "am_a").status_code == 429


def test_logout_revokes_the_token(api, world):
    h = world.h("teller_a1")
    assert api.post("/auth/logout", headers=h).status_code == 204
    r = api.get("/customers", headers=h)
    assert r.status_code == 401 and r.json()["code"] == "auth.required"


def test_idle_and_absolute_expiry(api, world, monkeypatch):
    """The clock is outside the product: move it instead of waiting."""
    import server.services.auth as auth_service
    h = world.h("am_a")
    monkeypatch.setattr(auth_service, "utcnow", lambda: utcnow() + timedelta(minutes=31))
    assert api.get("/auth/me", headers=h).status_code == 401
    monkeypatch.setattr(auth_service, "utcnow", lambda: utcnow() + timedelta(minutes=10))
    assert api.get("/auth/me", headers=h).status_code == 200
    monkeypatch.setattr(auth_service, "utcnow", lambda: utcnow() + timedelta(hours=13))
    assert api.get("/auth/me", headers=h).status_code == 401


def test_garbage_tokens_are_401(api):
    for header in ("Bearer ", "Bearer x", "Basic abc", "Bearer " + "a" * 43, "Bearer " + "a" * 500, "bearer  "):
        r = api.get("/auth/me", headers={"Authorization": header})
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")


def test_password_change_revokes_other_sessions_and_checks_policy(api, world):
    old = world.h("am_a2")
    second = login(api, "am_a2").json()["access_token"]
    r = api.post("/auth/password", headers=old, json={"old_password": "Wrong-Password-123", "new_password": "x" * 20})
    assert r.status_code == 403 and r.json()["code"] == "auth.wrong_password"
    r = api.post("/auth/password", headers=old, json={"old_password": PASSWORD, "new_password": "short"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "new_password"
    r = api.post("/auth/password", headers=old, json={"old_password": PASSWORD, "new_password": "Neue-Passphrase-2026"})
    assert r.status_code == 200
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert api.get("/auth/me", headers=old).status_code == 401
    assert api.get("/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert api.get("/auth/me", headers=fresh).status_code == 200
    assert login(api, "am_a2", "Neue-Passphrase-2026").status_code == 200


def test_admin_reset_forces_a_change_at_next_login(api, world):
    r = api.post(f"/users/{world.users['teller_b']}/password-reset", headers=world.h("admin"),
                 json={"new_password": "Temporary-Pass-2026"})
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    assert api.get("/auth/me", headers=world.h("teller_b")).status_code == 401  # sessions ended
    body = login(api, "teller_b", "Temporary-Pass-2026").json()
    assert body["password_change_required"] is True
    h = {"Authorization": f"Bearer {body['access_token']}"}
    r = api.get("/customers", headers=h)
    assert r.status_code == 403 and r.json()["code"] == "auth.password_change_required"
    r = api.post("/auth/password", headers=h, json={"old_password": "Temporary-Pass-2026",
                                                    "new_password": "My-Own-Passphrase-26"})
    assert r.status_code == 200 and r.json()["password_change_required"] is False
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert api.get("/customers", headers=h).status_code == 200


def test_healthz_and_openapi_are_open(api):
    assert api.get("http://testserver/healthz").json() == {"status": "ok"}
    assert api.get("/openapi.json").status_code == 200


def test_oversized_body_is_413(api, world):
    r = api.post("/customers", headers={**world.h("am_a"), "content-type": "application/json"},
                 content=b"{" + b" " * 1_100_000 + b"}")
    assert r.status_code == 413 and r.json()["code"] == "request.too_large"


def test_invalid_json_is_a_field_error(api, world):
    r = api.post("/customers", headers={**world.h("am_a"), "content-type": "application/json"}, content=b"{nope")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "request.invalid_json"
