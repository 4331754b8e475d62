"""Customer profiles (R-201..R-205): create, read with masking, update with optimistic
concurrency and field history, search within the caller's data scope."""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVarTuple

from pydantic_core import to_jsonable_python
from sqlalchemy import ColumnElement, Select, bindparam, delete, func, insert, or_, select, text, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import access
from server.context import Actor
from server.errors import Problem, conflict, validation_failed
from server.executor import Executor, constant
from server.models import (
    ApprovalRequest,
    Customer,
    CustomerSearchKey,
    Org,
    SequenceCounter,
    User,
)
from server.models.base import columns_for
from server.models.customer import phone_last4
from server.search import (
    SORT_LETTERS,
    NameQuery,
    SurnameAndPhone,
    index_entry,
    is_identifier_query,
    name_query,
    prefix_range,
    surname_and_phone,
)
from server.services import approvals, audit, history, jobs
from shared import errors as codes
from shared.enums import CustomerSort, CustomerType, Role
from shared.errors import FieldError
from shared.permissions import ALLOCATION_FIELDS, MASKED_CUSTOMER_FIELDS, UNMASKED_BY, Action, Resource
from shared.schemas import (
    PERSONAL_ONLY_FIELDS,
    CustomerCreate,
    CustomerQuery,
    CustomerRead,
    CustomerSummary,
    CustomerUpdate,
    HistoryEntry,
)
from shared.validators import (
    could_be_id_number,
    could_be_phone,
    could_be_uscc,
    id_consistency_errors,
    id_number_errors,
    length_errors,
    normalise_id_number,
    normalise_phone,
    normalise_uscc,
    phone_errors,
    uscc_errors,
)

SORTS = {
    "name": (Customer.sort_code, Customer.id),
    "-name": (Customer.sort_code.desc(), Customer.id.desc()),
    "customer_no": (Customer.customer_no,),
    "-customer_no": (Customer.customer_no.desc(),),
    "created_at": (Customer.created_at, Customer.id),
    "-created_at": (Customer.created_at.desc(), Customer.id.desc()),
    "updated_at": (Customer.updated_at, Customer.id),
    "-updated_at": (Customer.updated_at.desc(), Customer.id.desc()),
}
assert set(SORTS) == set(CustomerSort), "every sort order the query offers is implemented"
_MANAGER_ROLES = (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER)


# ----------------------------------------------------------------------------- reading
def to_summary(c: Customer) -> CustomerSummary:
    """A row of a list: identifiers are always masked there, and with them the birth date."""
    s = CustomerSummary.model_validate(c)
    for f in MASKED_CUSTOMER_FIELDS:
        setattr(s, f, access.mask(f, getattr(c, f)))
    s.age = access.age(c.birth_date)
    return s


def to_read(c: Customer, masked: list[str]) -> CustomerRead:
    r = CustomerRead.model_validate(c)
    for f in masked:
        setattr(r, f, access.mask(f, getattr(c, f)))
    r.masked_fields = masked
    r.age = access.age(c.birth_date)
    return r


def _read_as(db: Session, actor: Actor, c: Customer) -> CustomerRead:
    r = to_read(c, access.masked_customer_fields(db, actor, c))
    manager = db.get(User, c.manager_id) if c.manager_id is not None else None
    r.manager_name = manager.display_name if manager is not None else None
    return r


def read_as(db: Session, actor: Actor, c: Customer) -> CustomerRead:
    """A loaded customer as `GET /customers/{id}` answers this reader (masked by scope; a
    caller that hands out unmasked values audits the read): e.g. a restored customer."""
    return _read_as(db, actor, c)


#: The responsible account manager's name beside their id, in the same statement (one
#: primary-key probe per row of a page: the list's and the header card's column).
_MANAGER_NAME = select(User.display_name).where(User.id == Customer.manager_id).correlate(Customer) \
    .scalar_subquery().label("manager_name")
