"""Who reaches what: the one place that turns the role x action table
(shared/permissions.py) into SQL filters and row checks, decides field rights, masking
and when an action needs approval. Services ask it; none writes a scope itself.

Like Tryton's record rules (`ir.rule`: one domain per model that every search uses),
each resource declares once which of its columns a scope looks at (`RULES`): its
organisation, its owner (whose book), the row that is the user. A scope is then the
same filter for every query of that resource and the same check on a loaded row.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, false, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.context import Actor, Principal
from server.errors import Problem, forbidden, not_found
from server.executor import Executor, constant
from server.models import ApprovalRequest, Customer, CustomerArchive, CustomerSearchKey, Job, Org, User
from server.services import audit
from shared import errors as codes
from shared.enums import Role
from shared.masking import MASKED_DATE, mask_id_number, mask_phone
from shared.permissions import (
    MASKED_CUSTOMER_FIELDS,
    NOT_ON_ONESELF,
    PERMISSIONS,
    UNMASKED_BY,
    Action,
    Condition,
    Resource,
    Scope,
    actions_for_fields,
    grant_of,
    scope_of,
)
from shared.schemas import MAX_ID


@dataclass(frozen=True)
class ScopeColumns:
    """The columns of a resource a scope looks at; None where the scope cannot apply."""

    model: type[Any] | None
    org: InstrumentedAttribute[Any] | None = None
    owner: InstrumentedAttribute[Any] | None = None
    self_: InstrumentedAttribute[Any] | None = None


#: resource -> its scope rule. A grant whose scope a rule cannot express is a bug that
#: tests/server/test_access.py finds (every (action, scope) in the table is implemented).
RULES: dict[Resource, ScopeColumns] = {
    Resource.SESSION: ScopeColumns(User, self_=User.id),
    Resource.ORG: ScopeColumns(Org, org=Org.id),
    Resource.USER: ScopeColumns(User, org=User.org_id, self_=User.id),
    Resource.APPROVAL: ScopeColumns(ApprovalRequest, org=ApprovalRequest.org_id, self_=ApprovalRequest.maker_id),
    Resource.CUSTOMER: ScopeColumns(Customer, org=Customer.org_id, owner=Customer.manager_id),
    Resource.AUDIT: ScopeColumns(None),
    Resource.PARAMETER: ScopeColumns(None),
    Resource.JOB: ScopeColumns(Job, org=Job.org_id, self_=Job.created_by),
}


class ScopeNotImplemented(RuntimeError):
    """A grant names a scope its resource's rule cannot express."""


# ----------------------------------------------------------------------------- the org tree
def subtree_ids(db: Session | None, org_id: int, actor: Actor | None = None) -> list[int]:
    """The org and everything below it: cached on the actor for the request and, keyed
    by the org tree's version its session check read (server/services/auth.py), for the
    process — the tree changes only when an org is added, and then the key does.
    `db` None: the async services, which load the subtrees first (`load_subtrees`)."""
    if actor is not None and ("subtree", org_id) in actor._cache:
        return actor._cache[("subtree", org_id)]  # type: ignore[no-any-return]
    if db is None:
        raise RuntimeError(f"the subtree of org {org_id} is not loaded (access.load_subtrees)")
    key = None if db.info.get(ORGS_CHANGED) else _subtree_key(_database(db), actor, org_id)
    ids = _SUBTREES.get(key) if key is not None else None
    if ids is None:
        ids = _subtree_from(db.scalar(_ORG_PATH, {"org_id": org_id}), db.scalars)
        _remember(key, ids)
    if actor is not None:
        actor._cache[("subtree", org_id)] = ids
    return ids


async def load_subtrees(x: Executor, actor: Actor, *org_ids: int | None) -> None:
    """`subtree_ids` for the async services: the subtrees they will ask for, from the
    process's cache or the database, put in the actor's cache before their statements
    are built. (They are reads: no unit of work of theirs adds orgs, so `ORGS_CHANGED`
    never applies to them.)"""
    for org_id in org_ids:
        if org_id is None or ("subtree", org_id) in actor._cache:
            continue
        key = _subtree_key(x.database, actor, org_id)
        ids = _SUBTREES.get(key) if key is not None else None
        if ids is None:
            path = await x.scalar(_ORG_PATH, {"org_id": org_id})
            ids = [] if path is None else list(await x.scalars(_subtree_statement(path)))
            _remember(key, ids)
        actor._cache[("subtree", org_id)] = ids


_ORG_PATH = constant(select(Org.path).where(Org.id == bindparam("org_id")))


def _subtree_statement(path: str) -> Select[int]:
    return select(Org.id).where(Org.path.startswith(path))


def _subtree_from(path: str | None, scalars: Callable[[Any], Any]) -> list[int]:
    return [] if path is None else list(scalars(_subtree_statement(path)))


