"""Consistency of the one place that decides scope (server/access.py) with the table it
applies (shared/permissions.py) — Tryton runs such checks for every module: every
(action, scope) the table grants is implemented for its resource, every approval kind
can be executed, every tier names an action of its resource, and no service writes a
scope of its own."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import access
from server.context import Actor, Principal
from server.services import approvals
from shared.enums import Role
from shared.permissions import (
    APPROVAL_KINDS,
    FIELD_TIERS,
    NOT_ON_ONESELF,
    PERMISSIONS,
    Action,
    Resource,
    Scope,
)
from tests.server.conftest import ROLE_USER

GRANTS = [(action, role, grant) for action, row in PERMISSIONS.items() for role, grant in row.items()]


@pytest.mark.parametrize("action, role, grant", GRANTS, ids=[f"{a}-{r}" for a, r, _g in GRANTS])
def test_every_granted_scope_is_implemented_for_its_resource(db, world, action, role, grant):
    user_id = world.users[ROLE_USER[role]]
    from server.models import User
    u = db.get(User, user_id)
    actor = Actor(Principal(u.id, u.username, u.display_name, Role(u.role), u.org_id, 0, None),  # type: ignore[arg-type]
                  action, grant.scope)
    rule = access.RULES[action.resource]
    if rule.model is None:  # audit, parameters: bank-wide or nothing
        assert grant.scope == Scope.BANK, (action, role, grant.scope)
        return
    clause = access.scope_filter(db, actor, action.resource)
    n = db.scalar(select(func.count()).select_from(rule.model).where(clause))
    assert n is not None


def test_every_action_belongs_to_a_resource_with_a_rule():
    assert {a.resource for a in Action} <= set(access.RULES)


def test_every_approval_kind_has_an_executor_and_a_checker_right():
    assert set(APPROVAL_KINDS) == set(approvals._EXECUTORS)
    for kind in APPROVAL_KINDS.values():
        if kind.checker_needs is not None:
            assert kind.checker_needs.resource == kind.resource
            # someone who may decide approvals also holds the right the kind needs
            assert any(kind.checker_needs in {a for a, row in PERMISSIONS.items() if r in row}
                       for r in PERMISSIONS[Action.APPROVAL_DECIDE])


def test_every_field_tier_names_an_action_of_its_resource():
    for resource, tiers in FIELD_TIERS.items():
        assert all(t.action.resource == resource for t in tiers)
    assert all(a.resource == Resource.USER for a in NOT_ON_ONESELF)


def test_every_approval_condition_is_evaluated():
    import inspect
    source = inspect.getsource(access.needs_approval)
    for _action, _role, grant in GRANTS:
        for condition in grant.approval_when:
            assert f"Condition.{condition.name}" in source, condition


def test_no_service_writes_a_scope_of_its_own():
    """Scope is decided in server/access.py only: no service compares scopes or builds
    subtree filters for the caller."""
    offenders = []
    for path in Path("server").rglob("*.py"):
        if path.name == "access.py":
            continue
        text = path.read_text()
        for pattern in (r"Scope\.(BANK|ORG_SUBTREE|OWN_ORG|OWN_BOOK|SELF)", r"\bactor\.scope\b",
                        r"subtree_ids\(db, actor\.org_id"):
            offenders += [f"{path}: {m.group()}" for m in re.finditer(pattern, text)]
    assert offenders == []