#: What a list row and a full profile read (the hot reads select columns, not entities).
SUMMARY_COLUMNS = (*columns_for(Customer, CustomerSummary), _MANAGER_NAME)
READ_COLUMNS = (*columns_for(Customer, CustomerRead), _MANAGER_NAME)


async def read(x: Executor, actor: Actor, customer_id: int) -> CustomerRead:
    """The profile, masked as the reader's scope requires; an unmasked read is audited."""
    c = await access.load_row(x, actor, Resource.CUSTOMER, customer_id, READ_COLUMNS)
    masked = access.masked_customer_fields(None, actor, c)
    unmasked = [f for f in MASKED_CUSTOMER_FIELDS if getattr(c, f) is not None and f not in masked]
    if unmasked:
        await audit.append(x, "customer.read_unmasked", who=actor, object_type="customer", object_id=c.id,
                           fields=unmasked)
    return to_read(c, masked)


async def search(x: Executor, actor: Actor, query: CustomerQuery, *, page: int, page_size: int, count_cap: int
                 ) -> tuple[list[CustomerSummary], int, bool]:
    """Identifier-shaped queries are exact lookups on their own indexes; any other text
    is a name (module server.search); no text lists the scope."""
    await access.load_subtrees(x, actor, actor.org_id, query.org_id)
    q = (query.q or "").strip()
    walk_in = surname_and_phone(q) if q else None
    if walk_in is not None:
        return await _search_by_surname_and_phone(x, actor, walk_in, query, page=page, page_size=page_size,
                                                  count_cap=count_cap)
    name = name_query(q) if q and not is_identifier_query(q) else None
    if name is not None:
        return await _search_by_name(x, actor, name, query, page=page, page_size=page_size, count_cap=count_cap)
    if q:  # an identifier matches a handful of rows at most: one statement, counted here
        shape, match = _identifier_match(q)
        if not any(shape):  # no stored identifier can equal it
            return [], 0, False
        scope, values = access.scope_condition(None, actor, Resource.CUSTOMER)
        filters, filter_values = _filter_shape(actor, query)
        found = await x.all(_identifier_lookup(scope, shape, filters, query.sort),
                            {**values, **match, **filter_values, "limit": count_cap + 1})
        return _capped_page(found, page, page_size, count_cap)
    scope, values = access.scope_condition(None, actor, Resource.CUSTOMER)
    filters, filter_values = _filter_shape(actor, query)
    count, rows = _list_statements(scope, filters, query.sort)
    params = {**values, **filter_values, "cap": count_cap + 1, "skip": (page - 1) * page_size, "page_size": page_size}
    n = await x.scalar(count, params) or 0
    found = await x.all(rows, params)
    return [to_summary(c) for c in found], min(n, count_cap), n > count_cap


def _capped_page(found: Sequence[Any], page: int, page_size: int, count_cap: int
                 ) -> tuple[list[CustomerSummary], int, bool]:
    """A page of rows fetched whole (at most the cap + 1): its rows, the capped count, capped."""
    start = (page - 1) * page_size
    return ([to_summary(c) for c in found[start:start + page_size]], min(len(found), count_cap),
            len(found) > count_cap)


async def _search_by_surname_and_phone(x: Executor, actor: Actor, walk_in: SurnameAndPhone, query: CustomerQuery,
                                       *, page: int, page_size: int, count_cap: int
                                       ) -> tuple[list[CustomerSummary], int, bool]:
    """The customers whose phone ends in the four digits (`ix_customer_phone_last4`: a
    few hundred at most of two million) and whose name, or its spelling, starts so."""
    scope, values = access.scope_condition(None, actor, Resource.CUSTOMER)
    filters, filter_values = _filter_shape(actor, query)
    found = await x.all(_surname_and_phone_lookup(scope, filters, walk_in.latin, query.sort),
                        {**values, **filter_values, "last4": walk_in.last4, "limit": count_cap + 1,
                         "starts": f"{_like_escaped(walk_in.name)}%"})
    return _capped_page(found, page, page_size, count_cap)


