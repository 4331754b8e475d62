"""Who may do what, as data (roles-and-permissions.md): the role x action table with the
data scope of each grant and the conditions under which it needs a checker's approval,
the field tiers of each resource, what is masked for whom, the approval kinds.

The server applies it in one place (server/access.py: scopes as SQL filters and row
checks, Tryton's record rules); the client reads the caller's allowed actions from
`GET /api/v1/auth/me` only to hide controls. Deny by default: an action a role is not
listed for is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.enums import Role


class Scope(StrEnum):
    """How far an allowed action reaches."""

    OWN_ORG = "own_org"  # the user's own organisation only
    ORG_SUBTREE = "org_subtree"  # the user's organisation and everything below it
    OWN_BOOK = "own_book"  # customers whose responsible manager is the user
    BANK = "bank"  # everything
    SELF = "self"  # the user's own account (or what the user made)


class Resource(StrEnum):
    """What an action acts on; each has one scope rule in server/access.py."""

    SESSION = "session"
    ORG = "org"
    USER = "user"
    APPROVAL = "approval"
    CUSTOMER = "customer"
    AUDIT = "audit"
    PARAMETER = "parameter"
    JOB = "job"


class Action(StrEnum):
    SESSION_SELF = "session.self"
    ORG_READ = "org.read"
    ORG_MANAGE = "org.manage"
    ORG_HISTORY = "org.history"
    USER_READ = "user.read"
    USER_CREATE = "user.create"
    #: display name and position
    USER_UPDATE = "user.update"
    #: role and organisation: what the user may reach
    USER_ASSIGN = "user.assign"
    USER_LOCK = "user.lock"
    USER_UNLOCK = "user.unlock"
    USER_RESET_PASSWORD = "user.reset_password"
    #: clear someone's second factor (TOTP, recovery codes): they enrol afresh at their next login
    USER_MFA_RESET = "user.mfa_reset"
    USER_REVOKE_SESSIONS = "user.revoke_sessions"
    USER_HISTORY = "user.history"
    APPROVAL_READ = "approval.read"
    APPROVAL_DECIDE = "approval.decide"
    CUSTOMER_LOOKUP = "customer.lookup"
    CUSTOMER_READ_FULL = "customer.read_full"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT_CONTACT = "customer.edit_contact"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_REASSIGN = "customer.reassign"
    #: request a customer's deletion (always four eyes): once approved the customer is
    #: archived whole as one sealed snapshot and removed (server/services/archive.py)
    CUSTOMER_DELETE = "customer.delete"
    #: the archive of deleted customers (`customer_archive`, scoped by the customer's org)
    CUSTOMER_ARCHIVE_READ = "customer.archive_read"
    #: bring an archived customer back, within CRM_RESTORE_DAYS of its deletion
    CUSTOMER_RESTORE = "customer.restore"
    CUSTOMER_HISTORY = "customer.history"
    #: household finances: members, balance sheets, income tables, their analysis
    CUSTOMER_FINANCE_READ = "customer.finance_read"
    CUSTOMER_FINANCE_EDIT = "customer.finance_edit"
    CUSTOMER_STATEMENT_PRINT = "customer.statement_print"
    AUDIT_READ = "audit.read"
    PARAMETER_READ = "parameter.read"
    PARAMETER_WRITE = "parameter.write"
    JOB_READ = "job.read"
    JOB_CANCEL = "job.cancel"
    JOB_OUTPUT_READ = "job.output_read"

    @property
    def resource(self) -> Resource:
        return ACTION_RESOURCE[self]


#: Each action's code starts with its resource (`customer.edit` acts on customers).
ACTION_RESOURCE: dict[Action, Resource] = {a: Resource(a.value.split(".")[0]) for a in Action}


class Condition(StrEnum):
    """When an allowed action needs a checker's approval (the `A` of the matrix)."""

    #: the user acted on holds, or would be given, a privileged role (PRIVILEGED_ROLES)
    PRIVILEGED_TARGET = "privileged_target"
    #: the bank put every user-administration change under four eyes (CRM_USER_ADMIN_FOUR_EYES)
    USER_ADMIN_FOUR_EYES = "user_admin_four_eyes"
    #: more customers move than the `reassignment-threshold` parameter allows
    ABOVE_REASSIGNMENT_THRESHOLD = "above_reassignment_threshold"
    #: every time: the matrix's plain "request (A)" (deleting a customer, resetting a second factor)
    ALWAYS = "always"


@dataclass(frozen=True)
class Grant:
    """A role's right to an action: how far it reaches and when it needs approval."""

    scope: Scope
    approval_when: frozenset[Condition] = frozenset()


def _g(scope: Scope, *when: Condition) -> Grant:
    return Grant(scope, frozenset(when))


_BANK = _g(Scope.BANK)
_SUBTREE = _g(Scope.ORG_SUBTREE)
_BOOK = _g(Scope.OWN_BOOK)
_USER_ADMIN = _g(Scope.BANK, Condition.PRIVILEGED_TARGET, Condition.USER_ADMIN_FOUR_EYES)
_A, _AM, _BM, _T, _AU = (Role.HEAD_OFFICE_ADMIN, Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.TELLER,
                         Role.AUDITOR)

