"""Customer profiles (R-201..R-205): create, read with masking, update with optimistic
concurrency and field history, search within the caller's data scope."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, insert, or_, select, text, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.context import Actor
from server.errors import Problem, conflict, forbidden, not_found, validation_failed
from server.models import Customer, CustomerChange, CustomerSearchKey, Org, SequenceCounter, User
from server.search import is_identifier_query, keys_for_name, name_key, sort_key
from server.services import audit, jobs
from server.services.orgs import subtree_ids
from shared import errors as codes
from shared.enums import CustomerSort, CustomerType, Role
from shared.errors import FieldError
from shared.masking import mask_id_number, mask_phone
from shared.permissions import ALLOCATION_FIELDS, CONTACT_FIELDS, Action, Scope
from shared.schemas import (
    CustomerCreate,
    CustomerQuery,
    CustomerRead,
    CustomerSummary,
    CustomerUpdate,
    HistoryEntry,
)
from shared.validators import (
    id_consistency_errors,
    id_number_errors,
    length_errors,
    normalise_id_number,
    normalise_phone,
    normalise_uscc,
    phone_errors,
    uscc_errors,
)

SENSITIVE = {"id_number": mask_id_number, "phone": mask_phone}
SORTS = {
    "name": (Customer.sort_key, Customer.id),
    "-name": (Customer.sort_key.desc(), Customer.id.desc()),
    "customer_no": (Customer.customer_no,),
    "-customer_no": (Customer.customer_no.desc(),),
    "created_at": (Customer.created_at, Customer.id),
    "-created_at": (Customer.created_at.desc(), Customer.id.desc()),
    "updated_at": (Customer.updated_at, Customer.id),
    "-updated_at": (Customer.updated_at.desc(), Customer.id.desc()),
}
assert set(SORTS) == set(CustomerSort), "every sort order the query offers is implemented"
_PERSONAL_ONLY = ("gender", "birth_date", "id_number", "marital_status", "education", "income_band", "occupation",
                  "employer")
_MANAGER_ROLES = (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER)


# ----------------------------------------------------------------------------- scope
def scope_clause(db: Session, actor: Actor, scope: Scope | None = None) -> ColumnElement[bool]:
    """The customers `actor` reaches under `scope` (default: the actor's own)."""
    scope = scope or actor.scope
    if scope == Scope.BANK:
        return true()
    if scope == Scope.ORG_SUBTREE:
        return Customer.org_id.in_(subtree_ids(db, actor.org_id, actor))
    if scope == Scope.OWN_ORG:
        return Customer.org_id == actor.org_id
    if scope == Scope.OWN_BOOK:
        return Customer.manager_id == actor.user_id
    return false()


def in_scope(db: Session, actor: Actor, action: Action, c: Customer) -> bool:
    scope = actor.may(action)
    if scope is None:
        return False
    if scope == Scope.BANK:
        return True
    if scope == Scope.ORG_SUBTREE:
        return c.org_id in subtree_ids(db, actor.org_id, actor)
    if scope == Scope.OWN_ORG:
        return c.org_id == actor.org_id
    if scope == Scope.OWN_BOOK:
        return c.manager_id == actor.user_id
    return False


def _load(db: Session, actor: Actor, customer_id: int, *, for_update: bool = False) -> Customer:
    """A customer in the actor's scope; 404 exactly as for a missing id otherwise."""
    q = select(Customer).where(Customer.id == customer_id, scope_clause(db, actor))
    if for_update:
        q = q.with_for_update()
    c = db.scalar(q)
    if c is None:
        raise not_found()
    return c


# ----------------------------------------------------------------------------- reading
def _masked_fields(db: Session, actor: Actor, c: Customer) -> list[str]:
    if in_scope(db, actor, Action.CUSTOMER_READ_FULL, c):
        return []
    return [f for f in SENSITIVE if getattr(c, f)]


def to_summary(c: Customer) -> CustomerSummary:
    s = CustomerSummary.model_validate(c)
    s.id_number = mask_id_number(c.id_number)
    s.phone = mask_phone(c.phone)
    return s


def to_read(c: Customer, masked: list[str]) -> CustomerRead:
    r = CustomerRead.model_validate(c)
    for f in masked:
        setattr(r, f, SENSITIVE[f](getattr(c, f)))
    r.masked_fields = masked
    return r


def read(db: Session, actor: Actor, customer_id: int) -> CustomerRead:
    c = _load(db, actor, customer_id)
    masked = _masked_fields(db, actor, c)
    unmasked = [f for f in SENSITIVE if getattr(c, f) and f not in masked]
    if unmasked:
        audit.record(db, "customer.read_unmasked", who=actor, object_type="customer", object_id=c.id,
                     fields=unmasked)
    return to_read(c, masked)


def search(db: Session, actor: Actor, query: CustomerQuery, *, page: int, page_size: int, count_cap: int
           ) -> tuple[list[CustomerSummary], int, bool]:
    """Identifier-shaped queries are exact lookups on their own indexes; any other text
    is one lookup in the name keys (module server.search); no text lists the scope."""
    q = (query.q or "").strip()
    key = name_key(q) if q and not is_identifier_query(q) else None
    if key is not None:
        return _search_by_name(db, actor, q, key, query, page=page, page_size=page_size, count_cap=count_cap)
    stmt = select(Customer).where(scope_clause(db, actor))
    if query.org_id is not None:
        stmt = stmt.where(Customer.org_id.in_(subtree_ids(db, query.org_id)))
    if query.manager_id is not None:
        stmt = stmt.where(Customer.manager_id == query.manager_id)
    if query.type:
        stmt = stmt.where(Customer.type == query.type)
    if q:
        stmt = stmt.where(_identifier_match(q))
    total, capped = _capped_count(db, stmt.with_only_columns(Customer.id), count_cap)
    rows = db.scalars(stmt.order_by(*SORTS[query.sort]).offset((page - 1) * page_size).limit(page_size))
    return [to_summary(c) for c in rows], total, capped


def _capped_count(db: Session, ids_query, cap: int) -> tuple[int, bool]:  # type: ignore[no-untyped-def]
    """TRAPS.md: an exact count over a common surname costs more than the page itself."""
    n = db.scalar(select(func.count()).select_from(ids_query.limit(cap + 1).subquery())) or 0
    return min(n, cap), n > cap


def _identifier_match(q: str) -> ColumnElement[bool]:
    """Plain equalities on indexed columns, so PostgreSQL can OR their index scans."""
    ident = normalise_id_number(q)
    conds: list[ColumnElement[bool]] = [Customer.customer_no == ident]
    if len(ident) == 18:
        conds += [Customer.id_number == ident, Customer.uscc == normalise_uscc(q)]
    phone = normalise_phone(q)
    if phone.isdigit():
        conds.append(Customer.phone == phone)
    return or_(*conds)


def _search_by_name(db: Session, actor: Actor, q: str, key: tuple[str, bool], query: CustomerQuery, *,
                    page: int, page_size: int, count_cap: int) -> tuple[list[CustomerSummary], int, bool]:
    """One walk of the (key, sort_key) index, filtered by the scope's orgs; the customer
    table is joined only for filters the key rows do not carry."""
    k = CustomerSearchKey
    value, confirm = key
    ids = select(k.customer_id).where(k.key == value)
    if actor.scope == Scope.ORG_SUBTREE:
        ids = ids.where(k.org_id.in_(subtree_ids(db, actor.org_id, actor)))
    elif actor.scope == Scope.OWN_ORG:
        ids = ids.where(k.org_id == actor.org_id)
    elif actor.scope != Scope.BANK:
        ids = ids.where(k.customer_id.in_(select(Customer.id).where(scope_clause(db, actor))))
    if query.org_id is not None:
        ids = ids.where(k.org_id.in_(subtree_ids(db, query.org_id)))
    sort = query.sort
    if confirm or query.manager_id is not None or query.type or sort not in ("name", "-name"):
        ids = ids.join(Customer, Customer.id == k.customer_id)
        if confirm:
            ids = ids.where(Customer.name.contains(q, autoescape=True))
        if query.manager_id is not None:
            ids = ids.where(Customer.manager_id == query.manager_id)
        if query.type:
            ids = ids.where(Customer.type == query.type)
    total, capped = _capped_count(db, ids, count_cap)
    order = {"name": (k.sort_key, k.customer_id), "-name": (k.sort_key.desc(), k.customer_id.desc())}.get(sort) \
        or SORTS[sort]
    page_ids = list(db.scalars(ids.order_by(*order).offset((page - 1) * page_size).limit(page_size)))
    found = {c.id: c for c in db.scalars(select(Customer).where(Customer.id.in_(page_ids)))} if page_ids else {}
    return [to_summary(found[i]) for i in page_ids if i in found], total, capped


# ----------------------------------------------------------------------------- validation
def _validate(db: Session, actor: Actor, state: dict[str, Any], changed: set[str]) -> None:
    """Field-level rules on the merged state; all errors at once, nothing stored."""
    errs: list[FieldError] = []
    ctype = state.get("type") or CustomerType.PERSONAL
    name = state.get("name")
    if "name" in changed or name is None:
        errs += length_errors("name", name or "", min_len=1, max_len=100)
    if ctype == CustomerType.PERSONAL:
        for f in ("gender", "birth_date", "id_number"):
            if state.get(f) in (None, ""):
                errs.append(FieldError(f, codes.FIELD_REQUIRED, "Required for a personal customer"))
        if state.get("uscc"):
            errs.append(FieldError("uscc", "field.not_applicable", "Only corporate customers have a credit code"))
        idn = state.get("id_number")
        if idn and "id_number" in changed:
            errs += id_number_errors(idn)
        if idn and not any(e.field == "id_number" for e in errs) and changed & {"id_number", "gender", "birth_date"}:
            errs += id_consistency_errors(idn, state.get("gender"), state.get("birth_date"))
        if isinstance(state.get("birth_date"), date) and state["birth_date"] > date.today():
            errs.append(FieldError("birth_date", "customer.birth_date.future", "Date of birth is in the future"))
    else:
        if not state.get("uscc"):
            errs.append(FieldError("uscc", codes.FIELD_REQUIRED, "Required for a corporate customer"))
        elif "uscc" in changed:
            errs += uscc_errors(state["uscc"])
        errs += [FieldError(f, "field.not_applicable", "Only personal customers have this field")
                 for f in _PERSONAL_ONLY if state.get(f) not in (None, "") and f in changed]
    if state.get("phone") and "phone" in changed:
        errs += phone_errors(state["phone"])
    for f, n in (("address", 200), ("occupation", 60), ("employer", 100)):
        if f in changed:
            errs += length_errors(f, state.get(f), max_len=n)
    if "org_id" in changed:
        errs += _org_errors(db, actor, state["org_id"])
    if "manager_id" in changed and state.get("manager_id") is not None:
        errs += _manager_errors(db, actor, state["manager_id"])
    if errs:
        raise validation_failed(errs)


def _org_errors(db: Session, actor: Actor, org_id: int) -> list[FieldError]:
    if db.get(Org, org_id) is None:
        return [FieldError("org_id", "customer.org_id.not_found", "Choose an existing organisation")]
    scope = actor.may(Action.CUSTOMER_CREATE) if actor.action == Action.CUSTOMER_CREATE else \
        actor.may(Action.CUSTOMER_REASSIGN)
    allowed = [actor.org_id] if scope == Scope.OWN_ORG else subtree_ids(db, actor.org_id, actor) \
        if scope == Scope.ORG_SUBTREE else None if scope == Scope.BANK else []
    if allowed is not None and org_id not in allowed:
        return [FieldError("org_id", "customer.org_id.out_of_scope",
                           "Choose your own organisation or one below it")]
    return []


def _manager_errors(db: Session, actor: Actor, manager_id: int) -> list[FieldError]:
    m = db.get(User, manager_id)
    if m is None or m.disabled or m.role not in _MANAGER_ROLES or \
            m.org_id not in subtree_ids(db, actor.org_id, actor):
        return [FieldError("manager_id", "customer.manager_id.invalid",
                           "Choose an active account manager within your organisation")]
    return []


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for f, fn in (("id_number", normalise_id_number), ("phone", normalise_phone), ("uscc", normalise_uscc)):
        if out.get(f) is not None:
            out[f] = fn(out[f]) or None
    for f in ("address", "occupation", "employer"):
        if isinstance(out.get(f), str):
            out[f] = out[f].strip() or None
    return out


def _as_text(v: Any) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, date) else str(v)