@functools.lru_cache(maxsize=128)
def _surname_and_phone_lookup(scope: ColumnElement[bool], filters: tuple[bool, bool, bool], latin: bool,
                              sort: str) -> Select[Any]:
    starts = (Customer.sort_key if latin else Customer.name).like(bindparam("starts"), escape="/")
    stmt = _apply_filters(select(*SUMMARY_COLUMNS).where(
        scope, phone_last4(Customer.phone) == bindparam("last4"), starts), filters)
    return constant(stmt.order_by(*SORTS[sort]).limit(bindparam("limit")))


@functools.lru_cache(maxsize=256)
def _list_statements(scope: ColumnElement[bool], filters: tuple[bool, bool, bool], sort: str
                     ) -> tuple[Select[Any], Select[Any]]:
    """No text: the scope's customers, filtered (capped count, one page)."""
    stmt = _apply_filters(select(*SUMMARY_COLUMNS).where(scope), filters)
    return (constant(_capped_count_statement([stmt.with_only_columns(Customer.id)])),
            constant(stmt.order_by(*SORTS[sort]).offset(bindparam("skip")).limit(bindparam("page_size"))))


_Row = TypeVarTuple("_Row")


def _apply_filters(stmt: Select[*_Row], filters: tuple[bool, bool, bool]) -> Select[*_Row]:
    """The list's filters present (org subtree, manager, type; `_filter_shape`), as
    bindparams on the customer table."""
    by_org, by_manager, by_type = filters
    if by_org:
        stmt = stmt.where(Customer.org_id.in_(bindparam("filter_orgs", expanding=True)))
    if by_manager:
        stmt = stmt.where(Customer.manager_id == bindparam("filter_manager"))
    if by_type:
        stmt = stmt.where(Customer.type == bindparam("filter_type"))
    return stmt


def _capped_count_statement(streams: Sequence[Select[*tuple[Any, ...]]]) -> Select[Any]:
    """TRAPS.md: an exact count over a common surname costs more than the page itself.
    Each stream (disjoint) is counted up to `cap` rows (a bindparam: the cap + 1), in one
    round trip."""
    counts = [select(func.count()).select_from(s.limit(bindparam("cap")).subquery()).scalar_subquery()
              for s in streams]
    summed: ColumnElement[int] = counts[0]
    for more in counts[1:]:
        summed = summed + more
    return select(summed)


#: What `_next_customer_no` and the import give: C and the number.
_CUSTOMER_NO = re.compile(r"^C\d{1,19}$")


def _identifier_match(q: str) -> tuple[tuple[bool, bool, bool, bool], dict[str, str]]:
    """Which identifiers `q` can equal — a customer number, a resident ID, a credit
    code, a mobile phone (each as the store normalises and checks it) — and their
    values: the look-up asks only those indexes (a resident ID's check character rules
    out a phone and a customer number, so it is one index probe, as the floor's)."""
    ident, phone = normalise_id_number(q), normalise_phone(q)
    shape = (bool(_CUSTOMER_NO.match(ident)), could_be_id_number(ident), could_be_uscc(normalise_uscc(q)),
             could_be_phone(phone))
    values = {"ident": ident} if shape[0] or shape[1] else {}
    if shape[2]:
        values["uscc"] = normalise_uscc(q)
    if shape[3]:
        values["phone"] = phone
    return shape, values


def _filter_shape(actor: Actor, query: CustomerQuery) -> tuple[tuple[bool, bool, bool], dict[str, Any]]:
    """`_filtered`'s filters as (org, manager, type) present, and their values."""
    values: dict[str, Any] = {}
    if query.org_id is not None:
        values["filter_orgs"] = access.subtree_ids(None, query.org_id, actor)
    if query.manager_id is not None:
        values["filter_manager"] = query.manager_id
    if query.type:
        values["filter_type"] = query.type
    return (query.org_id is not None, query.manager_id is not None, bool(query.type)), values


