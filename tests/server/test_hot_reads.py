"""The hot reads' fast way (server/api/hot.py) answers exactly as FastAPI's route does:
the same status, body and content type for well-formed and malformed requests alike,
for every kind of caller, and the refusals are on record the same way. And it is
really taken: a well-formed request never reaches FastAPI's dependency solving."""
from __future__ import annotations

from typing import Any

import fastapi.routing
import pytest
from sqlalchemy import func, select

from server.models import AuditLog
from tests.server.conftest import id_number

ID_MAIN = id_number("110101", "19900307", 45, True)

#: (user, path under /api/v1) — {main}, {b}, {A} are filled in from the world.
CASES = [
    *[(user, path) for user in ("teller_a1", "am_a", "bm_b", "admin", "auditor") for path in (
        "/customers?q=张",
        "/customers?q=zs",
        "/customers?q=zhang",
        f"/customers?q={ID_MAIN}",
        "/customers?q=13912345678",
        "/customers",
        "/customers/{main}",
        "/customers/{b}",
        "/auth/me",
    )],
    *[("am_a", path) for path in (
        "/customers?q=张&page=2&page_size=1",
        "/customers?q=%E5%BC%A0&page_size=1",
        "/customers?q=张&page_size=200",
        "/customers?q=张&page_size=201",
        "/customers?q=张&page=1000000",
        "/customers?q=张&page=1000001",
        "/customers?page=0",
        "/customers?page=-1",
        "/customers?page=abc",
        "/customers?page=01",
        "/customers?page=+1",
        "/customers?page=1.0",
        "/customers?page_size=%201",
        "/customers?page=99999999999999999999999",
        "/customers?q=",
        "/customers?q=%20",
        "/customers?q=张&q=李",
        "/customers?page=1&page=2",
        "/customers?q=" + "张" * 101,
        "/customers?org_id={A}",
        "/customers?org_id={A}&q=张",
        "/customers?org_id=9223372036854775808",
        "/customers?org_id=0",
        "/customers?org_id=x",
        "/customers?manager_id=1",
        "/customers?type=personal",
        "/customers?type=corporate&q=张",
        "/customers?type=bogus",
        "/customers?sort=name",
        "/customers?sort=bogus",
        "/customers?unknown=1",
        "/customers?unknown=",
        "/customers?q=张&",
        "/customers?&&q=张",
        "/customers?q=%ZZ",
        "/customers?q=%00",
        "/customers/0",
        "/customers/-1",
        "/customers/007",
        "/customers/abc",
        "/customers/1.0",
        "/customers/9223372036854775807",
        "/customers/9223372036854775808",
        "/customers/{main}?q=anything",
        "/customers/{main}/history",
        "/customers/",
        "/auth/me?x=1",
        "/auth/me/",
    )],
]


@pytest.fixture
def two_ways(make_client) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    return make_client(), make_client(fast_reads=False)


def _fill(path: str, world) -> str:  # type: ignore[no-untyped-def]
    return path.format(main=world.customers["main"], b=world.customers["b"], A=world.orgs["A"])


def _answer(r) -> tuple[int, str | None, Any]:  # type: ignore[no-untyped-def]
    body = r.json() if r.headers.get("content-type", "").endswith("json") else r.text
    if isinstance(body, dict):
        body.pop("expires_at", None)  # /auth/me: the session's expiry moves with its last-seen time
    return r.status_code, r.headers.get("content-type"), body


@pytest.mark.parametrize(("user", "path"), CASES)
def test_the_fast_way_answers_as_fastapi_does(two_ways, world, user, path):  # type: ignore[no-untyped-def]
    fast, slow = two_ways
    url = _fill(path, world)
    got, want = fast.get(url, headers=world.h(user)), slow.get(url, headers=world.h(user))
    assert _answer(got) == _answer(want), (user, url)
    assert got.status_code != 500


