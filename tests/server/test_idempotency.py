"""Idempotency-Key (CONTRACT.md): the stored answer commits in the write's own
transaction, before the answer leaves — so a repeat right after the answer is replayed
(never 409 `in_progress`), and a write whose commit fails leaves neither the write nor a
stored answer behind."""
from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from server.models import Customer, IdempotencyRecord
from tests.server.conftest import id_number


def _new_customer(org_id: int, n: int) -> dict[str, object]:
    return {"name": "幂等测试", "gender": "male", "birth_date": "1991-01-01", "org_id": org_id,
            "id_number": id_number("110101", "19910101", n, True)}


def test_a_repeat_right_after_the_answer_is_replayed(live_server):
    live = live_server()
    with httpx.Client(base_url=live.url, timeout=30) as http:
        for n in range(20):
            h = {**live.h("am_a"), "Idempotency-Key": f"fast-{n}"}
            body = _new_customer(live.world.orgs["A1"], n)
            first = http.post("/customers", headers=h, json=body)
            again = http.post("/customers", headers=h, json=body)  # the moment the first answer is in
            assert first.status_code == 201, first.text
            assert again.status_code == 201, again.text
            assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    with live.factory() as db:
        assert db.scalar(select(func.count()).select_from(Customer).where(Customer.name == "幂等测试")) == 20


def test_concurrent_repeats_create_once(live_server):
    from concurrent.futures import ThreadPoolExecutor
    live = live_server()
    h = {**live.h("am_a"), "Idempotency-Key": "together"}
    body = _new_customer(live.world.orgs["A1"], 77)
    with httpx.Client(base_url=live.url, timeout=30) as http, ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _i: http.post("/customers", headers=h, json=body), range(12)))
    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.status_code in (201, 409) for a in answers), [a.status_code for a in answers]
    assert all(a.json()["code"] == "idempotency.in_progress" for a in answers if a.status_code == 409)
    assert len({a.json()["id"] for a in created}) == 1
    with live.factory() as db:
        assert db.scalar(select(func.count()).select_from(Customer).where(Customer.name == "幂等测试")) == 1


def test_a_failed_commit_leaves_neither_the_write_nor_an_answer(api, world, db, monkeypatch):
    from server import idempotency

    def broken_store(*_a, **_k):
        raise RuntimeError("disk full")

    key = f"fails-{uuid.uuid4().hex[:8]}"
    h = {**world.h("am_a"), "Idempotency-Key": key}
    body = _new_customer(world.orgs["A1"], 5)
    monkeypatch.setattr(idempotency, "store", broken_store)
    r = api.post("/customers", headers=h, json=body)
    assert r.status_code == 500
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.name == "幂等测试")) == 0
    assert db.get(IdempotencyRecord, (world.users["am_a"], key)) is None  # released: the retry runs
    monkeypatch.undo()
    r = api.post("/customers", headers=h, json=body)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers


@pytest.mark.parametrize("first_version_offset", [-1, 5])
def test_a_refused_write_releases_its_key_for_the_corrected_retry(api, world, first_version_offset):
    """A stale or impossible version gets 409; the client fixes the body and retries
    with the same key (it is the same save): that runs, it is not 'key reused'."""
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["version"]
    h = {**world.h("am_a"), "Idempotency-Key": "one-save"}
    r = api.patch(f"/customers/{cid}", headers=h, json={"occupation": "会计", "version": v + first_version_offset})
    assert r.status_code in (409, 422)
    r = api.patch(f"/customers/{cid}", headers=h, json={"occupation": "会计", "version": v})
    assert r.status_code == 200 and r.json()["version"] == v + 1
