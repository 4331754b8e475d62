"""Name search (R-202) as a teller types it: fragments, pinyin prefixes of any length,
initials, the surname's other readings; one list in pinyin order, paged without
duplicates or gaps, within the caller's scope. The rules (server/search.py) first, then
the search through the API on SQLite and PostgreSQL."""
from __future__ import annotations

import itertools
import random

import pytest
from sqlalchemy import select

from server.models import Customer, CustomerSearchKey
from server.search import (
    SORT_LETTERS,
    index_entry,
    is_identifier_query,
    keys_for_name,
    name_query,
    normalise_name,
    prefix_range,
    sort_code,
    sort_key,
)
from server.services import customers
from shared.permissions import Action
from shared.schemas import CustomerCreate
from tests.server.conftest import actor_for, id_number


# ============================================================================ the rules
def test_a_chinese_name_keeps_its_fragments_and_initials_not_its_own_pinyin():
    assert keys_for_name("张三丰") == {"张", "三", "丰", "张三", "三丰", "张三丰", "zs", "zsf"}


def test_initials_that_spell_the_start_of_the_pinyin_are_left_to_the_pinyin_range():
    assert keys_for_name("张辉") == {"张", "辉", "张辉"}  # zh = the start of zhanghui
    assert "zh" in keys_for_name("邹华")  # zouhua: zh only as initials


def test_an_alternate_surname_reading_is_typed_like_the_primary_one():
    primary, *_ = index_entry("单田芳").sort_key.split()
    assert primary == "dantianfang"
    keys = keys_for_name("单田芳")
    assert {"s", "sh", "shan", "shant", "shantian", "shantianfang", "st", "stf"} <= keys
    assert not {"d", "da", "dan", "dant", "dantianfang"} & keys  # the primary spelling is the range's


def test_given_names_are_read_one_way_only():
    # 曾 (ceng, zeng) as a surname keeps its surname reading; 可 (ke, ge) in the given name does not
    assert "zengke" in keys_for_name("曾可") and not {"zengge", "cengge"} & keys_for_name("曾可")
    assert not {"g", "ge"} & keys_for_name("张可")


@pytest.mark.parametrize(("name", "not_typed"), [
    ("王小明", {"y", "yu", "yux", "yuxiaoming", "yxm"}),  # 王 wang/yu: yu is no surname
    ("董可", {"z", "zh", "zhong", "zhongke", "zk"}),  # 董 dong/zhong
    ("吴刚", {"t", "tu", "tun", "tungang", "tg"}),  # 吴 wu/tun
    ("朱华", {"s", "sh", "shu", "shuhua"}),  # 朱 zhu/shu
])
def test_a_reading_a_surname_never_takes_is_no_key(name, not_typed):
    """pypinyin lists every reading of a character; a surname is read as SURNAME_READINGS
    says (every 王 used to be listed first for "yu")."""
    assert not not_typed & keys_for_name(name)


@pytest.mark.parametrize(("name", "typed"), [
    ("曾国藩", {"zeng", "zengguofan", "zgf"}), ("解缙", {"xie", "xiejin", "xj"}), ("区永", {"ou", "ouyong", "oy"}),
    ("仇英", {"qiu", "qiuying", "qy"}), ("朴树", {"piao", "piaoshu", "ps"}), ("尉迟恭", {"yu", "yuchigong", "ycg"}),
    ("万俟卨", {"mo", "moqi"}), ("查良镛", {"zha", "zhaliangyong", "zly"}), ("翟天临", {"zhai", "zhaitianlin"}),
    ("覃斌", {"qin", "qinbin", "qb"}), ("单于", {"chan", "chanyu"}),
])
def test_a_polyphonic_surname_is_found_by_its_surname_reading(name, typed):
    assert typed <= keys_for_name(name)


def test_a_latin_name_is_found_by_its_later_words():
    keys = keys_for_name("John Smith")
    assert {"smith", "smi", "ohn"} <= keys
    assert not {"j", "jo", "joh", "john"} & keys  # the start of johnsmith: the range's


