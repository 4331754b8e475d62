"""Deleting, archiving and restoring customers (R-204: "deletion only through an approval
flow; a full snapshot is archived before deletion; the act is recorded").

* `request_deletion` (`DELETE /customers/{id}`) never deletes: it files a
  `customer.delete` request for a checker (branch-checked, escalated to the head office
  like a reassignment), one at a time per customer.
* Approving it runs `_delete_approved` in the checker's transaction. The customer must
  be as the maker saw it (its `version`), else `approval.stale` and nothing happens.
  Then everything it is — the profile, the household and its members, the balance
  sheets and income tables with their lines, its change history, and which members of
  other households named it — becomes one JSON snapshot, sealed with the key file's
  data key into `customer_archive`, and the live rows (search keys included) are
  removed: reads and searches no longer find it, its resident ID is free again.
* `restore` (within `CRM_RESTORE_DAYS` of the deletion) writes every row back with its
  own id, rebuilds the search keys, relinks the members of other households that still
  exist and name nobody, and records the restore in the customer's history.

Scope is server/access.py's: the archive carries the customer's org and manager and is
reached by the customers' rule (`access.archive_filter`, `access.load_archived`).

Ids on SQLite: PostgreSQL's sequences never hand out an id twice, so a restored row
always gets its id back. SQLite gives a deleted row's id to the next row inserted when
it was the table's highest; a table's rows whose ids were taken meanwhile are written
back with new ids, in their old order (references rewritten), and a customer id taken
meanwhile refuses the restore (409 `archive.restore_id_taken`).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import access
from server.context import Actor
from server.crypto import FieldCipher, cipher_of
from server.errors import Problem, conflict, forbidden
from server.models import (
    ApprovalRequest,
    BalanceSheet,
    BalanceSheetLine,
    ChangeRecord,
    Customer,
    CustomerArchive,
    CustomerSearchKey,
    Household,
    HouseholdMember,
    IncomeStatement,
    IncomeStatementLine,
    User,
)
from server.models.base import UtcDateTime, utcnow
from server.services import approvals, audit, customers, history
from server.settings import Settings
from shared import errors as codes
from shared.enums import ApprovalStatus, CustomerType
from shared.masking import mask_id_number
from shared.permissions import MASKED_CUSTOMER_FIELDS, Action, Resource
from shared.schemas import ActorRead, ArchivedCustomerRead, ArchiveRestore, CustomerDelete, CustomerRead
from shared.validators import could_be_id_number, could_be_uscc, normalise_id_number, normalise_uscc

DELETE_KIND = "customer.delete"
#: Associated data of the sealed snapshot (it opens as nothing else).
SNAPSHOT_FIELD = "customer_archive.snapshot"
#: The blind indexes' fields (`FieldCipher.blind_index`): the live records' own names.
ID_NUMBER_FIELD = "customer.id_number"
USCC_FIELD = "customer.uscc"
SNAPSHOT_FORMAT = 1

_CUSTOMER: Table = Customer.__table__  # type: ignore[assignment]
_HOUSEHOLD: Table = Household.__table__  # type: ignore[assignment]
_MEMBER: Table = HouseholdMember.__table__  # type: ignore[assignment]
_SHEET: Table = BalanceSheet.__table__  # type: ignore[assignment]
_SHEET_LINE: Table = BalanceSheetLine.__table__  # type: ignore[assignment]
_STATEMENT: Table = IncomeStatement.__table__  # type: ignore[assignment]
_STATEMENT_LINE: Table = IncomeStatementLine.__table__  # type: ignore[assignment]
_HISTORY: Table = ChangeRecord.__table__  # type: ignore[assignment]


# ----------------------------------------------------------------------------- the request
def request_deletion(db: Session, actor: Actor, customer_id: int, body: CustomerDelete) -> ApprovalRequest:
    """202 for a checker: the customer as the maker saw it (`version`), with a reason.
    A customer the maker may look up but not delete (an account manager, another's
    book): 403; outside the look-up scope: 404."""
    c: Customer = access.load(db, actor, Resource.CUSTOMER, customer_id, Action.CUSTOMER_LOOKUP, for_update=True)
    if not access.in_scope(db, actor, Resource.CUSTOMER, c):
        audit.refusal(db, "customer.delete_request", who=actor, object_type="customer", object_id=c.id,
                      action_needed=str(Action.CUSTOMER_DELETE))
        raise forbidden("This customer is outside what you may delete")
    if c.version != body.version:
        raise conflict(codes.VERSION_CONFLICT, "The customer was changed by someone else since you read it",
                       current=customers.read_as(db, actor, c).model_dump(mode="json"))
    if db.scalar(select(ApprovalRequest.id).where(
            ApprovalRequest.kind == DELETE_KIND, ApprovalRequest.status == ApprovalStatus.PENDING,
            ApprovalRequest.object_type == "customer", ApprovalRequest.object_id == str(c.id))) is not None:
        raise conflict(codes.CUSTOMER_DELETE_PENDING, "A deletion of this customer is already waiting for a checker")
    reason = body.reason.strip()
    # never a direct delete (CONTRACT.md): the table's grants say so too (Condition.ALWAYS)
    req = approvals.submit(db, actor, DELETE_KIND, {"customer_id": c.id, "version": c.version, "reason": reason},
                           f"Delete customer {c.customer_no}", org_id=c.org_id, object_type="customer",
                           object_id=c.id, details={"customer_no": c.customer_no, "org_id": c.org_id,
                                                    "manager_id": c.manager_id, "reason": reason})
    audit.record(db, "customer.delete_request", who=actor, object_type="customer", object_id=c.id,
                 approval_id=req.id)
    return req


# ----------------------------------------------------------------------------- archiving
@approvals.executor(DELETE_KIND)
def _delete_approved(db: Session, checker: Actor, req: ApprovalRequest, payload: dict[str, Any]) -> CustomerArchive:
    """The customer through the checker's scope, unchanged since the request: archived
    as one sealed snapshot, then its live rows removed."""
    c: Customer = access.load(db, checker, Resource.CUSTOMER, int(payload["customer_id"]), for_update=True)
    if c.version != payload["version"]:
        raise approvals.stale()
    cipher = cipher_of(db)
    snapshot = _snapshot(db, c.id)
    arch = CustomerArchive(customer_id=c.id, customer_no=c.customer_no, type=c.type, name=c.name, org_id=c.org_id,
                           manager_id=c.manager_id, identifier_index=_identifier_index(cipher, c.id_number, c.uscc),
                           snapshot=cipher.seal(json.dumps(snapshot, ensure_ascii=False), SNAPSHOT_FIELD),
                           reason=str(payload["reason"]), approval_id=req.id, requested_by=req.maker_id,
                           archived_by=checker.user_id, archived_at=utcnow())
    db.add(arch)
    db.flush()
    _remove(db, c.id, snapshot)
    db.expunge(c)
    audit.record(db, "customer.delete", who=checker, object_type="customer", object_id=arch.customer_id,
                 approval_id=req.id, archive_id=arch.id, requested_by=req.maker_id,
                 rows={k: len(v) for k, v in snapshot.items() if isinstance(v, list)})
    return arch


def _identifier_index(cipher: FieldCipher, id_number: str | None, uscc: str | None) -> str | None:
    """The keyed hash of the customer's resident ID (personal) or credit code (corporate),
    as stored (upper-case): an exact search finds the archive without opening it."""
    if id_number:
        return cipher.blind_index(ID_NUMBER_FIELD, normalise_id_number(id_number))
    if uscc:
        return cipher.blind_index(USCC_FIELD, normalise_uscc(uscc))
    return None


def _snapshot(db: Session, customer_id: int) -> dict[str, Any]:
    """Every row the customer is, column by column (dates and times as ISO text)."""
    def rows(table: Table, *where: Any) -> list[dict[str, Any]]:
        found = db.execute(select(table).where(*where).order_by(table.c.id)).mappings()
        return [{k: _jsonable(v) for k, v in r.items()} for r in found]

    households = rows(_HOUSEHOLD, _HOUSEHOLD.c.customer_id == customer_id)
    household_ids = [h["id"] for h in households]
    sheets = rows(_SHEET, _SHEET.c.customer_id == customer_id)
    statements = rows(_STATEMENT, _STATEMENT.c.customer_id == customer_id)
    return {
        "format": SNAPSHOT_FORMAT,
        "customer": rows(_CUSTOMER, _CUSTOMER.c.id == customer_id)[0],
        "household": households,
        "household_member": rows(_MEMBER, _MEMBER.c.household_id.in_(household_ids)),
        "balance_sheet": sheets,
        "balance_sheet_line": rows(_SHEET_LINE, _SHEET_LINE.c.sheet_id.in_([s["id"] for s in sheets])),
        "income_statement": statements,
        "income_statement_line": rows(_STATEMENT_LINE,
                                      _STATEMENT_LINE.c.statement_id.in_([s["id"] for s in statements])),
        "change_history": rows(_HISTORY, _HISTORY.c.resource == str(Resource.CUSTOMER),
                               _HISTORY.c.resource_id == str(customer_id)),
        # members of other households who are this customer (their link goes with it)
        "linked_members": list(db.scalars(select(HouseholdMember.id).where(
            HouseholdMember.customer_id == customer_id, HouseholdMember.household_id.not_in(household_ids))
            .order_by(HouseholdMember.id))),
    }


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v  # a datetime is a date too


def _remove(db: Session, customer_id: int, snapshot: dict[str, Any]) -> None:
    """The live rows, children first (the database's cascades would do most of it; done
    here, each table is removed by what the snapshot holds of it)."""
    def ids(name: str) -> list[int]:
        return [r["id"] for r in snapshot[name]]

    db.execute(delete(IncomeStatementLine).where(IncomeStatementLine.id.in_(ids("income_statement_line"))))
    db.execute(delete(IncomeStatement).where(IncomeStatement.id.in_(ids("income_statement"))))
    db.execute(delete(BalanceSheetLine).where(BalanceSheetLine.id.in_(ids("balance_sheet_line"))))
    db.execute(delete(BalanceSheet).where(BalanceSheet.id.in_(ids("balance_sheet"))))
    db.execute(delete(HouseholdMember).where(HouseholdMember.id.in_(ids("household_member"))))
    db.execute(delete(Household).where(Household.id.in_(ids("household"))))
    db.execute(delete(ChangeRecord).where(ChangeRecord.id.in_(ids("change_history"))))
    db.execute(update(HouseholdMember).where(HouseholdMember.id.in_(snapshot["linked_members"]))
               .values(customer_id=None).execution_options(synchronize_session=False))
    db.execute(delete(CustomerSearchKey).where(CustomerSearchKey.customer_id == customer_id))
    db.execute(delete(Customer).where(Customer.id == customer_id).execution_options(synchronize_session=False))


# ----------------------------------------------------------------------------- the archive
def _restore_days(actor: Actor) -> int:
    settings = actor.settings
    days = settings.restore_days if settings is not None else Settings.model_fields["restore_days"].default
    return int(days)


def list_archived(db: Session, actor: Actor, q: str | None, page: int, page_size: int
                  ) -> tuple[list[ArchivedCustomerRead], int]:
    """The archived customers (not restored) in the reader's scope, newest first. `q`: the
    exact customer number, the exact resident ID or credit code (by their blind index),
    or any fragment of the name. Snapshots are opened for the page's rows only (the
    masked resident ID)."""
    stmt = select(CustomerArchive).where(CustomerArchive.restored_at.is_(None), access.archive_filter(db, actor))
    text = (q or "").strip()
    if text:
        cipher = cipher_of(db)
        ident, uscc = normalise_id_number(text), normalise_uscc(text)
        matches = [CustomerArchive.customer_no == ident, CustomerArchive.name.contains(text, autoescape=True)]
        if could_be_id_number(ident):
            matches.append(CustomerArchive.identifier_index.in_(cipher.blind_indexes(ID_NUMBER_FIELD, ident)))
        if could_be_uscc(uscc):
            matches.append(CustomerArchive.identifier_index.in_(cipher.blind_indexes(USCC_FIELD, uscc)))
        stmt = stmt.where(or_(*matches))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(db.scalars(stmt.order_by(CustomerArchive.archived_at.desc(), CustomerArchive.id.desc())
                           .offset((page - 1) * page_size).limit(page_size)))
    people = _actors(db, {u for r in rows for u in (r.archived_by, r.requested_by) if u is not None})
    days = _restore_days(actor)
    return [_read(db, r, people, days) for r in rows], total


def _actors(db: Session, ids: set[int]) -> dict[int, ActorRead]:
    return {u.id: ActorRead.model_validate(u) for u in db.scalars(select(User).where(User.id.in_(ids)))} if ids \
        else {}


def _read(db: Session, arch: CustomerArchive, people: dict[int, ActorRead], days: int) -> ArchivedCustomerRead:
    customer = _open(db, arch)["customer"]
    return ArchivedCustomerRead(
        id=arch.customer_id, archive_id=arch.id, customer_no=arch.customer_no, type=CustomerType(arch.type),
        name=arch.name, org_id=arch.org_id, manager_id=arch.manager_id,
        id_number=mask_id_number(customer["id_number"]) if customer.get("id_number") else None,
        uscc=customer.get("uscc"), archived_at=arch.archived_at,
        archived_by=people.get(arch.archived_by) if arch.archived_by is not None else None,
        requested_by=people.get(arch.requested_by) if arch.requested_by is not None else None,
        approval_id=arch.approval_id, reason=arch.reason, restorable_until=arch.archived_at + timedelta(days=days))


def _open(db: Session, arch: CustomerArchive) -> dict[str, Any]:
    assert arch.snapshot is not None  # only a restored archive has none
    snapshot: dict[str, Any] = json.loads(cipher_of(db).open(arch.snapshot, SNAPSHOT_FIELD))
    return snapshot


# ----------------------------------------------------------------------------- restoring
def restore(db: Session, actor: Actor, customer_id: int, body: ArchiveRestore | None) -> CustomerRead:
    """The archived customer back, whole, with its ids; the answer is the customer as
    `GET /customers/{id}` gives it to this reader. Refused (409): after the restore
    window; when another customer now holds its resident ID, credit code or core
    banking id (naming nothing of them); on SQLite when its id was given to another."""
    arch = access.load_archived(db, actor, customer_id, for_update=True)
    now = utcnow()
    if now > arch.archived_at + timedelta(days=_restore_days(actor)):
        raise conflict(codes.ARCHIVE_RESTORE_EXPIRED, "The restore window of this customer has passed")
    snapshot = _open(db, arch)
    customer = snapshot["customer"]
    if db.get(Customer, customer["id"]) is not None:
        raise conflict(codes.ARCHIVE_RESTORE_ID_TAKEN, "Another customer has this customer's id now")
    identifiers = [getattr(Customer, f) == customer[f] for f in ("id_number", "uscc", "core_customer_id", "customer_no")
                   if customer.get(f)]
    if identifiers and db.scalar(select(Customer.id).where(or_(*identifiers)).limit(1)) is not None:
        raise _identifier_taken()
    try:
        _put_back_all(db, snapshot)
    except IntegrityError:  # the same identifier saved at the same moment by someone else
        db.rollback()
        raise _identifier_taken() from None
    reason = body.reason.strip() if body is not None and body.reason else None
    arch.restored_at, arch.restored_by, arch.restore_reason = now, actor.user_id, reason
    arch.snapshot, arch.identifier_index = None, None  # the live rows hold it again
    c = db.get(Customer, customer["id"])
    assert c is not None
    customers.write_search_keys(db, c)
    changes: dict[str, tuple[Any, Any]] = {"archived_at": (arch.archived_at, None)}
    if reason:
        changes["restore_reason"] = (None, reason)
    history.record(db, Resource.CUSTOMER, c.id, "restore", actor.user_id, changes)
    db.flush()
    audit.record(db, "customer.restore", who=actor, object_type="customer", object_id=c.id, archive_id=arch.id,
                 approval_id=arch.approval_id, reason=reason)
    read = customers.read_as(db, actor, c)
    unmasked = [f for f in MASKED_CUSTOMER_FIELDS if getattr(c, f) is not None and f not in read.masked_fields]
    if unmasked:  # as a plain read of the full profile is
        audit.record(db, "customer.read_unmasked", who=actor, object_type="customer", object_id=c.id, fields=unmasked)
    return read


def _identifier_taken() -> Problem:
    return conflict(codes.ARCHIVE_RESTORE_IDENTIFIER_TAKEN,
                    "Another customer now has this customer's resident ID, credit code or core banking id")


def _put_back_all(db: Session, snapshot: dict[str, Any]) -> None:
    """Parents first, each reference through the ids its parent got back."""
    _put_back(db, _CUSTOMER, [snapshot["customer"]])
    households = _put_back(db, _HOUSEHOLD, snapshot["household"])
    members = _put_back(db, _MEMBER, snapshot["household_member"], household_id=households)
    sheets = _put_back(db, _SHEET, snapshot["balance_sheet"])
    _put_back(db, _SHEET_LINE, snapshot["balance_sheet_line"], sheet_id=sheets)
    statements = _put_back(db, _STATEMENT, snapshot["income_statement"])
    _put_back(db, _STATEMENT_LINE, snapshot["income_statement_line"], statement_id=statements, member_id=members)
    _put_back(db, _HISTORY, snapshot["change_history"])
    customer_id = snapshot["customer"]["id"]
    # the members of other households who were this customer, where they still exist and name no one
    db.execute(update(HouseholdMember).where(HouseholdMember.id.in_(snapshot["linked_members"]),
                                             HouseholdMember.customer_id.is_(None))
               .values(customer_id=customer_id).execution_options(synchronize_session=False))


def _put_back(db: Session, table: Table, rows: list[dict[str, Any]], **references: dict[int, int]) -> dict[int, int]:
    """The rows inserted with their ids (old id -> the id it has now). Where SQLite gave
    one of them to another row meanwhile, all of them get new ids, in their old order."""
    if not rows:
        return {}
    values = [_row_values(table, r, references) for r in rows]
    ids = [v["id"] for v in values]
    if not db.scalar(select(func.count()).select_from(table).where(table.c.id.in_(ids))):
        db.execute(insert(table), values)
        return {i: i for i in ids}
    return {v["id"]: db.scalar(insert(table).values({k: x for k, x in v.items() if k != "id"})
                               .returning(table.c.id)) for v in values}


def _row_values(table: Table, row: dict[str, Any], references: dict[str, dict[int, int]]) -> dict[str, Any]:
    """A snapshot's row as the table takes it: its dates and times parsed, its references
    to rows restored with new ids rewritten."""
    out: dict[str, Any] = {}
    for col in table.columns:
        v = row.get(col.key)
        if v is not None and isinstance(col.type, UtcDateTime):
            v = datetime.fromisoformat(v)
        elif v is not None and isinstance(col.type, Date):
            v = date.fromisoformat(v)
        if v is not None and col.key in references:
            v = references[col.key].get(v, v)
        out[col.key] = v
    return out
