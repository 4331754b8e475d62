"""A customer's household (CONTRACT.md: `GET|PUT /customers/{id}/household`): the
members with their relation, birth date, occupation and own customer record; members
kept by id across saves; optimistic concurrency; field-level errors; who may."""
from __future__ import annotations

import pytest

FAMILY = [{"name": "张三丰", "relation": "self", "birth_date": "1990-03-07", "occupation": "工程师"},
          {"name": "李秀英", "relation": "spouse", "birth_date": "1991-05-01"},
          {"name": "张小宝", "relation": "child", "birth_date": "2020-09-01"}]


def url(world, key="main"):  # type: ignore[no-untyped-def]
    return f"/customers/{world.customers[key]}/household"


def put(api, world, members, version, user="am_a", key="main"):  # type: ignore[no-untyped-def]
    return api.put(url(world, key), headers=world.h(user), json={"version": version, "members": members})


def test_a_household_is_empty_until_saved_then_kept_with_its_members(api, world):
    first = api.get(url(world), headers=world.h("am_a")).json()
    assert first == {"id": None, "customer_id": world.customers["main"], "members": [], "version": 0}
    r = put(api, world, FAMILY, 0)
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["version"] == 1 and h["id"] and [m["relation"] for m in h["members"]] == ["self", "spouse", "child"]
    assert all(m["id"] for m in h["members"]) and h["members"][1]["birth_date"] == "1991-05-01"
    assert api.get(url(world), headers=world.h("bm_a")).json() == h


def test_members_keep_their_ids_when_saved_again_and_those_left_out_go(api, world):
    h = put(api, world, FAMILY, 0).json()
    spouse = h["members"][1]
    changed = [dict(spouse, occupation="教师"), {"name": "张老太", "relation": "parent"}]
    r = put(api, world, changed, 1)
    assert r.status_code == 200, r.text
    members = r.json()["members"]
    assert members[0]["id"] == spouse["id"] and members[0]["occupation"] == "教师"
    assert members[1]["id"] not in {m["id"] for m in h["members"]}
    assert r.json()["version"] == 2
    history = api.get(f"/customers/{world.customers['main']}/history", headers=world.h("bm_a")).json()["items"]
    top = next(e for e in history if e["field"] == "household")
    assert top["new"] == "spouse: 李秀英 (1991-05-01); parent: 张老太" and "child: 张小宝" in top["old"]


def test_a_stale_version_is_409_with_the_household_as_it_is(api, world):
    put(api, world, FAMILY, 0)
    r = put(api, world, FAMILY[:1], 0, user="bm_a")
    assert r.status_code == 409 and r.json()["code"] == "resource.version_conflict"
    assert r.json()["current"]["version"] == 1 and len(r.json()["current"]["members"]) == 3


@pytest.mark.parametrize("members, field, code", [
    ([{"name": "", "relation": "child"}], "members[0].name", "field.required"),
    ([{"name": "  ", "relation": "child"}], "members[0].name", "field.required"),
    ([{"name": "x", "relation": "cousin"}], "members[0].relation", "field.invalid_choice"),
    ([{"name": "x", "relation": "child", "birth_date": "2999-01-01"}], "members[0].birth_date",
     "customer.birth_date.future"),
    ([{"name": "a", "relation": "self"}, {"name": "b", "relation": "self"}], "members[1].relation",
     "household.members.second_self"),
    ([{"id": 2**31 - 1, "name": "x", "relation": "child"}], "members[0].id", "household.members.id.unknown"),
    ([{"name": "x", "relation": "child", "customer_id": 2**31}], "members[0].customer_id", "field.invalid"),
])
def test_a_bad_member_is_refused_naming_its_field_and_nothing_changes(api, world, members, field, code):
    r = put(api, world, members, 0)
    assert r.status_code == 422, r.text
    assert (field, code) in [(e["field"], e["code"]) for e in r.json()["errors"]], r.json()
    assert api.get(url(world), headers=world.h("am_a")).json()["version"] == 0


def test_a_member_links_a_customer_the_user_can_look_up_only(api, world):
    inside = put(api, world, [{"name": "李四", "relation": "other", "customer_id": world.customers["a_other"]}], 0)
    assert inside.status_code == 200 and inside.json()["members"][0]["customer_id"] == world.customers["a_other"]
    outside = put(api, world, [{"name": "王五", "relation": "other", "customer_id": world.customers["b"]}], 1)
    assert outside.status_code == 422
    assert outside.json()["errors"][0] == {**outside.json()["errors"][0], "field": "members[0].customer_id",
                                           "code": "household.members.customer_id.not_found"}


@pytest.mark.parametrize("user, key, status", [
    ("teller_a1", "main", 403), ("am_a", "a_other", 404), ("bm_b", "main", 404), ("bm_a", "a_other", 200),
    ("auditor", "main", 403)])
def test_who_may_keep_a_household(api, world, user, key, status):
    assert put(api, world, FAMILY[:1], 0, user=user, key=key).status_code == status
    assert api.get(url(world, key), headers=world.h(user)).status_code == (200 if status == 200 else status)