# ----------------------------------------------------------------------------- writing
def _next_customer_no(db: Session) -> str:
    if db.get_bind().dialect.name == "postgresql":
        n = db.scalar(text("SELECT nextval('customer_no_seq')"))
    else:
        n = db.scalar(update(SequenceCounter).where(SequenceCounter.name == "customer_no")
                      .values(value=SequenceCounter.value + 1).returning(SequenceCounter.value))
    return f"C{n:010d}"


def _write_keys(db: Session, c: Customer, *, replace: bool) -> None:
    """The name's search keys, carrying the customer's org and sort key (rewritten when
    the name or the org changes)."""
    if replace:
        db.execute(delete(CustomerSearchKey).where(CustomerSearchKey.customer_id == c.id))
    keys = keys_for_name(c.name)
    if keys:
        db.execute(insert(CustomerSearchKey), [{"key": k, "customer_id": c.id, "org_id": c.org_id,
                                                "sort_key": c.sort_key} for k in keys])


#: Job kind: rewrite every customer's search keys (and pinyin sort key), e.g. after a
#: pinyin library upgrade or a bulk load that bypassed the services.
REBUILD_SEARCH_KEYS = "search_keys.rebuild"
REBUILD_BATCH_SIZE = 500


@jobs.handler(REBUILD_SEARCH_KEYS)
def rebuild_search_keys(db: Session, step: jobs.Step) -> jobs.Batch:
    """One batch of customers in id order after the checkpoint. The rows are locked
    (PostgreSQL) so that an edit of the same customer waits for the batch, or the batch
    for it, and never interleaves with it. `updated_at` is kept: nothing a user sees
    changed. Params: `batch_size` (default 500)."""
    size = max(1, min(int(step.params.get("batch_size", REBUILD_BATCH_SIZE)), 10_000))
    after = int((step.checkpoint or {}).get("after_id", 0))
    total = step.total
    if total is None:
        total = db.scalar(select(func.count()).select_from(Customer)) or 0
    rows = db.execute(select(Customer.id, Customer.name, Customer.org_id, Customer.sort_key)
                      .where(Customer.id > after).order_by(Customer.id).limit(size).with_for_update()).all()
    if not rows:
        return jobs.Batch(processed=0, checkpoint={"after_id": after}, finished=True, total=total)
    ids = [r.id for r in rows]
    db.execute(delete(CustomerSearchKey).where(CustomerSearchKey.customer_id.in_(ids)))
    keys = []
    for r in rows:
        new_sort = sort_key(r.name)
        if new_sort != r.sort_key:
            db.execute(update(Customer).where(Customer.id == r.id)
                       .values(sort_key=new_sort, updated_at=Customer.updated_at))
        keys += [{"key": k, "customer_id": r.id, "org_id": r.org_id, "sort_key": new_sort}
                 for k in keys_for_name(r.name)]
    if keys:
        db.execute(insert(CustomerSearchKey), keys)
    return jobs.Batch(processed=len(rows), checkpoint={"after_id": ids[-1]}, finished=len(rows) < size,
                      total=total)