@functools.lru_cache(maxsize=512)
def _identifier_lookup(scope: ColumnElement[bool], shape: tuple[bool, bool, bool, bool],
                       filters: tuple[bool, bool, bool], sort: str) -> Select[Any]:
    """An exact look-up, one statement per shape (built and compiled once, values bound
    per request): plain equalities on indexed columns, so PostgreSQL ORs their index scans."""
    customer_no, id_number, uscc, phone = shape
    conds: list[ColumnElement[bool]] = []
    if customer_no:
        conds.append(Customer.customer_no == bindparam("ident"))
    if id_number:
        conds.append(Customer.id_number == bindparam("ident"))
    if uscc:
        conds.append(Customer.uscc == bindparam("uscc"))
    if phone:
        conds.append(Customer.phone == bindparam("phone"))
    stmt = _apply_filters(select(*SUMMARY_COLUMNS).where(scope, or_(*conds)), filters)
    return constant(stmt.order_by(*SORTS[sort]).limit(bindparam("limit")))


async def _search_by_name(x: Executor, actor: Actor, name: NameQuery, query: CustomerQuery, *,
                          page: int, page_size: int, count_cap: int) -> tuple[list[CustomerSummary], int, bool]:
    """Two statements, each built once per shape (`_name_statements`): the capped count
    and the page's rows."""
    key_scope, values = access.customer_key_condition(None, actor)
    scope, scope_values = access.scope_condition(None, actor, Resource.CUSTOMER)
    filters, filter_values = _filter_shape(actor, query)
    long_prefix = name.prefix is not None and len(name.prefix) > SORT_LETTERS
    count, rows = _name_statements(key_scope, scope, filters, name.contain is not None, name.prefix is not None,
                                   long_prefix, query.sort)
    skip = (page - 1) * page_size
    params = {**values, **scope_values, **filter_values, "key": name.key, "cap": count_cap + 1, "skip": skip,
              "page_size": page_size, "walk": skip + page_size}
    if name.contain is not None:
        params["contain"] = f"%{_like_escaped(name.contain)}%"
    if name.prefix is not None:
        params["lo"], params["hi"] = prefix_range(name.prefix)
        params["spelling"] = f"{_like_escaped(name.prefix)}%"
    n = await x.scalar(count, params) or 0
    found = await x.all(rows, params)
    return [to_summary(c) for c in found], min(n, count_cap), n > count_cap