def _dependency_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests FastAPI solved a route's dependencies for (only on FastAPI's way)."""
    calls: list[str] = []
    real = fastapi.routing.solve_dependencies

    async def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["request"].url.path)
        return await real(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", spy)
    return calls


@pytest.mark.parametrize("path", ["/customers?q=张&page=1&page_size=5", f"/customers?q={ID_MAIN}", "/customers",
                                  "/customers/{main}", "/auth/me"])
def test_a_well_formed_hot_read_skips_fastapi(api, world, monkeypatch, path):  # type: ignore[no-untyped-def]
    calls = _dependency_calls(monkeypatch)
    r = api.get(_fill(path, world), headers=world.h("am_a"))
    assert r.status_code == 200, r.text
    assert calls == []


@pytest.mark.parametrize("path", ["/customers?page=01", "/customers?q=张&q=李", "/customers?unknown=1",
                                  "/customers/007", "/customers?q="])
def test_what_the_fast_way_does_not_understand_goes_to_fastapi(api, world, monkeypatch, path):  # type: ignore[no-untyped-def]
    calls = _dependency_calls(monkeypatch)
    api.get(_fill(path, world), headers=world.h("am_a"))
    assert len(calls) == 1


def test_with_fast_reads_off_every_read_goes_to_fastapi(make_client, world, monkeypatch):  # type: ignore[no-untyped-def]
    calls = _dependency_calls(monkeypatch)
    slow = make_client(fast_reads=False)
    assert slow.get("/customers?q=张", headers=world.h("am_a")).status_code == 200
    assert len(calls) == 1


def test_a_refusal_on_the_fast_way_is_on_record(api, world, db):  # type: ignore[no-untyped-def]
    """The auditor may not look customers up: 403, and one permission.denied row naming
    the path, as the FastAPI dependency writes it."""
    def denials() -> int:
        return int(db.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "permission.denied", AuditLog.actor_id == world.users["auditor"])) or 0)

    before = denials()
    r = api.get(f"/customers/{world.customers['main']}", headers=world.h("auditor"))
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    assert denials() == before + 1


def test_an_unmasked_read_on_the_fast_way_is_audited(api, world, db):  # type: ignore[no-untyped-def]
    """am_a's own customer, unmasked: the read is on record (the unit of work committed it)."""
    def reads() -> int:
        return int(db.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "customer.read_unmasked", AuditLog.actor_id == world.users["am_a"])) or 0)

    before = reads()
    r = api.get(f"/customers/{world.customers['main']}", headers=world.h("am_a"))
    assert r.status_code == 200 and r.json()["id_number"] == ID_MAIN
    assert reads() == before + 1



def test_every_fast_way_declares_what_its_route_declares():
    """Path, method, permission and integer parameters (bounds and defaults) of each
    `HotRead` are those of the FastAPI route it stands for, a hot read on the asyncio
    path: a change to one without the other fails here, not in production."""
    from annotated_types import Ge, Le

    from server.api.deps import API_PREFIX, ASYNC_READS, Permission
    from server.app import api_routes, hot_reads
    routes = {path: r for method, path, r in api_routes() if method == "GET"}
    reads = hot_reads()
    assert {r.path for r in reads} == {"/customers", "/customers/{customer_id}", "/auth/me"}
    for read in reads:
        route = routes[API_PREFIX + read.path]
        assert getattr(route.endpoint, ASYNC_READS, False), read.path
        actions = [d.call.action for d in route.dependant.dependencies if isinstance(d.call, Permission)]
        assert actions == [read.action], read.path
        declared = {}
        for q in [*route.dependant.query_params, *route.dependant.path_params]:
            bounds = {type(m): m for m in q.field_info.metadata}
            if Ge in bounds:
                declared[q.name] = (bounds[Ge].ge, bounds[Le].le, q.field_info.default if q in
                                    route.dependant.query_params else None)
        mine = {n: (p.low, p.high, p.default) for n, p in {**read.ints, **read.path_ints}.items()}
        assert mine == declared, read.path
        model = {q.name: q.field_info.annotation for q in route.dependant.query_params if q.name not in declared}
        assert model == ({read.model[0]: read.model[1]} if read.model else {}), read.path