def test_minority_name_with_middle_dot_is_normalised():
    assert normalise_name("买买提·艾力") == "买买提艾力"
    assert name_query("艾力") is not None and name_query("艾力").key == "艾力"


def test_a_long_query_looks_up_a_fragment_and_is_confirmed_against_the_name():
    q = name_query("阿不都热合曼买买提")
    assert q is not None and (q.key, q.contain, q.prefix) == ("阿不都", "阿不都热合曼买买提", None)
    # a fragment that is all letters may be the start of a spelling, which is not stored
    q = name_query("abc'def")
    assert q is not None and q.key == "bc'"


def test_latin_queries_are_a_key_and_a_prefix():
    q = name_query("ZhangSanFeng")
    assert q is not None and (q.key, q.prefix) == ("zhangsanfeng", "zhangsanfeng")


def test_identifier_queries_skip_the_name_keys():
    for q in ("110101199003074514", "11010519491231002x", "+86 139 1234 5678", "c0000000001", "91110000600037341L"):
        assert is_identifier_query(q), q
    for q in ("zsf", "张三", "John Smith", "张3"):
        assert not is_identifier_query(q), q


def test_sort_code_orders_by_pinyin():
    assert sorted(["王五", "李四", "张三", "张", "张三丰", "阿宝"], key=sort_code) == \
        ["阿宝", "李四", "王五", "张", "张三", "张三丰"]


def test_sort_code_is_the_order_of_the_first_13_letters():
    rng = random.Random(5)
    words = ["".join(rng.choice("abcz") for _ in range(rng.randint(0, 16))) for _ in range(400)]
    words += ["", "a", "z", "zzzzzzzzzzzzz", "zzzzzzzzzzzzzz", "aaaaaaaaaaaaa"]
    for a, b in itertools.combinations(words, 2):
        ca, cb = sort_code(a), sort_code(b)
        assert (ca < cb) == (a[:13] < b[:13]) and (ca == cb) == (a[:13] == b[:13]), (a, b)
        assert -2**63 <= ca < 2**63


def test_prefix_range_holds_exactly_the_spellings_that_start_with_the_prefix():
    rng = random.Random(9)
    words = ["".join(rng.choice("abyz") for _ in range(rng.randint(1, 15))) for _ in range(300)]
    for q in ["a", "z", "zy", "abab", "zzzzzzzzzzzzz", "zzzzzzzzzzzzzz", *words[:40]]:
        lo, hi = prefix_range(q)
        for w in words:
            assert (lo <= sort_code(w) <= hi) == w[:13].startswith(q[:13]), (q, w)


def test_sort_key_holds_the_whole_spelling_for_prefixes_longer_than_the_sort_code():
    assert sort_key("庄双双") == "zhuangshuangshuang 庄双双"
    assert sort_code("庄双双") == sort_code("zhuangshuangsh")  # 13 letters alike
    assert SORT_LETTERS == 13


def test_no_key_is_a_prefix_of_the_names_own_spelling():
    """What makes the two walks disjoint: a customer is either in the pinyin range of a
    Latin query or has it as a key, never both."""
    for name in ("张三丰", "张辉", "周华", "单田芳", "曾可", "John Smith", "欧阳娜娜", "𠮷祥", "A张", "王小明"):
        entry = index_entry(name)
        spelling = entry.sort_key.split(" ", 1)[0]
        assert not [k for k in entry.keys if spelling.startswith(k)], name


def test_index_entry_is_what_the_separate_functions_give():
    for name in ("张三丰", "单田芳", "John Smith", "买买提·艾力"):
        e = index_entry(name)
        assert (e.sort_code, e.sort_key, set(e.keys)) == (sort_code(name), sort_key(name), keys_for_name(name))


def test_extension_b_character_is_kept():
    assert "𠮷" in keys_for_name("𠮷祥")


