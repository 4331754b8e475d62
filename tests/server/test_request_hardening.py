"""What an attacker sends that no form would: ids past the integer range, bodies without
Content-Length, malformed JSON, `null` and `true` where they do not belong, trailing
slashes, naive times — each a clean 4xx, and an error never breaks the connection."""
from __future__ import annotations

import json
import re
import socket
from urllib.parse import urlsplit

import pytest

from server.app import api_routes

HUGE = [2**31, 2**31 + 1, 2**63, 2**64 + 5, 10**30]


def _routes_with_ids() -> list[tuple[str, str]]:
    return [(m, p.removeprefix("/api/v1")) for m, p, _r in api_routes() if "_id}" in p]


#: One user who may call each resource's routes (so the answer is about the id, not the role).
CALLER = {"customers": "bm_a", "users": "admin", "orgs": "admin", "approvals": "admin", "jobs": "admin",
          "archive": "bm_a"}


@pytest.mark.parametrize("method, path", _routes_with_ids())
@pytest.mark.parametrize("huge", HUGE)
def test_an_id_past_the_integer_range_in_a_path_is_404(api, world, method, path, huge):
    user = "auditor" if path.endswith("/history") and not path.startswith("/customers") else \
        CALLER[path.split("/")[1]]
    url = re.sub(r"\{\w+_id\}", str(huge), path)
    r = api.request(method, url, headers=world.h(user), json={"version": 1} if method != "GET" else None)
    assert r.status_code == 404, (r.status_code, r.text)
    assert r.json()["code"] == "resource.not_found"


def test_a_path_id_that_is_not_a_number_is_404(api, world):
    for url in ("/customers/abc", "/customers/-1", "/customers/0", "/customers/1e3", "/users/%20"):
        assert api.get(url, headers=world.h("bm_a" if "customers" in url else "admin")).status_code == 404