def _like_escaped(text: str) -> str:
    """`text` for a LIKE pattern with `/` as the escape character (as `autoescape` does)."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


@functools.lru_cache(maxsize=512)
def _name_statements(key_scope: ColumnElement[bool], scope: ColumnElement[bool],
                     filters: tuple[bool, bool, bool], contain: bool, prefix: bool, long_prefix: bool,
                     sort: str) -> tuple[Select[Any], Select[Any]]:
    """The keys, one walk of (key, sort_code, customer_id) filtered by the scope's orgs
    (the customer table is joined only for filters the key rows do not carry); for a
    Latin query also the customers whose spelling starts with it, one walk of the
    customers' (sort_code, id) range. The two never share a customer (server.search)
    and come in the same order, so PostgreSQL merges them and stops after the page.
    (count capped at `cap`, the page's rows), with their values as bindparams."""
    k = CustomerSearchKey
    by_org, by_manager, by_type = filters
    keyed = select(k.sort_code, k.customer_id).where(k.key == bindparam("key"), key_scope)
    if by_org:
        keyed = keyed.where(k.org_id.in_(bindparam("filter_orgs", expanding=True)))
    if contain or by_manager or by_type:
        keyed = _apply_filters(keyed.join(Customer, Customer.id == k.customer_id), (False, by_manager, by_type))
        if contain:
            keyed = keyed.where(Customer.name.like(bindparam("contain"), escape="/"))
    streams = [keyed]
    if prefix:
        spelt = select(Customer.sort_code, Customer.id.label("customer_id")).where(
            Customer.sort_code.between(bindparam("lo"), bindparam("hi")), scope)
        if long_prefix:
            spelt = spelt.where(Customer.sort_key.like(bindparam("spelling"), escape="/"))
        streams.append(_apply_filters(spelt, filters))
    count = _capped_count_statement(streams)
    if sort in ("name", "-name"):
        # each walk stops after the rows the page can need; PostgreSQL 15 merges the two
        # ordered walks only when each is ordered and limited itself (it does not see
        # the key index's order through a plain UNION ALL and sorts every match instead)
        def by_name(cols: Any) -> tuple[Any, ...]:
            return (cols.sort_code, cols.customer_id) if sort == "name" else \
                (cols.sort_code.desc(), cols.customer_id.desc())
        walks = [w.order_by(*by_name(w.selected_columns)).limit(bindparam("walk")).subquery() for w in streams]
        found = walks[0] if len(walks) == 1 else \
            union_all(*(select(w.c.sort_code, w.c.customer_id) for w in walks)).subquery()
        ids = select(found.c.customer_id).order_by(*by_name(found.c))
        order: tuple[Any, ...] = (Customer.sort_code, Customer.id) if sort == "name" else \
            (Customer.sort_code.desc(), Customer.id.desc())
    else:
        found = union_all(*streams).subquery()
        ids = select(found.c.customer_id).join(Customer, Customer.id == found.c.customer_id) \
            .order_by(*SORTS[sort])
        order = SORTS[sort]
    page_ids = ids.offset(bindparam("skip")).limit(bindparam("page_size"))
    rows = select(*SUMMARY_COLUMNS).where(Customer.id.in_(page_ids)).order_by(*order)
    return constant(count), constant(rows)


# ----------------------------------------------------------------------------- validation
def _validate(db: Session, actor: Actor, state: dict[str, Any], changed: set[str], placing: Action) -> None:
    """Field-level rules on the merged state; all errors at once, nothing stored. The
    organisation and manager must lie within the actor's scope for `placing` (creating,
    reassigning, or approving a reassignment)."""
    errs = field_errors(state, changed)
    if "org_id" in changed:
        errs += _org_errors(db, actor, state["org_id"], placing)
    if "manager_id" in changed and state.get("manager_id") is not None:
        errs += _manager_errors(db, actor, state["manager_id"])
    if errs:
        raise validation_failed(errs)


def field_errors(state: dict[str, Any], changed: set[str]) -> list[FieldError]:
    """The rules on a customer's own fields (normalised, see `normalise`), without the
    database: the organisation and the manager are checked by the caller. The API and
    the core-banking import (server/imports/customers.py) both judge a record by these."""
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
                 for f in PERSONAL_ONLY_FIELDS if state.get(f) not in (None, "") and f in changed]
    if state.get("phone") and "phone" in changed:
        errs += phone_errors(state["phone"])
    for f, n in (("address", 200), ("occupation", 60), ("employer", 100)):
        if f in changed:
            errs += length_errors(f, state.get(f), max_len=n)
    return errs


def _org_errors(db: Session, actor: Actor, org_id: int, placing: Action) -> list[FieldError]:
    if db.get(Org, org_id) is None:
        return [FieldError("org_id", "customer.org_id.not_found", "Choose an existing organisation")]
    if not access.org_in_scope(db, actor, org_id, placing):
        return [FieldError("org_id", "customer.org_id.out_of_scope",
                           "Choose your own organisation or one below it")]
    return []


def _manager_errors(db: Session, actor: Actor, manager_id: int) -> list[FieldError]:
    m = db.get(User, manager_id)
    if m is None or m.disabled or m.role not in _MANAGER_ROLES or \
            not access.within_own_subtree(db, actor, m.org_id):
        return [FieldError("manager_id", "customer.manager_id.invalid",
                           "Choose an active account manager within your organisation")]
    return []