def _duplicate(exc: IntegrityError) -> Problem:
    msg = str(exc.orig).lower()
    if "uscc" in msg:
        return conflict(codes.CUSTOMER_DUPLICATE_USCC, "A customer with this credit code already exists")
    return conflict(codes.CUSTOMER_DUPLICATE_ID, "A customer with this resident ID number already exists")


def create(db: Session, actor: Actor, data: CustomerCreate) -> CustomerRead:
    values = _normalise(data.model_dump())
    if values.get("manager_id") is None and actor.role == Role.ACCOUNT_MANAGER:
        values["manager_id"] = actor.user_id
    _validate(db, actor, values, changed=set(values))
    c = Customer(**values, customer_no=_next_customer_no(db), sort_key=sort_key(values["name"]))
    db.add(c)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise _duplicate(exc) from None
    _write_keys(db, c, replace=False)
    db.add_all(CustomerChange(customer_id=c.id, actor_id=actor.user_id, action="create", field=f, old=None,
                              new=_as_text(v)) for f, v in values.items() if v is not None)
    audit.record(db, "customer.create", who=actor, object_type="customer", object_id=c.id)
    return to_read(c, _masked_fields(db, actor, c))


def update_customer(db: Session, actor: Actor, customer_id: int, data: CustomerUpdate) -> CustomerRead:
    c = _load(db, actor.under(Action.CUSTOMER_LOOKUP) or actor, customer_id, for_update=True)
    changes = _normalise(data.model_dump(exclude_unset=True, exclude={"version"}))
    changes = {k: v for k, v in changes.items() if getattr(c, k) != v}
    _authorise_fields(db, actor, c, set(changes))
    if c.version != data.version:
        raise conflict(codes.VERSION_CONFLICT, "The customer was changed by someone else since you read it",
                       current=to_read(c, _masked_fields(db, actor, c)).model_dump(mode="json"))
    if not changes:
        return to_read(c, _masked_fields(db, actor, c))
    state = {col: getattr(c, col) for col in CustomerRead.model_fields if hasattr(Customer, col)}
    state.update(changes)
    _validate(db, actor, state, changed=set(changes))
    old = {k: getattr(c, k) for k in changes}
    for k, v in changes.items():
        setattr(c, k, v)
    if "name" in changes:
        c.sort_key = sort_key(c.name)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise _duplicate(exc) from None
    if changes.keys() & {"name", "org_id"}:
        _write_keys(db, c, replace=True)
    db.add_all(CustomerChange(customer_id=c.id, actor_id=actor.user_id, action="update", field=k,
                              old=_as_text(old[k]), new=_as_text(v)) for k, v in changes.items())
    audit.record(db, "customer.update", who=actor, object_type="customer", object_id=c.id, fields=sorted(changes))
    return to_read(c, _masked_fields(db, actor, c))


