"""`crm-server demo` data (server/demo.py): realistic, valid, made through the product's
services, and usable through the real app. Self-contained: its own SQLite database."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.demo import DEMO_PASSWORD, REF_DATE, seed_demo
from server.keys import create_key_file
from server.migrate import upgrade
from server.models import ApprovalRequest, AuditLog, ChangeRecord, Customer, Org, User
from server.settings import Settings, get_settings
from shared.enums import ApprovalStatus, CustomerType, Role
from shared.passwords import password_errors
from shared.validators import id_consistency_errors, id_number_errors, phone_errors, uscc_errors

N = 300


@dataclass
class Demo:
    engine: Engine
    factory: sessionmaker[Session]
    settings: Settings
    logins: list[tuple[str, str, str]]


def _seeded(tmp: Path, n: int) -> tuple[Engine, sessionmaker[Session], list[tuple[str, str, str]]]:
    engine = make_engine(f"sqlite:///{tmp / 'demo.sqlite3'}")
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
    finally:
        engine.dispose()
