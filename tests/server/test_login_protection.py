"""Failed logins counted atomically, password changes throttled like logins, and the
device token that keeps one person's typos behind a branch's NAT from locking out the
others (CONTRACT.md, HTTP; TRAPS.md on counting failures in Python)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from server.models import AuditLog, LoginThrottle, User
from tests.server.conftest import PASSWORD

WRONG = "Wrong-Password-123"


def login(api, username, password=PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return api.post("/auth/login", json={"username": username, "password": password, **extra})


def _parallel(n: int, fn):  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _i: fn(), range(n)))


def _failures(factory, key: str) -> int | None:  # type: ignore[no-untyped-def]
    with factory() as db:
        return db.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key))


def test_concurrent_wrong_passwords_are_all_counted_and_lock_once(live_server):
    live = live_server(login_throttle_after=1000, login_lock_after=30, login_address_limit=10_000)
    with httpx.Client(base_url=live.url, timeout=60) as http:
        statuses = _parallel(40, lambda: login(http, "am_b", WRONG).status_code)
    assert set(statuses) == {401}, statuses  # never a 500 from a racing insert
    assert _failures(live.factory, "user:am_b") == 40  # no lost update
    with live.factory() as db:
        assert db.scalar(select(User.locked).where(User.username_key == "am_b")) is True
        locks = db.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "user.lock", AuditLog.object_id == str(live.world.users["am_b"])))
    assert locks == 1


def test_concurrent_guesses_cannot_slip_past_the_throttle(live_server):
    live = live_server(login_throttle_after=3, login_throttle_seconds=60.0, login_lock_after=100,
                       login_address_limit=10_000)
    with httpx.Client(base_url=live.url, timeout=60) as http:
        statuses = _parallel(30, lambda: login(http, "ghost", WRONG).status_code)
    # only the first three attempts reach the password check; the rest wait
    assert statuses.count(401) == 3 and statuses.count(429) == 27, statuses
    assert _failures(live.factory, "user:ghost") == 3


def test_the_address_throttle_counts_concurrent_failures(live_server):
    live = live_server(login_throttle_after=1000, login_address_limit=20)
    with httpx.Client(base_url=live.url, timeout=60) as http:
        _parallel(20, lambda: login(http, "nobody", WRONG))
        assert _failures(live.factory, "addr:127.0.0.1") == 20
        assert login(http, "am_a").status_code == 429


def test_a_correct_login_resets_the_account_counter(make_client, db):
    api = make_client(login_throttle_after=3, login_throttle_seconds=0.0)
    for _ in range(2):
        assert login(api, "am_a", WRONG).status_code == 401
    assert login(api, "am_a").status_code == 200
    assert db.get(LoginThrottle, "user:am_a") is None


def test_wrong_old_passwords_are_throttled_like_logins(make_client, world):
    api = make_client(login_throttle_after=2, login_throttle_seconds=60.0, login_lock_after=100)
    body = {"old_password": WRONG, "new_password": "Another-Passphrase-2026"}
    for _ in range(2):
        r = api.post("/auth/password", headers=world.h("am_a2"), json=body)
        assert r.status_code == 403 and r.json()["code"] == "auth.wrong_password"
    r = api.post("/auth/password", headers=world.h("am_a2"), json=body)
    assert r.status_code == 429 and r.json()["code"] == "auth.throttled" and int(r.headers["Retry-After"]) > 0
    # even the right old password now waits: the throttle is on the secret, not on the route
    r = api.post("/auth/password", headers=world.h("am_a2"), json={**body, "old_password": PASSWORD})
    assert r.status_code == 429


def test_wrong_old_passwords_lock_the_account_and_end_the_session(make_client, world, db):
    api = make_client(login_throttle_after=100, login_lock_after=4)
    body = {"old_password": WRONG, "new_password": "Another-Passphrase-2026"}
    for _ in range(4):
        assert api.post("/auth/password", headers=world.h("am_a2"), json=body).status_code == 403
    assert api.get("/auth/me", headers=world.h("am_a2")).status_code == 401
    assert db.get(User, world.users["am_a2"]).locked is True
    assert login(api, "am_a2").status_code == 401


def test_a_policy_refusal_after_the_right_old_password_is_not_a_failure(make_client, world, db):
    api = make_client(login_throttle_after=2, login_throttle_seconds=60.0, login_lock_after=3)
    for _ in range(4):
        r = api.post("/auth/password", headers=world.h("am_a2"), json={"old_password": PASSWORD,
                                                                        "new_password": "short"})
        assert r.status_code == 422
    assert db.get(User, world.users["am_a2"]).locked is False
    assert db.get(LoginThrottle, "user:am_a2") is None


def test_every_successful_login_returns_a_device_token(api):
    first = login(api, "am_a").json()
    assert isinstance(first["device_token"], str) and len(first["device_token"]) >= 32
    again = login(api, "am_a", device_token=first["device_token"]).json()
    assert again["device_token"] == first["device_token"]  # the same workstation keeps its token
    assert login(api, "am_a").json()["device_token"] != first["device_token"]  # another workstation


def test_a_device_token_exempts_its_user_from_the_address_throttle(make_client):
    api = make_client(login_address_limit=3, login_throttle_after=100)
    token = login(api, "am_a").json()["device_token"]
    for i in range(3):  # someone else behind the same NAT keeps mistyping
        assert login(api, f"user{i}", WRONG).status_code == 401
    assert login(api, "am_b").status_code == 429  # no token: the address is throttled
    assert login(api, "am_a", device_token=token).status_code == 200
    # a token proves nothing for another user, and a made-up one nothing at all
    assert login(api, "am_b", device_token=token).status_code == 429
    assert login(api, "am_b", device_token="x" * 43).status_code == 429


def test_a_device_token_never_exempts_from_the_account_lock(make_client):
    api = make_client(login_address_limit=2, login_throttle_after=100, login_lock_after=3)
    token = login(api, "am_a").json()["device_token"]
    for _ in range(3):  # the user's own typos from their own workstation
        assert login(api, "am_a", WRONG, device_token=token).status_code == 401
    assert login(api, "am_a", device_token=token).status_code == 401  # locked
    # ...and they did not count against the branch's shared address
    assert login(api, "am_b").status_code == 200


def test_the_address_throttle_says_how_long_is_left_of_its_window(make_client, monkeypatch):
    from datetime import timedelta

    import server.services.auth as auth_service
    from server.models.base import utcnow
    api = make_client(login_address_limit=2, login_throttle_after=100, login_address_window_seconds=300)
    for i in range(2):
        login(api, f"user{i}", WRONG)
    monkeypatch.setattr(auth_service, "utcnow", lambda: utcnow() + timedelta(seconds=100))  # the clock moves on
    r = login(api, "am_a")
    assert r.status_code == 429 and 190 <= int(r.headers["Retry-After"]) <= 201