# ============================================================================ through the API
#: (name, org) added to the world, whose customers are 张三丰 (A1), 李四 (A), 王五 (B1), 张伟 (B)
PEOPLE = [("张辉", "A1"), ("周华", "A1"), ("邹华", "A1"), ("臧华", "A1"), ("单田芳", "A1"), ("曾可", "A1"),
          ("庄双双", "A1"), ("欧阳娜娜", "A1"), ("John Smith", "A1"), ("左辉", "A2"), ("朱华", "A2"), ("张飞", "B1")]


@pytest.fixture
def people(api, db_factory, world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The API first: it attaches the field cipher the customers are stored with."""
    ids: dict[str, int] = {}
    with db_factory() as db:
        for i, (name, org) in enumerate(PEOPLE):
            creator = "am_b" if org.startswith("B") else "am_a"
            actor = actor_for(db, world.users[creator], Action.CUSTOMER_CREATE)
            idn = id_number("330106", f"1980{1 + i % 12:02d}15", i, True)
            c = customers.create(db, actor, CustomerCreate(name=name, gender="male", birth_date=f"{idn[6:10]}-"
                                                           f"{idn[10:12]}-{idn[12:14]}", id_number=idn,
                                                           phone="13600000000", org_id=world.orgs[org]))
            ids[name] = c.id
        db.commit()
    return ids


def found(api, world, q: str, user: str = "bm_a", **params: object) -> list[str]:  # type: ignore[no-untyped-def]
    r = api.get("/customers", headers=world.h(user), params={"q": q, "page_size": 200, **params})
    assert r.status_code == 200, r.text
    return [c["name"] for c in r.json()["items"]]


@pytest.mark.parametrize(("q", "expected"), [
    ("张", ["张辉", "张三丰"]),  # a 1-character surname, in pinyin order (zhanghui < zhangsanfeng)
    ("三丰", ["张三丰"]),
    ("张三丰", ["张三丰"]),
    ("欧阳娜娜", ["欧阳娜娜"]),  # longer than the stored fragments: confirmed against the name
    ("欧阳娜美", []),
    ("阳娜娜", ["欧阳娜娜"]),
    ("zs", ["张三丰", "庄双双"]), ("zsf", ["张三丰"]), ("ZSF", ["张三丰"]),  # initials (庄双双: zss)
    ("oynn", ["欧阳娜娜"]),
    ("zhan", ["张辉", "张三丰"]),
    ("zhangsanf", ["张三丰"]),  # longer than the 8 letters the first version stored
    ("zhangsanfeng", ["张三丰"]),
    ("zhuangshuangsh", ["庄双双"]),  # longer than the sort code's 13 letters
    ("zhuangshuangsx", []),
    ("zhuangshuangshuang", ["庄双双"]),
    ("shan", ["单田芳"]), ("dan", ["单田芳"]), ("stf", ["单田芳"]), ("shantianfang", ["单田芳"]),  # 单: dan / shan
    ("zeng", ["曾可"]), ("ceng", ["曾可"]),
    ("john", ["John Smith"]), ("smith", ["John Smith"]), ("Smi", ["John Smith"]),
])
def test_what_a_teller_types_finds_whom_they_expect(api, world, people, q, expected):
    assert found(api, world, q) == expected


#: "zh" as bm_a (branch A) sees it: 臧华 zanghua, 邹华 zouhua and 左辉 zuohui have zh as
#: initials (keys); the others' pinyin starts with zh (the range)
ZH = ["臧华", "张辉", "张三丰", "周华", "庄双双", "朱华", "邹华", "左辉"]


def test_pinyin_prefix_lists_both_walks_in_pinyin_order_once_each(api, world, people):
    assert found(api, world, "zh") == ZH
    assert found(api, world, "zh", sort="-name") == ZH[::-1]
    # 曾可 (ceng ke) is found by its surname's other reading zeng, and listed under c
    assert found(api, world, "z") == ["曾可", "臧华", "张辉", "张三丰", "周华", "庄双双", "朱华", "邹华", "左辉"]


def test_paging_over_both_walks_has_no_duplicates_or_gaps(api, world, people):
    everyone = found(api, world, "z")
    for size in (1, 2, 4):
        pages = []
        for page in itertools.count(1):
            body = api.get("/customers", headers=world.h("bm_a"),
                           params={"q": "z", "page": page, "page_size": size}).json()
            assert body["total"] == len(everyone) and body["total_capped"] is False
            if not body["items"]:
                break
            pages += [c["name"] for c in body["items"]]
        assert pages == everyone, size


@pytest.mark.parametrize(("cap", "total", "capped"), [(20, 8, False), (8, 8, False), (7, 7, True), (5, 5, True),
                                                     (1, 1, True)])
def test_capped_count_over_both_walks(world, people, make_client, cap, total, capped):
    """"zh": 3 customers by key, 5 by range; "1000+" means more than the cap in all."""
    body = make_client(search_count_cap=cap).get("/customers", headers=world.h("bm_a"), params={"q": "zh"}).json()
    assert (body["total"], body["total_capped"]) == (total, capped)
    assert [c["name"] for c in body["items"]] == ZH[:20]  # the page itself is not capped


def test_other_filters_and_sorts_apply_to_both_walks(api, world, people):
    assert found(api, world, "zh", org_id=world.orgs["A2"]) == ["朱华", "左辉"]
    assert found(api, world, "zh", manager_id=world.users["am_a"]) == ZH
    assert found(api, world, "zh", manager_id=world.users["am_a2"]) == []
    assert found(api, world, "zh", type="corporate") == []
    by_creation = found(api, world, "zh", sort="created_at")
    assert sorted(by_creation) == sorted(found(api, world, "zh")) and by_creation[0] == "张三丰"  # the world's, first


@pytest.mark.parametrize("q", ["zh", "z", "zs", "张", "zhang"])
def test_scope_applies_to_both_walks(api, world, people, q):
    """A teller of sub-branch A1 never sees A2's or branch B's customers, by key or by range."""
    a1 = {"张三丰", "张辉", "周华", "邹华", "臧华", "曾可", "庄双双"}
    assert set(found(api, world, q, "teller_a1")) <= a1
    assert not {"左辉", "朱华", "张伟", "张飞"} & set(found(api, world, q, "teller_a1"))
    assert set(found(api, world, q, "teller_b")) <= {"张飞"}
    assert not {"张伟"} & set(found(api, world, q, "bm_a"))


def test_teller_counts_only_their_own(api, world, people):
    body = api.get("/customers", headers=world.h("teller_a1"), params={"q": "zh"}).json()
    assert [c["name"] for c in body["items"]] == ["臧华", "张辉", "张三丰", "周华", "庄双双", "邹华"]
    assert body["total"] == 6


def test_renaming_and_moving_rewrite_the_keys(api, world, people, db):
    cid = people["邹华"]
    v = api.get(f"/customers/{cid}", headers=world.h("bm_a")).json()["version"]
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"name": "单雄信", "version": v})
    assert r.status_code == 200, r.text
    assert "单雄信" in found(api, world, "shanx") and "单雄信" in found(api, world, "dxx")
    assert "单雄信" not in found(api, world, "zh") and found(api, world, "邹") == found(api, world, "zou") == []
    r = api.patch(f"/customers/{cid}", headers=world.h("bm_a"), json={"org_id": world.orgs["A2"], "version": v + 1})
    assert r.status_code == 200, r.text
    for q in ("shan", "dan", "单雄信", "dxx"):
        assert "单雄信" not in found(api, world, q, "teller_a1"), q
        assert "单雄信" in found(api, world, q, "bm_a"), q
    rows = db.execute(select(CustomerSearchKey.sort_code, CustomerSearchKey.org_id)
                      .where(CustomerSearchKey.customer_id == cid)).all()
    c = db.get(Customer, cid)
    assert rows and set(rows) == {(c.sort_code, world.orgs["A2"])}
    assert {k for (k,) in db.execute(select(CustomerSearchKey.key).where(CustomerSearchKey.customer_id == cid))} \
        == keys_for_name("单雄信")