def _authorise_fields(db: Session, actor: Actor, c: Customer, fields: set[str]) -> None:
    """Contact details, full profile and allocation need successively stronger rights."""
    needed = [Action.CUSTOMER_EDIT_CONTACT]
    if fields - CONTACT_FIELDS:
        needed.append(Action.CUSTOMER_EDIT)
    if fields & ALLOCATION_FIELDS:
        needed.append(Action.CUSTOMER_REASSIGN)
    for action in needed:
        if not in_scope(db, actor, action, c):
            denied = sorted(fields - CONTACT_FIELDS) if action == Action.CUSTOMER_EDIT else \
                sorted(fields & ALLOCATION_FIELDS) if action == Action.CUSTOMER_REASSIGN else sorted(fields)
            audit.refusal(db, "customer.update", who=actor, object_type="customer", object_id=c.id,
                          action_needed=str(action), fields=denied)
            if actor.may(action) is None and denied:
                raise Problem(403, codes.FORBIDDEN_FIELD, "Forbidden", "Your role may not change these fields",
                              fields=denied)
            raise forbidden("This customer is not in your book")


def history(db: Session, actor: Actor, customer_id: int, page: int, page_size: int
            ) -> tuple[list[HistoryEntry], int]:
    c = _load(db, actor, customer_id)
    masked = set() if in_scope(db, actor, Action.CUSTOMER_READ_FULL, c) else set(SENSITIVE)
    base = select(CustomerChange).where(CustomerChange.customer_id == c.id)
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.execute(base.add_columns(User).outerjoin(User, User.id == CustomerChange.actor_id)
                      .order_by(CustomerChange.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    labels = _reference_labels(db, [ch for ch, _user in rows])
    out = []
    for ch, user in rows:
        mask = SENSITIVE.get(ch.field or "") if ch.field in masked else None
        out.append(HistoryEntry(at=ch.at, actor=user, action=ch.action, field=ch.field,
                                old=mask(ch.old) if mask else ch.old, new=mask(ch.new) if mask else ch.new,
                                old_label=labels.get((ch.field, ch.old)), new_label=labels.get((ch.field, ch.new))))
    return out, total


def _reference_labels(db: Session, changes: list[CustomerChange]) -> dict[tuple[str | None, str | None], str]:
    """Names for the org and manager ids a page of history mentions, in two queries."""
    ids: dict[str, set[int]] = {"org_id": set(), "manager_id": set()}
    for ch in changes:
        if ch.field in ids:
            ids[ch.field] |= {int(v) for v in (ch.old, ch.new) if v and v.isdigit()}
    out: dict[tuple[str | None, str | None], str] = {}
    if ids["org_id"]:
        for org_id, name in db.execute(select(Org.id, Org.name).where(Org.id.in_(ids["org_id"]))):
            out[("org_id", str(org_id))] = name
    if ids["manager_id"]:
        for user_id, name in db.execute(select(User.id, User.display_name).where(User.id.in_(ids["manager_id"]))):
            out[("manager_id", str(user_id))] = name
    return out
