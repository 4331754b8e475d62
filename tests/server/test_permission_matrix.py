"""Every route x every role against the role x action table (shared/permissions.py).

A route without a declared Permission fails `test_every_route_declares_a_permission`;
a new route is automatically part of the matrix and of the 401 check.
"""
from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy.orm import sessionmaker

from server.api.deps import OPEN_PATHS, Permission
from server.app import api_routes, create_app
from server.settings import get_settings
from shared.enums import Role
from shared.permissions import scope_of
from tests.server.conftest import ROLE_USER


def _permissions(dependant) -> list[Permission]:  # type: ignore[no-untyped-def]
    found = [d.call for d in dependant.dependencies if isinstance(d.call, Permission)]
    for d in dependant.dependencies:
        found += _permissions(d)
    return found


def _routes() -> list[tuple[str, str, APIRoute]]:
    return [(m, p, r) for m, p, r in api_routes() if p not in OPEN_PATHS]


ROUTES = _routes()


def test_every_route_declares_a_permission():
    missing = [f"{m} {p}" for m, p, r in ROUTES if len(_permissions(r.dependant)) != 1]
    assert not missing, f"routes without exactly one Permission: {missing}"
    assert len(ROUTES) >= 20
    # and the list the matrix walks is what the running app serves
    app = create_app(get_settings(database_url="sqlite://"), sessionmaker())
    served = {(m, p) for p, item in app.openapi()["paths"].items() for m in item if p not in OPEN_PATHS}
    assert served == {(m.lower(), p) for m, p, _ in ROUTES}


def _url(path: str, world) -> str:  # type: ignore[no-untyped-def]
    ids = {"org_id": world.orgs["A1"], "user_id": world.users["am_a2"], "customer_id": world.customers["main"],
           "statement_id": 1, "output_id": 1,
           "approval_id": world.approval_id, "name": "ratio-ranges", "job_id": world.job_id}
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path).removeprefix("/api/v1")


@pytest.mark.parametrize("method, path", [(m, p) for m, p, _ in ROUTES])
def test_every_route_answers_401_without_a_token(api, world, method, path):
    r = api.request(method, _url(path, world), json={} if method in ("POST", "PATCH", "PUT") else None)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("method, path, route", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_route_by_role(api, world, method, path, route, role):
    action = _permissions(route.dependant)[0].action
    r = api.request(method, _url(path, world), headers=world.h(ROLE_USER[role]),
                    json={} if method in ("POST", "PATCH", "PUT") else None)
    body = r.json() if r.content else {}
    if scope_of(role, action) is None:
        assert r.status_code == 403 and body["code"] == "permission.denied", (r.status_code, body)
        assert set(body) <= {"type", "title", "status", "detail", "code"}  # no data in a refusal
    else:
        assert r.status_code not in (401, 500) and body.get("code") != "permission.denied", (r.status_code, body)
