"""A per-user limit on authenticated requests, off unless the operator sets one
(CONTRACT.md: authenticated traffic is not rate-limited by default; limits are
settings). Beyond it: 429 problem+json with Retry-After; other users unaffected."""
from __future__ import annotations


def test_no_limit_by_default(api, world):
    for _ in range(40):
        assert api.get("/auth/me", headers=world.h("teller_a1")).status_code == 200


def test_beyond_the_limit_is_429_problem_json_with_retry_after(make_client, world):
    api = make_client(rate_limit_per_minute=3)
    assert [api.get("/auth/me", headers=world.h("teller_a1")).status_code for _ in range(3)] == [200] * 3
    r = api.get("/customers", headers=world.h("teller_a1"))
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "request.rate_limited" and r.json()["status"] == 429
    assert int(r.headers["Retry-After"]) >= 1
    # another user has a bucket of their own; a request without a token is 401, not 429
    assert api.get("/auth/me", headers=world.h("am_a")).status_code == 200
    assert api.get("/auth/me").status_code == 401


def test_the_bucket_refills_with_time_and_holds_the_burst(make_client, world):
    api = make_client(rate_limit_per_minute=60, rate_limit_burst=2)
    limiter = api.app.state.rate_limiter  # type: ignore[attr-defined]
    now = [1000.0]
    limiter._now = lambda: now[0]
    h = world.h("bm_a")
    assert [api.get("/auth/me", headers=h).status_code for _ in range(3)] == [200, 200, 429]
    now[0] += 1.0  # one a second
    assert api.get("/auth/me", headers=h).status_code == 200
    assert api.get("/auth/me", headers=h).status_code == 429
    now[0] += 3600  # a long pause fills the bucket to the burst, not beyond
    assert [api.get("/auth/me", headers=h).status_code for _ in range(3)] == [200, 200, 429]