def _subtree_key(database: Any, actor: Actor | None, org_id: int) -> tuple[Any, int, int] | None:
    tree = actor.principal.org_tree if actor is not None else None
    return None if tree is None else (database, tree, org_id)


def _remember(key: tuple[Any, int, int] | None, ids: list[int]) -> None:
    if key is not None:
        if len(_SUBTREES) >= _SUBTREE_CACHE_SIZE:
            _SUBTREES.clear()
        _SUBTREES[key] = ids


#: (database, org tree version, org id) -> the subtree's ids; cleared whole when full.
_SUBTREES: dict[tuple[Any, int, int], list[int]] = {}
_SUBTREE_CACHE_SIZE = 4096
#: Set in `Session.info` by a unit of work that adds orgs: what it reads of the tree is
#: not yet committed, so it is never cached.
ORGS_CHANGED = "orgs_changed"


def _database(db: Session) -> Any:
    bind = db.get_bind()
    return bind.engine.url


def branch_of(path: str) -> int | None:
    """The branch an org's path (`/1/4/9/`) lies in; None for the head office itself."""
    parts = [int(p) for p in path.strip("/").split("/") if p]
    return parts[1] if len(parts) > 1 else None


def scope_for(actor: Actor, action: Action | None) -> Scope | None:
    return actor.scope if action is None or action == actor.action else actor.may(action)


# ----------------------------------------------------------------------------- filters and checks
def scope_filter(db: Session | None, actor: Actor, resource: Resource, action: Action | None = None, *,
                 columns: ScopeColumns | None = None) -> ColumnElement[bool]:
    """SQL: the rows of `resource` the actor reaches under `action` (default: the
    action the actor is acting under). `columns` maps the rule onto another table that
    carries the same keys (the customers' search keys)."""
    scope = scope_for(actor, action)
    if scope is None:
        return false()
    if scope == Scope.BANK:
        return true()
    return _scope_expression(_column(columns or RULES[resource], scope, resource), scope,
                             _scope_values(db, actor, scope))


def scope_condition(db: Session | None, actor: Actor, resource: Resource, action: Action | None = None, *,
                    columns: ScopeColumns | None = None) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """`scope_filter` as a condition of one shape per (resource, scope) with its values
    apart (`scope_orgs`, `scope_org`, `scope_user`): a statement built on it once serves
    every actor of that scope (server/executor.py compiles it once)."""
    scope = scope_for(actor, action)
    cols = columns or RULES[resource]
    if scope is None:
        return false(), {}
    if scope == Scope.BANK:
        return true(), {}
    return _scope_shape(cols, scope, resource), _scope_values(db, actor, scope)


@functools.cache
def _scope_shape(cols: ScopeColumns, scope: Scope, resource: Resource) -> ColumnElement[bool]:
    return _scope_expression(_column(cols, scope, resource), scope, None)


def _scope_expression(column: InstrumentedAttribute[Any], scope: Scope, values: dict[str, Any] | None
                      ) -> ColumnElement[bool]:
    """The scope's condition on `column`: with its `values`, or with `bindparam()`s for them."""
    def value(name: str) -> Any:
        return bindparam(name, expanding=name == "scope_orgs") if values is None else values[name]
    if scope == Scope.ORG_SUBTREE:
        return column.in_(value("scope_orgs"))
    if scope == Scope.OWN_ORG:
        return column == value("scope_org")  # type: ignore[no-any-return]
    return column == value("scope_user")  # type: ignore[no-any-return]  # own book, self


def _scope_values(db: Session | None, actor: Actor, scope: Scope) -> dict[str, Any]:
    if scope == Scope.ORG_SUBTREE:
        return {"scope_orgs": subtree_ids(db, actor.org_id, actor)}
    if scope == Scope.OWN_ORG:
        return {"scope_org": actor.org_id}
    return {"scope_user": actor.user_id}


def in_scope(db: Session | None, actor: Actor, resource: Resource, row: Any, action: Action | None = None) -> bool:
    """The same rule as `scope_filter`, on a row already loaded."""
    scope = scope_for(actor, action)
    if scope is None:
        return False
    if scope == Scope.BANK:
        return True
    value = getattr(row, _column(RULES[resource], scope, resource).key)
    if scope == Scope.ORG_SUBTREE:
        return value in subtree_ids(db, actor.org_id, actor)
    if scope == Scope.OWN_ORG:
        return bool(value == actor.org_id)
    return bool(value == actor.user_id)


