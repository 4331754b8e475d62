"""`crm-server demo` data (server/demo.py): realistic, valid, made through the product's
services, and usable through the real app. Self-contained: its own SQLite database (and,
for the household finances, its own PostgreSQL database when CRM_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.demo import BOOKS, DEMO_PASSWORD, FINANCE_YEARS, HOUSEHOLDS_PER_BOOK, REF_DATE, seed_demo
from server.keys import create_key_file
from server.migrate import upgrade
from server.models import (
    ApprovalRequest,
    AuditLog,
    BalanceSheet,
    ChangeRecord,
    Customer,
    Household,
    IncomeStatement,
    Org,
    User,
)
from server.settings import Settings, get_settings
from shared.enums import ApprovalStatus, CustomerType, Role
from shared.passwords import password_errors
from shared.validators import id_consistency_errors, id_number_errors, phone_errors, uscc_errors
from tests.server.conftest import pg_admin_url

N = 300


@dataclass
class Demo:
    engine: Engine
    factory: sessionmaker[Session]
    settings: Settings
    logins: list[tuple[str, str, str]]


def _seeded(tmp: Path, n: int, url: str | None = None
            ) -> tuple[Engine, sessionmaker[Session], list[tuple[str, str, str]]]:
    engine = make_engine(url or f"sqlite:///{tmp / 'demo.sqlite3'}")
    upgrade(engine)
    create_key_file(tmp / "keys.json")
    factory = make_sessionmaker(engine, tmp / "keys.json")
    with factory() as db:
        logins = seed_demo(db, customers=n)
    return engine, factory, logins


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("demo")
    engine, factory, logins = _seeded(tmp, N)
    settings = get_settings(database_url=str(engine.url), key_file=str(tmp / "keys.json"), profile="development",
                            mfa_roles="")
    create_key_file(settings.resolved_key_file)
    yield Demo(engine, factory, settings, logins)
    engine.dispose()


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.settings, demo.factory), base_url="http://testserver/api/v1") as c:
        yield c


def _login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _personal(db: Session) -> list[Customer]:
    return list(db.scalars(select(Customer).where(Customer.type == CustomerType.PERSONAL).order_by(Customer.id)))


def test_password_meets_policy() -> None:
    assert password_errors(DEMO_PASSWORD, "admin") == []


def test_logins_cover_every_role(demo: Demo) -> None:
    usernames = [u for u, _r, _o in demo.logins]
    assert usernames[0] == "admin"
    assert len(usernames) == len(set(usernames))
    roles = {u: r for u, r, _o in demo.logins}
    assert {"admin": "head_office_admin", "teller": "teller", "manager": "account_manager",
            "president": "branch_manager", "auditor": "auditor"}.items() <= roles.items()
    assert set(roles.values()) == {str(r) for r in Role}


def test_org_tree(demo: Demo) -> None:
    with demo.factory() as db:
        rows = list(db.scalars(select(Org)))
    kinds = [o.kind for o in rows]
    assert kinds.count("head_office") == 1 and kinds.count("branch") == 3 and kinds.count("sub_branch") == 6
    by_id = {o.id: o for o in rows}
    for o in rows:
        if o.kind == "sub_branch":
            assert o.parent_id is not None
            assert by_id[o.parent_id].kind == "branch" and o.name.startswith(by_id[o.parent_id].name)


def test_personal_customers_are_valid_and_unique(demo: Demo) -> None:
    with demo.factory() as db:
        people = _personal(db)
    assert len(people) >= N
    ids = [c.id_number for c in people]
    assert len(set(ids)) == len(ids)
    for c in people:
        assert c.id_number is not None and c.birth_date is not None
        assert id_number_errors(c.id_number) == [], (c.name, c.id_number)
        assert id_consistency_errors(c.id_number, c.gender, c.birth_date) == [], (c.name, c.id_number)
        assert c.phone and phone_errors(c.phone) == [], (c.name, c.phone)
        age = (REF_DATE - c.birth_date).days // 365
        assert 20 <= age <= 80, (c.name, c.birth_date)
        assert 2 <= len(c.name) <= 4 and c.address and "杭州市" in c.address
        assert c.occupation and c.marital_status and c.education and c.income_band and c.lifecycle_stage
    phones = [c.phone for c in people]
    assert 0 < len(phones) - len(set(phones)) < len(phones) // 10  # a few families share a phone



def test_written_through_services(demo: Demo) -> None:
    """Customer numbers, history rows, audit rows and the auditor's approval exist."""
    with demo.factory() as db:
        n = db.scalar(select(func.count()).select_from(Customer))
        assert db.scalar(select(func.count(func.distinct(Customer.customer_no)))) == n
        assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customer.create")) == n
        req = db.scalars(select(ApprovalRequest).where(ApprovalRequest.kind == "user.grant_privileged")).one()
        assert req.status == ApprovalStatus.APPROVED and req.checker_id != req.maker_id
        zsf = db.scalars(select(Customer).where(Customer.name == "张三丰")).one()
        editors = set(db.scalars(select(ChangeRecord.actor_id).where(
            ChangeRecord.resource == "customer", ChangeRecord.resource_id == str(zsf.id),
            ChangeRecord.action == "update")))
        assert len(editors) >= 3
        manager = db.scalars(select(User).where(User.username == "manager")).one()
        assert zsf.manager_id == manager.id
        book = db.scalar(select(func.count()).select_from(Customer).where(Customer.manager_id == manager.id))
        assert book is not None and book >= 40


