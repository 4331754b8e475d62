"""Data scope over random org trees (hypothesis): for every role and every customer
action, the customers `server/access.py` lets a user reach — as a SQL filter and as a
row check — are exactly those the spec's scope names, computed here from the tree's
parent links (not from the materialised paths the server uses)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import access
from server.db import make_engine, make_sessionmaker
from server.keys import create_key_file
from server.migrate import upgrade
from server.models import Customer, User
from server.services import customers, orgs
from shared.enums import OrgKind, Position, Role
from shared.permissions import Action, Resource, Scope, scope_of
from shared.schemas import CustomerCreate, OrgCreate
from tests.server.conftest import actor_for, id_number

CUSTOMER_ACTIONS = (Action.CUSTOMER_LOOKUP, Action.CUSTOMER_READ_FULL, Action.CUSTOMER_EDIT,
                    Action.CUSTOMER_EDIT_CONTACT, Action.CUSTOMER_HISTORY, Action.CUSTOMER_FINANCE_READ,
                    Action.CUSTOMER_STATEMENT_PRINT)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("scope")
    db_file, keys = tmp / "template.sqlite3", tmp / "keys.json"
    engine = make_engine(f"sqlite:///{db_file}")
    upgrade(engine)
    create_key_file(keys)
    with make_sessionmaker(engine, keys)() as db:
        orgs.ensure_head_office(db)
        db.commit()
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file copied
    return db_file, keys


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, list[int]]:
    """A tree of branches and sub-branches (parents by index; 0 is the head office),
    users (role, org) and customers (org, manager: an index into the users or -1)."""
    branches = draw(st.integers(1, 4))
    parents = [0] * branches + draw(st.lists(st.integers(1, branches), max_size=6))
    n_orgs = len(parents) + 1
    roles = list(Role)
    users = draw(st.lists(st.tuples(st.sampled_from(range(len(roles))), st.integers(0, n_orgs - 1)), min_size=1,
                          max_size=6))
    custs = draw(st.lists(st.tuples(st.integers(1, n_orgs - 1), st.integers(-1, len(users) - 1)), max_size=10))
    return {"parents": parents, "user_roles": [u[0] for u in users], "user_orgs": [u[1] for u in users],
            "cust_orgs": [c[0] for c in custs], "cust_managers": [c[1] for c in custs]}


def subtree(parents: list[int], root: int) -> set[int]:
    """Org indexes under `root` (inclusive), from the parent links alone."""
    out, changed = {root}, True
    while changed:
        changed = False
        for child, parent in enumerate(parents, start=1):
            if parent in out and child not in out:
                out.add(child)
                changed = True
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(worlds())
def test_the_customers_a_user_reaches_are_exactly_their_scope(template, tmp_path, w):
    db_file, keys = template
    copy = tmp_path / "world.sqlite3"
    shutil.copy(db_file, copy)
    engine = make_engine(f"sqlite:///{copy}")
    try:
        with make_sessionmaker(engine, keys)() as db:
            _check(db, w)
    finally:
        engine.dispose()


def _check(db: Session, w: dict[str, list[int]]) -> None:
    ho = orgs.ensure_head_office(db)
    admin = User(username="root", username_key="root", password_hash="x", display_name="root",
                 role=Role.HEAD_OFFICE_ADMIN, org_id=ho.id, position=Position.STAFF)
    db.add(admin)
    db.flush()
    maker = actor_for(db, admin.id, Action.ORG_MANAGE)
    org_ids = [ho.id]
    for i, parent in enumerate(w["parents"], start=1):
        kind = OrgKind.BRANCH if parent == 0 else OrgKind.SUB_BRANCH
        org_ids.append(orgs.create_org(db, maker, OrgCreate(code=f"O{i}", name=f"机构{i}", kind=kind,
                                                            parent_id=org_ids[parent])).id)
    roles = list(Role)
    user_ids = []
    for i, (r, o) in enumerate(zip(w["user_roles"], w["user_orgs"], strict=True)):
        u = User(username=f"u{i}", username_key=f"u{i}", password_hash="x", display_name=f"用户{i}", role=roles[r],
                 org_id=org_ids[o], position=Position.STAFF)
        db.add(u)
        db.flush()
        user_ids.append(u.id)
    creator = User(username="creator", username_key="creator", password_hash="x", display_name="建档",
                   role=Role.BRANCH_MANAGER, org_id=org_ids[1], position=Position.STAFF)
    db.add(creator)
    db.flush()
    cust_ids = []
    for i, (o, m) in enumerate(zip(w["cust_orgs"], w["cust_managers"], strict=True)):
        a = actor_for(db, creator.id, Action.CUSTOMER_CREATE)
        idn = id_number("110101", "19800101", i, True)
        c = customers.create(db, a, CustomerCreate(name=f"客户{i}", gender="male", birth_date="1980-01-01",
                                                   id_number=idn, org_id=org_ids[1]))
        # placed where the example says, as an import or a reassignment could leave it
        row = db.get(Customer, c.id)
        assert row is not None
        row.org_id = org_ids[o]
        row.manager_id = user_ids[m] if m >= 0 else None
        cust_ids.append(c.id)
    db.flush()
    for ui, uid in enumerate(user_ids):
        role = roles[w["user_roles"][ui]]
        for action in CUSTOMER_ACTIONS:
            scope = scope_of(role, action)
            if scope is None:
                continue
            actor = actor_for(db, uid, action)
            reach = subtree(w["parents"], w["user_orgs"][ui])
            expected = set()
            for ci, cid in enumerate(cust_ids):
                if scope == Scope.BANK or (scope == Scope.ORG_SUBTREE and w["cust_orgs"][ci] in reach) or \
                        (scope == Scope.OWN_ORG and w["cust_orgs"][ci] == w["user_orgs"][ui]) or \
                        (scope == Scope.OWN_BOOK and w["cust_managers"][ci] == ui):
                    expected.add(cid)
            got = set(db.scalars(select(Customer.id).where(access.scope_filter(db, actor, Resource.CUSTOMER))))
            assert got == expected, (role, action, scope)
            for cid in cust_ids:
                row = db.get(Customer, cid)
                assert access.in_scope(db, actor, Resource.CUSTOMER, row) == (cid in expected), (role, action, cid)