def _column(cols: ScopeColumns, scope: Scope, resource: Resource) -> InstrumentedAttribute[Any]:
    column = {Scope.ORG_SUBTREE: cols.org, Scope.OWN_ORG: cols.org, Scope.OWN_BOOK: cols.owner,
              Scope.SELF: cols.self_}.get(scope)
    if column is None:
        raise ScopeNotImplemented(f"{resource} has no rule for scope {scope}")
    return column  # type: ignore[no-any-return]  # the dict's values are the dataclass's attributes


def reaches_whole_bank(actor: Actor, action: Action) -> bool:
    """Does the actor's grant for `action` reach the whole bank (a head-office function)?"""
    return actor.may(action) == Scope.BANK


def roles_within_branches(action: Action) -> list[str]:
    """The roles granted `action` within the org tree (not bank-wide): a branch's own."""
    return [str(r) for r, g in PERMISSIONS[action].items() if g.scope in (Scope.ORG_SUBTREE, Scope.OWN_ORG)]


def org_in_scope(db: Session | None, actor: Actor, org_id: int, action: Action | None = None) -> bool:
    """May the actor place something (a new customer, a customer moved) in `org_id`?"""
    scope = scope_for(actor, action)
    if scope == Scope.BANK:
        return True
    if scope == Scope.ORG_SUBTREE:
        return org_id in subtree_ids(db, actor.org_id, actor)
    if scope == Scope.OWN_ORG:
        return org_id == actor.org_id
    return False


def within_own_subtree(db: Session | None, actor: Actor, org_id: int) -> bool:
    """Is `org_id` the actor's own organisation or below it (e.g. a manager to assign)?"""
    return org_id in subtree_ids(db, actor.org_id, actor)


def customer_key_condition(db: Session | None, actor: Actor) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """The customers' scope on their search keys, which carry the customer's org: one
    index walk, no join, for the org scopes; the book through the customer table. One
    shape per scope, its values apart (as `scope_condition`)."""
    scope = scope_for(actor, None)
    if scope == Scope.OWN_BOOK:
        condition, values = scope_condition(db, actor, Resource.CUSTOMER)
        return _book_keys(condition), values
    return scope_condition(db, actor, Resource.CUSTOMER, columns=_SEARCH_KEY_COLUMNS)


_SEARCH_KEY_COLUMNS = ScopeColumns(CustomerSearchKey, org=CustomerSearchKey.org_id)