def test_corporate_customers(demo: Demo) -> None:
    with demo.factory() as db:
        corp = list(db.scalars(select(Customer).where(Customer.type == CustomerType.CORPORATE)))
        branches = {o.id for o in db.scalars(select(Org).where(Org.kind == "branch"))}
    assert len(corp) >= 10
    for c in corp:
        assert c.uscc and uscc_errors(c.uscc) == [], (c.name, c.uscc)
        assert c.name.endswith("有限公司") and c.org_id in branches and c.id_number is None
    assert len({c.uscc for c in corp}) == len(corp)


def test_every_login_works(demo: Demo, client: TestClient) -> None:
    for username, role, org in demo.logins:
        me = client.get("/auth/me", headers=_login(client, username))
        assert me.status_code == 200, me.text
        body = me.json()
        assert body["user"]["username"] == username and body["user"]["role"] == role
        assert body["org"]["name"] == org and not body["password_change_required"]


def test_manager_finds_zhang_sanfeng(client: TestClient) -> None:
    h = _login(client, "manager")
    for q in ("zsf", "zhangsanfeng", "张三丰"):
        r = client.get("/customers", params={"q": q}, headers=h)
        assert r.status_code == 200, r.text
        assert "张三丰" in [c["name"] for c in r.json()["items"]], q


def test_teller_sees_only_own_subtree(demo: Demo, client: TestClient) -> None:
    with demo.factory() as db:
        teller = db.scalars(select(User).where(User.username == "teller")).one()
        path = db.scalar(select(Org.path).where(Org.id == teller.org_id))
        subtree = set(db.scalars(select(Org.id).where(Org.path.startswith(path))))
        expected = set(db.scalars(select(Customer.id).where(Customer.org_id.in_(subtree))))
    assert 0 < len(expected) < N
    h = _login(client, "teller")
    seen: set[int] = set()
    page = 1
    while True:
        r = client.get("/customers", params={"page": page, "page_size": 100}, headers=h)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert all(c["org_id"] in subtree for c in items)
        seen |= {c["id"] for c in items}
        if len(items) < 100:
            break
        page += 1
    assert seen == expected


def test_deterministic(demo: Demo, tmp_path: Path) -> None:
    engine, factory, logins = _seeded(tmp_path, N)
    try:
        def rows(f: sessionmaker[Session]) -> list[tuple]:
            with f() as db:
                return [tuple(r) for r in db.execute(select(Customer.name, Customer.id_number, Customer.uscc,
                                                            Customer.phone, Customer.address, Customer.manager_id)
                                                     .order_by(Customer.id))]
        assert logins == demo.logins
        assert rows(factory) == rows(demo.factory)
        assert _finance_figures(factory) == _finance_figures(demo.factory)
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- household finance
@pytest.fixture(scope="module")
def pg_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The same demo in a PostgreSQL database of its own (never the shared test database,
    whose world would clash with the demo's users)."""
    admin = pg_admin_url()
    if admin is None:
        pytest.skip("CRM_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    name = f"crm_demo_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("pg-demo")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        engine, factory, logins = _seeded(tmp, N, url)
        settings = get_settings(database_url=url, key_file=str(tmp / "keys.json"), profile="development",
                                mfa_roles="")
        yield Demo(engine, factory, settings, logins)
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest) -> Demo:
    demo: Demo = request.getfixturevalue("demo" if request.param == "sqlite" else "pg_demo")
    return demo


@pytest.fixture(scope="module")
def seeded_client(seeded: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.settings, seeded.factory), base_url="http://testserver/api/v1") as c:
        yield c