def normalise(values: dict[str, Any]) -> dict[str, Any]:
    """Identifiers as stored (upper-case, no spaces), free text trimmed (empty: none)."""
    out = dict(values)
    for f, fn in (("id_number", normalise_id_number), ("phone", normalise_phone), ("uscc", normalise_uscc)):
        if out.get(f) is not None:
            out[f] = fn(out[f]) or None
    for f in ("address", "occupation", "employer"):
        if isinstance(out.get(f), str):
            out[f] = out[f].strip() or None
    return out


# ----------------------------------------------------------------------------- writing
def _next_customer_no(db: Session) -> str:
    if db.get_bind().dialect.name == "postgresql":
        n = db.scalar(text("SELECT nextval('customer_no_seq')"))
    else:
        n = db.scalar(update(SequenceCounter).where(SequenceCounter.name == "customer_no")
                      .values(value=SequenceCounter.value + 1).returning(SequenceCounter.value))
    return f"C{n:010d}"


def _write_keys(db: Session, c: Customer, *, replace: bool) -> None:
    """The name's search keys, carrying the customer's sort code and org (rewritten when
    the name or the org changes)."""
    if replace:
        db.execute(delete(CustomerSearchKey).where(CustomerSearchKey.customer_id == c.id))
    keys = index_entry(c.name).keys
    if keys:
        db.execute(insert(CustomerSearchKey), [{"sort_code": c.sort_code, "customer_id": c.id, "org_id": c.org_id,
                                                "key": k} for k in keys])


def write_search_keys(db: Session, c: Customer) -> None:
    """A customer's search keys written afresh (`_write_keys`, the one place they are
    written): for a customer whose rows came back another way (a restore from the archive)."""
    _write_keys(db, c, replace=True)


def _index_name(c: Customer) -> None:
    entry = index_entry(c.name)
    c.sort_code, c.sort_key = entry.sort_code, entry.sort_key


#: Job kind: rewrite every customer's search keys (and sort code and key), e.g. after a
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
    rows = db.execute(select(Customer.id, Customer.name, Customer.org_id, Customer.sort_code, Customer.sort_key)
                      .where(Customer.id > after).order_by(Customer.id).limit(size).with_for_update()).all()
    if not rows:
        return jobs.Batch(processed=0, checkpoint={"after_id": after}, finished=True, total=total)
    ids = [r.id for r in rows]
    db.execute(delete(CustomerSearchKey).where(CustomerSearchKey.customer_id.in_(ids)))
    keys = []
    for r in rows:
        entry = index_entry(r.name)
        if (entry.sort_code, entry.sort_key) != (r.sort_code, r.sort_key):
            db.execute(update(Customer).where(Customer.id == r.id)
                       .values(sort_code=entry.sort_code, sort_key=entry.sort_key, updated_at=Customer.updated_at))
        keys += [{"sort_code": entry.sort_code, "customer_id": r.id, "org_id": r.org_id, "key": k}
                 for k in entry.keys]
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
    values = normalise(data.model_dump())
    if values.get("manager_id") is None and actor.role == Role.ACCOUNT_MANAGER:
        values["manager_id"] = actor.user_id
    _validate(db, actor, values, changed=set(values), placing=Action.CUSTOMER_CREATE)
    c = Customer(**values, customer_no=_next_customer_no(db))
    _index_name(c)
    db.add(c)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise _duplicate(exc) from None
    _write_keys(db, c, replace=False)
    history.record(db, Resource.CUSTOMER, c.id, "create", actor.user_id,
                   {f: (None, v) for f, v in values.items() if v is not None})
    audit.record(db, "customer.create", who=actor, object_type="customer", object_id=c.id)
    return _read_as(db, actor, c)