@functools.cache
def _book_keys(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return CustomerSearchKey.customer_id.in_(select(Customer.id).where(condition))


#: Archived customers (`customer_archive`) carry the customer's org and manager: the
#: customers' rule applies to them exactly as to the live rows (the archive's actions,
#: `customer.archive_read` and `customer.restore`, are customer actions of the table).
_ARCHIVE_COLUMNS = ScopeColumns(CustomerArchive, org=CustomerArchive.org_id, owner=CustomerArchive.manager_id)


def archive_filter(db: Session | None, actor: Actor, action: Action | None = None) -> ColumnElement[bool]:
    """SQL: the archived customers the actor reaches under `action` (default: the one in force)."""
    return scope_filter(db, actor, Resource.CUSTOMER, action, columns=_ARCHIVE_COLUMNS)


def load_archived(db: Session, actor: Actor, customer_id: int, *, for_update: bool = False) -> CustomerArchive:
    """The archive of customer `customer_id` not yet restored, if the actor reaches it;
    otherwise 404, as for a customer never archived (or restored already)."""
    if not 1 <= customer_id <= MAX_ID:
        raise not_found()
    stmt = select(CustomerArchive).where(CustomerArchive.customer_id == customer_id,
                                         CustomerArchive.restored_at.is_(None), archive_filter(db, actor))
    row = db.scalar(stmt.with_for_update() if for_update else stmt)
    if row is None:
        raise not_found()
    return row


def acting_as(user: User, action: Action, source: str) -> Actor | None:
    """`user` acting under `action` outside a request (a background job, the demo's
    seeding): None when their role may not. No session stands behind it."""
    scope = scope_of(Role(user.role), action)
    if scope is None:
        return None
    p = Principal(user.id, user.username, user.display_name, Role(user.role), user.org_id, 0,
                  datetime.now(UTC) + timedelta(hours=1))
    return Actor(p, action, scope, source=source)


def load(db: Session, actor: Actor, resource: Resource, object_id: int, action: Action | None = None, *,
         for_update: bool = False) -> Any:
    """The object if the actor reaches it; otherwise 404, exactly as for an id that does
    not exist (an id past the integer range cannot exist)."""
    model = RULES[resource].model
    assert model is not None, resource
    if not 1 <= object_id <= MAX_ID:
        raise not_found()
    stmt = select(model).where(model.id == object_id, scope_filter(db, actor, resource, action))
    if for_update:
        stmt = stmt.with_for_update()
    row = db.scalar(stmt)
    if row is None:
        raise not_found()
    return row


async def load_row(x: Executor, actor: Actor, resource: Resource, object_id: int, columns: Sequence[Any]) -> Any:
    """`load` for the async services: the row's `columns` if the actor reaches it,
    otherwise 404, as for an id that does not exist (the subtrees loaded first)."""
    model = RULES[resource].model
    assert model is not None, resource
    if not 1 <= object_id <= MAX_ID:
        raise not_found()
    await load_subtrees(x, actor, actor.org_id)
    condition, values = scope_condition(None, actor, resource)
    row = await x.first(_load_statement(model, tuple(columns), condition),  # type: ignore[arg-type]
                        {**values, "object_id": object_id})
    if row is None:
        raise not_found()
    return row


@functools.lru_cache(maxsize=256)
def _load_statement(model: type[Any], columns: tuple[Any, ...], condition: ColumnElement[bool]) -> Select[Any]:
    return constant(select(*columns).where(model.id == bindparam("object_id"), condition))


# ----------------------------------------------------------------------------- field rights
def authorise_fields(db: Session, actor: Actor, resource: Resource, row: Any, fields: set[str]) -> None:
    """Each tier of fields changed needs its action in scope over the row (contact
    details < the full profile < allocation). A role that may never change a field: 403
    `permission.field_denied` naming the fields; one that may, but not on this row: 403.
    Refusals are audited."""
    for action, these in actions_for_fields(resource, fields):
        if in_scope(db, actor, resource, row, action):
            continue
        audit.refusal(db, f"{resource}.update", who=actor, object_type=str(resource), object_id=row.id,
                      action_needed=str(action), fields=sorted(these))
        if actor.may(action) is None:
            raise Problem(403, codes.FORBIDDEN_FIELD, "Forbidden", "Your role may not change these fields",
                          fields=sorted(these))
        raise forbidden("This record is outside what you may change")


def refuse_on_oneself(db: Session, actor: Actor, action: Action, user_id: int) -> None:
    """Nobody changes their own role, organisation, lock state or credentials through
    user administration, with or without a checker (roles-and-permissions.md)."""
    if action in NOT_ON_ONESELF and user_id == actor.user_id:
        audit.refusal(db, str(action), who=actor, object_type="user", object_id=user_id, reason="own_account")
        raise Problem(403, codes.SELF_ADMINISTRATION, "Forbidden",
                      "Nobody changes their own role, organisation, lock or password this way")


# ----------------------------------------------------------------------------- masking
_MASKS: dict[str, Callable[[Any], Any]] = {"id_number": mask_id_number, "phone": mask_phone,
                                          "birth_date": lambda _v: None}


def masked_customer_fields(db: Session | None, actor: Actor, customer: Customer) -> list[str]:
    """The fields of `customer` this reader sees masked (none with the full-profile right)."""
    if in_scope(db, actor, Resource.CUSTOMER, customer, UNMASKED_BY):
        return []
    return [f for f in MASKED_CUSTOMER_FIELDS if getattr(customer, f) is not None]


def mask(field: str, value: Any) -> Any:
    """The value as a reader without the full-profile right sees it (`birth_date`: none)."""
    return _MASKS[field](value) if field in _MASKS and value is not None else value


def mask_text(field: str, value: str | None) -> str | None:
    """A stored textual form (history) as such a reader sees it."""
    if value is None or field not in _MASKS:
        return value
    return MASKED_DATE if field == "birth_date" else mask(field, value)


def age(born: date | None, today: date | None = None) -> int | None:
    """Whole years: what a reader of a masked resident ID learns of the birth date."""
    if born is None:
        return None
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# ----------------------------------------------------------------------------- approvals
def needs_approval(db: Session, actor: Actor, action: Action, *, privileged_target: bool = False,
                   customers_moved: int = 0) -> bool:
    """Whether the actor's grant for `action` needs a checker here (the `A` of the matrix)."""
    grant = grant_of(actor.role, action)
    if grant is None:
        return False
    for condition in grant.approval_when:
        if condition == Condition.ALWAYS:
            return True
        if condition == Condition.PRIVILEGED_TARGET and privileged_target:
            return True
        if condition == Condition.USER_ADMIN_FOUR_EYES and actor.settings is not None \
                and actor.settings.user_admin_four_eyes:
            return True
        if condition == Condition.ABOVE_REASSIGNMENT_THRESHOLD and \
                customers_moved > reassignment_threshold(db):
            return True
    return False


def reassignment_threshold(db: Session) -> int:
    from server.services import parameters
    from shared.parameters import REASSIGNMENT_THRESHOLD, ReassignmentThreshold
    _version, value = parameters.current(db, REASSIGNMENT_THRESHOLD)
    assert isinstance(value, ReassignmentThreshold)
    return value.max_customers