#: action -> role -> grant; a role missing from an action's row may not do it.
PERMISSIONS: dict[Action, dict[Role, Grant]] = {
    Action.SESSION_SELF: {r: _g(Scope.SELF) for r in Role},
    # Orgs are the bank's structure, not personal data: every role reads the whole tree
    # (the client needs names for pickers and the status bar); only admins change it.
    Action.ORG_READ: {r: _BANK for r in Role},
    Action.ORG_MANAGE: {_A: _BANK},
    # Change history (the matrix's "audit log, change history"): auditors bank-wide,
    # branch managers in their subtree; head-office admins make changes but do not audit them.
    Action.ORG_HISTORY: {_AU: _BANK},
    Action.USER_READ: {_A: _BANK, _BM: _SUBTREE},
    Action.USER_CREATE: {_A: _USER_ADMIN},
    Action.USER_UPDATE: {_A: _g(Scope.BANK, Condition.USER_ADMIN_FOUR_EYES)},
    Action.USER_ASSIGN: {_A: _USER_ADMIN},
    # Locking and ending sessions protect the bank: they never wait for a second person.
    Action.USER_LOCK: {_A: _BANK},
    Action.USER_UNLOCK: {_A: _USER_ADMIN},
    Action.USER_RESET_PASSWORD: {_A: _USER_ADMIN},
    # A second factor reset lets whoever holds the password enrol a new one: never without
    # a second head-office admin.
    Action.USER_MFA_RESET: {_A: _g(Scope.BANK, Condition.ALWAYS)},
    Action.USER_REVOKE_SESSIONS: {_A: _BANK},
    Action.USER_HISTORY: {_BM: _SUBTREE, _AU: _BANK},
    # Checkers see the requests whose object is in their scope, makers their own (account
    # managers request deletions, manual ratings and unmasking: they follow their own).
    Action.APPROVAL_READ: {_A: _BANK, _BM: _SUBTREE, _AM: _g(Scope.SELF)},
    Action.APPROVAL_DECIDE: {_A: _BANK, _BM: _SUBTREE},
    Action.CUSTOMER_LOOKUP: {_T: _SUBTREE, _AM: _SUBTREE, _BM: _SUBTREE},
    Action.CUSTOMER_READ_FULL: {_AM: _BOOK, _BM: _SUBTREE},
    Action.CUSTOMER_CREATE: {_T: _g(Scope.OWN_ORG), _AM: _SUBTREE, _BM: _SUBTREE},
    Action.CUSTOMER_EDIT_CONTACT: {_T: _SUBTREE, _AM: _BOOK, _BM: _SUBTREE},
    Action.CUSTOMER_EDIT: {_AM: _BOOK, _BM: _SUBTREE},
    Action.CUSTOMER_REASSIGN: {_BM: _g(Scope.ORG_SUBTREE, Condition.ABOVE_REASSIGNMENT_THRESHOLD)},
    # "delete customer: account manager request (A); branch manager request (A), checker":
    # a request every time (the checker is whoever decides `customer.delete` approvals);
    # the archive is read by branch managers in their subtree and auditors bank-wide, and
    # a branch manager restores (the contract's "a branch manager, within the restore window").
    Action.CUSTOMER_DELETE: {_AM: _g(Scope.OWN_BOOK, Condition.ALWAYS), _BM: _g(Scope.ORG_SUBTREE, Condition.ALWAYS)},
    Action.CUSTOMER_ARCHIVE_READ: {_BM: _SUBTREE, _AU: _BANK},
    Action.CUSTOMER_RESTORE: {_BM: _SUBTREE},
    Action.CUSTOMER_HISTORY: {_AM: _BOOK, _BM: _SUBTREE, _AU: _BANK},
    # "household finances: view / edit": the assigned account manager and the branch's managers
    Action.CUSTOMER_FINANCE_READ: {_AM: _BOOK, _BM: _SUBTREE},
    Action.CUSTOMER_FINANCE_EDIT: {_AM: _BOOK, _BM: _SUBTREE},
    # "print financial statement": the same people (one at a time, or a batch as a job)
    Action.CUSTOMER_STATEMENT_PRINT: {_AM: _BOOK, _BM: _SUBTREE},
    Action.AUDIT_READ: {_AU: _BANK},
    Action.PARAMETER_READ: {_A: _BANK},
    Action.PARAMETER_WRITE: {_A: _BANK},
    # Background jobs' progress: everyone sees the jobs they started, head-office admins all.
    Action.JOB_READ: {**{r: _g(Scope.SELF) for r in Role}, _A: _BANK},
    # ... and stops them: a cancelled job commits no further batch.
    Action.JOB_CANCEL: {**{r: _g(Scope.SELF) for r in Role}, _A: _BANK},
    # A job's files (a batch's statements) are its starter's alone: a head-office admin
    # follows every job, but reads no branch's statements.
    Action.JOB_OUTPUT_READ: {r: _g(Scope.SELF) for r in Role},
}