@pytest.mark.parametrize("huge", HUGE)
def test_an_id_past_the_integer_range_in_a_query_is_422(api, world, huge):
    for url, user, name in (("/customers", "bm_a", "org_id"), ("/customers", "bm_a", "manager_id"),
                            ("/users", "admin", "org_id"), ("/audit", "auditor", "actor_id")):
        r = api.get(url, params={name: huge}, headers=world.h(user))
        assert r.status_code == 422, (url, name, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [name]


def _string_query_parameters() -> list[tuple[str, str]]:
    """(path, parameter) of every GET route's string query parameter, from the routes'
    own OpenAPI description (a new one is covered without being listed here)."""
    from server.app import create_app
    from server.settings import Settings
    spec = create_app(Settings(database_url="sqlite://")).openapi()
    found = []
    for path, ops in spec["paths"].items():
        for p in ops.get("get", {}).get("parameters", []):
            schema = p.get("schema", {})
            kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if p["in"] == "query" and "string" in kinds and not (schema.get("format") or "enum" in schema
                                                                  or any("enum" in s or "format" in s or "$ref" in s
                                                                         for s in schema.get("anyOf", []))):
                found.append((path.removeprefix("/api/v1"), p["name"]))
    return found


STRING_QUERIES = _string_query_parameters()
CALLER_OF = {"customers": "bm_a", "users": "admin", "audit": "auditor", "archive": "bm_a"}


def test_the_string_query_parameters_are_found():
    assert {("/customers", "q"), ("/users", "q"), ("/audit", "action"), ("/audit", "object_id")} <= \
        set(STRING_QUERIES)


@pytest.mark.parametrize("path, name", STRING_QUERIES)
@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\x1b[2J", "\x7f"])
def test_control_characters_in_a_query_parameter_are_a_field_error(api, world, path, name, value):
    """PostgreSQL refuses NUL in text: such a value reached it and answered 500."""
    r = api.get(path, params={name: value}, headers=world.h(CALLER_OF[path.split("/")[1]]))
    assert r.status_code == 422, (path, name, r.text)
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {(name, "field.control_characters")}


@pytest.mark.parametrize("huge", HUGE)
def test_an_id_past_the_integer_range_in_a_body_is_422(api, world, huge):
    cases = [
        ("POST", "/customers", "am_a", {"name": "测试", "gender": "male", "birth_date": "1990-03-07",
                                        "id_number": "11010119900307451X", "org_id": huge}, "org_id"),
        ("PATCH", f"/customers/{world.customers['main']}", "bm_a", {"version": 1, "manager_id": huge},
         "manager_id"),
        ("PATCH", f"/customers/{world.customers['main']}", "am_a", {"version": huge, "phone": "13900000000"},
         "version"),
        ("PATCH", f"/users/{world.users['teller_b']}", "admin", {"version": 1, "org_id": huge}, "org_id"),
        ("POST", "/orgs", "admin", {"code": "X1", "name": "X", "kind": "branch", "parent_id": huge}, "parent_id"),
        ("POST", f"/approvals/{world.approval_id}/approve", "admin", {"version": huge}, "version"),
    ]
    for method, url, user, body, field in cases:
        r = api.request(method, url, headers=world.h(user), json=body)
        assert r.status_code == 422, (url, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], r.json()


def test_true_is_not_an_id_and_a_string_is_not_a_number(api, world):
    r = api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"),
                  json={"version": 1, "org_id": True})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "org_id"
    r = api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"), json={"version": "1"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "version"
    r = api.post("/users", headers=world.h("admin"), json={
        "username": "strict.one", "password": "Strict-Types-2026", "display_name": "S", "role": "teller",
        "org_id": world.orgs["A1"], "must_change_password": "yes"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "must_change_password"


@pytest.mark.parametrize("field", ["role", "org_id", "display_name", "position"])
def test_null_for_a_user_field_that_must_exist_is_422_not_ignored(api, world, db, field):
    r = api.patch(f"/users/{world.users['teller_b']}", headers=world.h("admin"), json={"version": 1, field: None})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("field", ["name", "org_id"])
def test_null_for_a_customer_field_that_must_exist_is_422(api, world, field):
    r = api.patch(f"/customers/{world.customers['main']}", headers=world.h("bm_a"),
                  json={"version": 1, field: None})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


def test_naive_times_in_audit_filters_are_422(api, world):
    for name in ("since", "until"):
        r = api.get("/audit", params={name: "2026-01-01T00:00:00"}, headers=world.h("auditor"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == name
    r = api.get("/audit", params={"since": "2026-01-01T00:00:00Z", "until": "2030-01-01T08:00:00+08:00"},
                headers=world.h("auditor"))
    assert r.status_code == 200


def test_like_wildcards_in_a_user_search_are_plain_characters(api, world):
    for q in ("%", "%%", "a%", "%_%"):
        r = api.get("/users", params={"q": q}, headers=world.h("admin"))
        assert r.status_code == 200 and r.json()["total"] == 0, q
    # "_" is a literal underscore: it finds the usernames that have one, not every name
    with_underscore = [u for u in world.users if "_" in u]
    assert api.get("/users", params={"q": "_"}, headers=world.h("admin")).json()["total"] == len(with_underscore)


def test_a_trailing_slash_is_404_never_a_redirect(api, world):
    for path, user in (("/customers/", "am_a"), ("/users/", "admin"), ("/orgs/", "admin"),
                       (f"/customers/{world.customers['main']}/", "am_a"), ("/audit/", "auditor")):
        r = api.get(path, headers=world.h(user), follow_redirects=False)
        assert r.status_code == 404, (path, r.status_code)


@pytest.mark.parametrize("body", [
    b'{"username": "\xff\xfe", "password": "x"}',  # not UTF-8
    b"[" * 100_000 + b"]" * 100_000,  # nested past any real document
    b'{"username": "a", "password": "b"',  # cut off
])
def test_malformed_json_is_invalid_json_on_every_route(api, world, body):
    for path, headers in (("/auth/login", {}), ("/customers", world.h("am_a"))):
        r = api.post(path, content=body, headers={**headers, "content-type": "application/json"})
        assert r.status_code == 422, (path, r.text)
        assert r.json()["errors"][0]["code"] == "request.invalid_json"


def test_a_chunked_body_past_the_limit_is_413(make_client, world):
    api = make_client(max_body_bytes=10_000)
    sent = []

    def stream():  # no Content-Length: Transfer-Encoding: chunked
        for _ in range(1000):
            sent.append(1)
            yield b" " * 1000

    for path, headers in (("/auth/login", {}), ("/customers", world.h("am_a"))):
        sent.clear()
        r = api.post(path, content=stream(), headers={**headers, "content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "request.too_large"
    r = api.post("/customers", content=stream(), headers={**world.h("am_a"), "content-type": "application/json",
                                                          "Idempotency-Key": "chunked-1"})
    assert r.status_code == 413


def _raw_request(sock: socket.socket, host: str, method: str, path: str, token: str, body: bytes = b"") -> str:
    sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        rest += sock.recv(65536)
    return head.split(b"\r\n")[0].decode() + "\n" + rest.decode()


def test_after_a_500_the_same_connection_serves_the_next_request(live_server, monkeypatch):
    live = live_server()
    from server.services import customers

    def broken(*_a, **_k):  # a bug somewhere in a service
        raise RuntimeError("boom")

    monkeypatch.setattr(customers, "read", broken)
    url = urlsplit(live.url)
    token = live.world.tokens["am_a"]
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        first = _raw_request(sock, url.netloc, "GET", f"/api/v1/customers/{live.world.customers['main']}", token)
        assert first.startswith("HTTP/1.1 500")
        body = json.loads(first.split("\n", 1)[1])
        assert body["code"] == "server.internal_error" and "boom" not in first
        second = _raw_request(sock, url.netloc, "GET", "/api/v1/auth/me", token)
        assert second.startswith("HTTP/1.1 200")