def update_customer(db: Session, actor: Actor, customer_id: int,
                    data: CustomerUpdate) -> CustomerRead | ApprovalRequest:
    """Contact details, the full profile and allocation need successively stronger
    rights; moving a customer beyond the reassignment threshold waits for a checker."""
    c = access.load(db, actor, Resource.CUSTOMER, customer_id, Action.CUSTOMER_LOOKUP, for_update=True)
    changes = normalise(data.model_dump(exclude_unset=True, exclude={"version"}))
    changes = {k: v for k, v in changes.items() if getattr(c, k) != v}
    access.authorise_fields(db, actor, Resource.CUSTOMER, c, set(changes))
    if c.version != data.version:
        raise conflict(codes.VERSION_CONFLICT, "The customer was changed by someone else since you read it",
                       current=_read_as(db, actor, c).model_dump(mode="json"))
    if not changes:
        return _read_as(db, actor, c)
    _validate(db, actor, _state(c, changes), changed=set(changes), placing=Action.CUSTOMER_REASSIGN)
    if changes.keys() & ALLOCATION_FIELDS and access.needs_approval(db, actor, Action.CUSTOMER_REASSIGN,
                                                                    customers_moved=1):
        moves = {k: [history.as_text(getattr(c, k)), history.as_text(v)] for k, v in changes.items()
                 if k in ALLOCATION_FIELDS}
        return approvals.submit(db, actor, "customer.reassign",
                                {"customer_id": c.id, "version": c.version,
                                 "changes": to_jsonable_python(changes)},
                                f"Reassign customer {c.customer_no}", org_id=c.org_id, object_type="customer",
                                object_id=c.id, touches_orgs=tuple(
                                    int(v) for k, (_o, v) in moves.items() if k == "org_id" and v),
                                details={"customer_no": c.customer_no, **{
                                    f"{k}_from": old for k, (old, _new) in moves.items()}, **{
                                    f"{k}_to": new for k, (_old, new) in moves.items()}})
    _apply(db, actor.user_id, c, changes)
    audit.record(db, "customer.update", who=actor, object_type="customer", object_id=c.id, fields=sorted(changes))
    return _read_as(db, actor, c)


def _state(c: Customer, changes: dict[str, Any]) -> dict[str, Any]:
    state = {col: getattr(c, col) for col in CustomerRead.model_fields if hasattr(Customer, col)}
    state.update(changes)
    return state


def _apply(db: Session, author_id: int, c: Customer, changes: dict[str, Any], approval_id: int | None = None) -> None:
    """Write validated changes, their search keys and one history row per field."""
    old = {k: getattr(c, k) for k in changes}
    for k, v in changes.items():
        setattr(c, k, v)
    if "name" in changes:
        _index_name(c)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise _duplicate(exc) from None
    if changes.keys() & {"name", "org_id"}:
        _write_keys(db, c, replace=True)
    history.record(db, Resource.CUSTOMER, c.id, "update", author_id, {k: (old[k], v) for k, v in changes.items()},
                   approval_id=approval_id)


@approvals.executor("customer.reassign")
def _reassign_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> None:
    """The checker's scope is checked again, on the customer and on where it goes."""
    c = access.load(db, checker, Resource.CUSTOMER, int(payload["customer_id"]), for_update=True)
    if c.version != payload["version"]:
        raise approvals.stale()
    changes = CustomerUpdate.model_validate({**payload["changes"], "version": c.version}).model_dump(
        exclude_unset=True, exclude={"version"})
    changes = normalise(changes)
    _validate(db, checker, _state(c, changes), changed=set(changes), placing=Action.APPROVAL_DECIDE)
    _apply(db, req.maker_id, c, changes, approval_id=req.id)
    audit.record(db, "customer.update", who=checker, object_type="customer", object_id=c.id,
                 fields=sorted(changes), approval_id=req.id)


def change_history(db: Session, actor: Actor, customer_id: int, page: int, page_size: int
                   ) -> tuple[list[HistoryEntry], int]:
    """Masked exactly as this reader sees the fields."""
    c = access.load(db, actor, Resource.CUSTOMER, customer_id)
    full = access.in_scope(db, actor, Resource.CUSTOMER, c, UNMASKED_BY)
    return history.page(db, Resource.CUSTOMER, c.id, page, page_size, full=full)