@pytest.fixture(scope="module")
def manager_headers(seeded_client: TestClient) -> dict[str, dict[str, str]]:
    """Each account manager logged in once."""
    return {am: _login(seeded_client, am) for books in BOOKS.values() for am, _share in books}


def _households(db: Session) -> list[tuple[Customer, Household]]:
    return [(db.get_one(Customer, h.customer_id), h) for h in db.scalars(select(Household).order_by(Household.id))]


def _finance_figures(factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    """Every household, balance sheet and income table, by customer number; a line's
    member as the member's place in the household (ids may differ between databases)."""
    with factory() as db:
        numbers: dict[int, str] = {i: no for i, no in db.execute(select(Customer.id, Customer.customer_no))}
        out = []
        for c, h in sorted(_households(db), key=lambda x: x[0].customer_no):
            place = {m.id: m.position for m in h.members}
            sheets = db.scalars(select(BalanceSheet).where(BalanceSheet.customer_id == c.id)
                                .order_by(BalanceSheet.as_of))
            tables = db.scalars(select(IncomeStatement).where(IncomeStatement.customer_id == c.id)
                                .order_by(IncomeStatement.year))
            out.append((c.customer_no,
                        [(m.relation, m.name, m.birth_date, m.occupation, numbers.get(m.customer_id or 0))
                         for m in h.members],
                        [(s.as_of, [(x.type, x.label, x.amount_fen) for x in s.lines]) for s in sheets],
                        [(t.year, [(x.type, x.label, x.amount_fen, place.get(x.member_id or 0)) for x in t.lines])
                         for t in tables]))
        return out


def test_households_in_every_managers_book(seeded: Demo) -> None:
    with seeded.factory() as db:
        managers = {u.id: u.username for u in db.scalars(select(User).where(User.role == Role.ACCOUNT_MANAGER))}
        households = _households(db)
        per_book: dict[str, int] = defaultdict(int)
        relations: set[str] = set()
        for c, h in households:
            assert c.type == CustomerType.PERSONAL and c.manager_id in managers, c.name
            per_book[managers[c.manager_id]] += 1
            me = h.members[0]
            assert [m.relation for m in h.members].count("self") == 1
            assert (me.relation, me.name, me.birth_date, me.customer_id) == ("self", c.name, c.birth_date, c.id)
            for m in h.members:
                relations.add(m.relation)
                assert m.birth_date is not None and m.birth_date < REF_DATE and m.occupation, (c.name, m.name)
                assert 2 <= len(m.name) <= 4, m.name
                gap = m.birth_date.year - me.birth_date.year
                assert {"spouse": -12 <= gap <= 12, "child": gap >= 18, "parent": gap <= -18}.get(m.relation, True), \
                    (c.name, m.relation, m.name, m.birth_date)
                if m.customer_id is not None:  # a relative who banks here: their own record
                    linked = db.get_one(Customer, m.customer_id)
                    assert (linked.name, linked.birth_date) == (m.name, m.birth_date)
    assert set(per_book) == set(managers.values())
    assert all(3 <= n <= HOUSEHOLDS_PER_BOOK + 1 for n in per_book.values()), per_book
    assert relations >= {"self", "spouse", "child", "parent"}
    assert sum(len(h.members) > 1 for _c, h in households) >= 0.75 * len(households)


def test_each_household_has_two_years_of_statements(seeded: Demo) -> None:
    with seeded.factory() as db:
        households = _households(db)
        ids = {c.id for c, _h in households}
        spouses_named = 0
        for c, h in households:
            sheets = list(db.scalars(select(BalanceSheet).where(BalanceSheet.customer_id == c.id)
                                     .order_by(BalanceSheet.as_of)))
            tables = list(db.scalars(select(IncomeStatement).where(IncomeStatement.customer_id == c.id)
                                     .order_by(IncomeStatement.year)))
            assert [s.as_of for s in sheets] == [date(y, 12, 31) for y in FINANCE_YEARS], c.name
            assert [t.year for t in tables] == list(FINANCE_YEARS), c.name
            assert all(s.created_by == c.manager_id for s in [*sheets, *tables])
            relation = {m.id: m.relation for m in h.members}
            for t in tables:
                named = [relation[x.member_id] for x in t.lines if x.member_id is not None]
                assert named, (c.name, t.year)  # the income lines name whose income it is
                assert all(x.member_id is None or x.type in ("wages", "bonus", "business_income", "other_income")
                           for x in t.lines)
                spouses_named += {"self", "spouse"} <= set(named)
        # no statement of a customer without a household
        assert set(db.scalars(select(BalanceSheet.customer_id))) == ids
        assert set(db.scalars(select(IncomeStatement.customer_id))) == ids
        assert spouses_named >= len(households) // 2
        # written through the services by the account managers: the audit trail and the customers' history
        n = len(households)
        for action, expected in (("household.update", n), ("balance_sheet.create", 2 * n),
                                 ("income_statement.create", 2 * n)):
            rows = list(db.scalars(select(AuditLog).where(AuditLog.action == action)))
            assert len(rows) == expected, action
            assert {r.actor_id for r in rows} <= {c.manager_id for c, _h in households}
        assert db.scalar(select(func.count()).select_from(ChangeRecord).where(
            ChangeRecord.resource == "customer", ChangeRecord.field == "household")) == n


def test_every_verdict_in_every_book_and_a_year_to_compare(seeded: Demo, seeded_client: TestClient,
                                                          manager_headers: dict[str, dict[str, str]]) -> None:
    with seeded.factory() as db:
        usernames = {u.id: u.username for u in db.scalars(select(User))}
        books = [(usernames[c.manager_id or 0], c.id) for c, _h in _households(db)]
    seen: dict[str, set[tuple[str, str, str | None]]] = defaultdict(set)
    for am, cid in books:
        latest = seeded_client.get(f"/customers/{cid}/finance-analysis", headers=manager_headers[am])
        assert latest.status_code == 200, latest.text
        before = seeded_client.get(f"/customers/{cid}/finance-analysis", headers=manager_headers[am],
                                   params={"as_of": f"{FINANCE_YEARS[0]}-12-31", "year": FINANCE_YEARS[0]})
        assert before.status_code == 200, before.text
        now, then = latest.json(), before.json()
        assert now["balance_sheet_id"] != then["balance_sheet_id"]
        assert now["totals"]["net_worth"] != then["totals"]["net_worth"], cid  # compare with previous shows it
        for r in now["ratios"] + then["ratios"]:
            seen[am].add((r["code"], r["verdict"], r["reason"]))
    everywhere = set.union(*seen.values())
    for am, verdicts in seen.items():
        assert {v for _c, v, _r in verdicts} == {"healthy", "attention", "not_applicable"}, am
        assert ("liquid_to_debt", "not_applicable", "no_liabilities") in verdicts, am
    # the stretched households: too much debt for the assets, too much income to repay it, too little cash
    assert {("debt_ratio", "attention", None), ("debt_service", "attention", None),
            ("emergency_fund", "attention", None), ("savings_ratio", "attention", None)} <= everywhere
    assert {(code, "healthy", None) for code in ("savings_ratio", "investment_to_net_worth", "solvency",
                                                  "debt_ratio", "liquid_to_debt", "debt_service",
                                                  "emergency_fund")} <= everywhere


def test_zhang_sanfeng_has_the_full_picture(seeded: Demo, seeded_client: TestClient,
                                            manager_headers: dict[str, dict[str, str]]) -> None:
    h = manager_headers["manager"]
    cid = seeded_client.get("/customers", params={"q": "张三丰"}, headers=h).json()["items"][0]["id"]
    household = seeded_client.get(f"/customers/{cid}/household", headers=h).json()
    assert [m["relation"] for m in household["members"]][:3] == ["self", "spouse", "child"]
    assert len(household["members"]) >= 4
    tables = seeded_client.get(f"/customers/{cid}/income-statements", headers=h).json()["items"]
    assert [t["year"] for t in tables] == list(reversed(FINANCE_YEARS))
    assert all(len({x["member_id"] for x in t["lines"] if x["member_id"]}) >= 4 for t in tables)
    years = [seeded_client.get(f"/customers/{cid}/finance-analysis", headers=h,
                               params={"as_of": f"{y}-12-31", "year": y}).json() for y in FINANCE_YEARS]
    for a in years:
        verdicts = [r["verdict"] for r in a["ratios"]]
        assert "not_applicable" not in verdicts and {"healthy", "attention"} <= set(verdicts)
    then, now = ({r["code"]: r["verdict"] for r in a["ratios"]} for a in years)
    assert then != now  # a verdict changes from one year to the next
    assert float(years[1]["totals"]["net_worth"]) > float(years[0]["totals"]["net_worth"])


@pytest.mark.postgres
def test_the_same_figures_on_postgresql(pg_demo: Demo, demo: Demo) -> None:
    """One seed, one demo: PostgreSQL gets exactly the SQLite figures."""
    assert _finance_figures(pg_demo.factory) == _finance_figures(demo.factory)
