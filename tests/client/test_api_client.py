"""The client API's requests, seen through a stub transport (no server needed)."""
from __future__ import annotations

import json

import httpx

from client.api.client import ApiClient
from shared.enums import CustomerSort, CustomerType
from shared.schemas import CustomerQuery

EMPTY_PAGE = {"items": [], "total": 0, "page": 1, "page_size": 50}


def recording(answer: dict) -> tuple[ApiClient, list[httpx.Request]]:  # type: ignore[type-arg]
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)
    return ApiClient("http://crm.test", transport=httpx.MockTransport(handle)), seen


def test_a_search_sends_the_querys_parameters_and_paging():
    api, seen = recording(EMPTY_PAGE)
    api.search_customers(CustomerQuery(q="张 三", org_id=3, manager_id=7, type=CustomerType.CORPORATE,
                                       sort=CustomerSort.NAME_DESC), page=2, page_size=20)
    api.search_customers(CustomerQuery())
    assert [r.url.path for r in seen] == ["/api/v1/customers"] * 2
    assert dict(seen[0].url.params) == {"q": "张 三", "org_id": "3", "manager_id": "7", "type": "corporate",
                                        "sort": "-name", "page": "2", "page_size": "20"}
    assert dict(seen[1].url.params) == {"page": "1", "page_size": "50"}  # defaults are not sent


def test_a_login_sends_the_device_token_only_when_there_is_one():
    answer = {"access_token": "t", "expires_at": "2030-01-01T00:00:00Z", "device_token": "d" * 43,
              "user": {"id": 1, "username": "teller", "display_name": "柜员", "role": "teller", "org_id": 2,
                       "position": "staff", "locked": False, "version": 1}}
    api, seen = recording(answer)
    assert api.login("teller", "pw").device_token == "d" * 43
    api.login("teller", "pw", "d" * 43)
    assert [json.loads(r.content) for r in seen] == [
        {"username": "teller", "password": "pw"},
        {"username": "teller", "password": "pw", "device_token": "d" * 43}]
