"""The role x action table (roles-and-permissions.md) as data.

The server enforces it (server/permissions.py applies the scopes to queries); the
client reads the caller's allowed actions from `GET /api/v1/auth/me` only to hide
controls. Deny by default: an action a role is not listed for is refused.
"""
from __future__ import annotations

from enum import StrEnum

from shared.enums import Role


class Scope(StrEnum):
    """How far an allowed action reaches."""

    OWN_ORG = "own_org"  # the user's own organisation only
    ORG_SUBTREE = "org_subtree"  # the user's organisation and everything below it
    OWN_BOOK = "own_book"  # customers whose responsible manager is the user
    BANK = "bank"  # everything
    SELF = "self"  # the user's own account


class Action(StrEnum):
    SESSION_SELF = "session.self"
    ORG_READ = "org.read"
    ORG_MANAGE = "org.manage"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    APPROVAL_READ = "approval.read"
    APPROVAL_DECIDE = "approval.decide"
    CUSTOMER_LOOKUP = "customer.lookup"
    CUSTOMER_READ_FULL = "customer.read_full"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT_CONTACT = "customer.edit_contact"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_REASSIGN = "customer.reassign"
    CUSTOMER_HISTORY = "customer.history"
    AUDIT_READ = "audit.read"
    PARAMETER_READ = "parameter.read"
    PARAMETER_WRITE = "parameter.write"
    JOB_READ = "job.read"


_ALL = {r: Scope.SELF for r in Role}

#: role -> scope for every action; a role missing from an action's row may not do it.
PERMISSIONS: dict[Action, dict[Role, Scope]] = {
    Action.SESSION_SELF: dict(_ALL),
    # Orgs are the bank's structure, not personal data: every role reads the whole tree
    # (the client needs names for pickers and the status bar); only admins change it.
    Action.ORG_READ: {r: Scope.BANK for r in Role},
    Action.ORG_MANAGE: {Role.HEAD_OFFICE_ADMIN: Scope.BANK},
    Action.USER_READ: {Role.HEAD_OFFICE_ADMIN: Scope.BANK, Role.BRANCH_MANAGER: Scope.ORG_SUBTREE},
    Action.USER_MANAGE: {Role.HEAD_OFFICE_ADMIN: Scope.BANK},
    Action.APPROVAL_READ: {Role.HEAD_OFFICE_ADMIN: Scope.BANK},
    Action.APPROVAL_DECIDE: {Role.HEAD_OFFICE_ADMIN: Scope.BANK},
    Action.CUSTOMER_LOOKUP: {
        Role.TELLER: Scope.ORG_SUBTREE,
        Role.ACCOUNT_MANAGER: Scope.ORG_SUBTREE,
        Role.BRANCH_MANAGER: Scope.ORG_SUBTREE,
    },
    Action.CUSTOMER_READ_FULL: {Role.ACCOUNT_MANAGER: Scope.OWN_BOOK, Role.BRANCH_MANAGER: Scope.ORG_SUBTREE},
    Action.CUSTOMER_CREATE: {
        Role.TELLER: Scope.OWN_ORG,
        Role.ACCOUNT_MANAGER: Scope.ORG_SUBTREE,
        Role.BRANCH_MANAGER: Scope.ORG_SUBTREE,
    },
    Action.CUSTOMER_EDIT_CONTACT: {
        Role.TELLER: Scope.ORG_SUBTREE,
        Role.ACCOUNT_MANAGER: Scope.OWN_BOOK,
        Role.BRANCH_MANAGER: Scope.ORG_SUBTREE,
    },
    Action.CUSTOMER_EDIT: {Role.ACCOUNT_MANAGER: Scope.OWN_BOOK, Role.BRANCH_MANAGER: Scope.ORG_SUBTREE},
    Action.CUSTOMER_REASSIGN: {Role.BRANCH_MANAGER: Scope.ORG_SUBTREE},
    Action.CUSTOMER_HISTORY: {
        Role.ACCOUNT_MANAGER: Scope.OWN_BOOK,
        Role.BRANCH_MANAGER: Scope.ORG_SUBTREE,
        Role.AUDITOR: Scope.BANK,
    },
    Action.AUDIT_READ: {Role.AUDITOR: Scope.BANK},
    # Ratio ranges, SLA hours, thresholds, risk rules: only head-office admins edit them
    # (roles-and-permissions.md); readers such as an analysis get them through the
    # service, not through these routes.
    Action.PARAMETER_READ: {Role.HEAD_OFFICE_ADMIN: Scope.BANK},
    Action.PARAMETER_WRITE: {Role.HEAD_OFFICE_ADMIN: Scope.BANK},
    # Background jobs' progress: everyone sees the jobs they started, head-office admins all.
    Action.JOB_READ: {**_ALL, Role.HEAD_OFFICE_ADMIN: Scope.BANK},
}

#: Customer fields a holder of CUSTOMER_EDIT_CONTACT (but not CUSTOMER_EDIT) may change.
CONTACT_FIELDS = frozenset({"phone", "address"})
#: Customer fields that move a customer between books: need CUSTOMER_REASSIGN.
ALLOCATION_FIELDS = frozenset({"org_id", "manager_id"})


def scope_of(role: Role | str, action: Action | str) -> Scope | None:
    """The scope in which `role` may perform `action`, or None when it may not at all."""
    return PERMISSIONS.get(Action(action), {}).get(Role(role))


def allowed_actions(role: Role | str) -> dict[str, str]:
    """Every action the role may perform, with its scope, for the client to hide controls."""
    return {str(a): str(s) for a, row in PERMISSIONS.items() if (s := row.get(Role(role))) is not None}