# ----------------------------------------------------------------------------- field tiers
#: Customer fields a holder of CUSTOMER_EDIT_CONTACT (but not CUSTOMER_EDIT) may change.
CONTACT_FIELDS = frozenset({"phone", "address"})
#: Customer fields that move a customer between books: need CUSTOMER_REASSIGN.
ALLOCATION_FIELDS = frozenset({"org_id", "manager_id"})
#: User fields that decide what the user may reach: need USER_ASSIGN.
USER_ASSIGNMENT_FIELDS = frozenset({"role", "org_id"})


@dataclass(frozen=True)
class FieldTier:
    """Changing any field in `fields` (None: every field) but those in `except_fields`
    needs `action`."""

    action: Action
    fields: frozenset[str] | None = None
    except_fields: frozenset[str] = frozenset()

    def select(self, changed: set[str]) -> set[str]:
        return (set(changed) if self.fields is None else changed & self.fields) - self.except_fields


#: resource -> the tiers a change must pass, weakest first (contact details < the full
#: profile < allocation; a user's name and position < their role and organisation).
FIELD_TIERS: dict[Resource, tuple[FieldTier, ...]] = {
    Resource.CUSTOMER: (FieldTier(Action.CUSTOMER_EDIT_CONTACT),
                        FieldTier(Action.CUSTOMER_EDIT, except_fields=CONTACT_FIELDS),
                        FieldTier(Action.CUSTOMER_REASSIGN, ALLOCATION_FIELDS)),
    Resource.USER: (FieldTier(Action.USER_UPDATE), FieldTier(Action.USER_ASSIGN, USER_ASSIGNMENT_FIELDS)),
}


def actions_for_fields(resource: Resource, changed: set[str]) -> list[tuple[Action, set[str]]]:
    """Every action a change of `changed` needs, weakest first, with the fields needing it."""
    return [(t.action, these) for t in FIELD_TIERS[resource] if (these := t.select(changed))]


#: What nobody does to their own account, not even with a checker (roles-and-permissions.md).
NOT_ON_ONESELF = frozenset({Action.USER_ASSIGN, Action.USER_LOCK, Action.USER_UNLOCK, Action.USER_RESET_PASSWORD,
                            Action.USER_MFA_RESET})

# ----------------------------------------------------------------------------- masking
#: Customer fields shown masked unless the reader holds CUSTOMER_READ_FULL in scope. The
#: birth date goes with the resident ID: digits 7-14 of the ID are the birth date, so a
#: masked ID beside a full birth date gives the whole number back (TRAPS.md). A reader
#: of the masked ID gets the age in whole years instead (`age`).
MASKED_CUSTOMER_FIELDS = ("id_number", "birth_date", "phone")
UNMASKED_BY = Action.CUSTOMER_READ_FULL
#: resource -> fields whose values the change history keeps sealed (encrypted), never plain.
SEALED_FIELDS: dict[Resource, frozenset[str]] = {Resource.CUSTOMER: frozenset(MASKED_CUSTOMER_FIELDS)}


# ----------------------------------------------------------------------------- approvals
@dataclass(frozen=True)
class ApprovalKind:
    """A request a maker files and a checker decides. The checker needs APPROVAL_DECIDE
    over the object's organisation and, where named, `checker_needs` over the object
    itself (the right to do the thing they approve). A `branch_checked` kind is decided
    in its branch; head-office checkers take it only when it is escalated: cross-branch,
    made at the head office, or from a branch with no other checker."""

    code: str
    resource: Resource
    checker_needs: Action | None
    branch_checked: bool = False


APPROVAL_KINDS: dict[str, ApprovalKind] = {k.code: k for k in (
    ApprovalKind("user.grant_privileged", Resource.USER, Action.USER_ASSIGN),
    ApprovalKind("user.create", Resource.USER, Action.USER_CREATE),
    ApprovalKind("user.update", Resource.USER, Action.USER_UPDATE),
    ApprovalKind("user.unlock", Resource.USER, Action.USER_UNLOCK),
    ApprovalKind("user.password_reset", Resource.USER, Action.USER_RESET_PASSWORD),
    ApprovalKind("user.mfa_reset", Resource.USER, Action.USER_MFA_RESET),
    ApprovalKind("customer.reassign", Resource.CUSTOMER, None, branch_checked=True),
    ApprovalKind("customer.delete", Resource.CUSTOMER, None, branch_checked=True),
)}


def grant_of(role: Role | str, action: Action | str) -> Grant | None:
    """The role's grant for `action`, or None when it may not do it at all."""
    return PERMISSIONS.get(Action(action), {}).get(Role(role))


def scope_of(role: Role | str, action: Action | str) -> Scope | None:
    """The scope in which `role` may perform `action`, or None when it may not at all."""
    grant = grant_of(role, action)
    return grant.scope if grant else None


def allowed_actions(role: Role | str) -> dict[str, str]:
    """Every action the role may perform, with its scope, for the client to hide controls."""
    return {str(a): str(g.scope) for a, row in PERMISSIONS.items() if (g := row.get(Role(role))) is not None}
