"""Printed financial statements (R-504, household-finance.md "The printed statement"):
one customer's as a PDF, and a batch of a manager's customers as a background job whose
PDFs the user who started it downloads one by one.

Every statement printed is on the audit trail (`statement.print`: who, which customer,
the figures' ids, the language; a batch's also name the job), written in the same
transaction as the print: no PDF leaves the server without its record. The figures are
analysed here with the reference ranges in force, and the statement names their
version, exactly as `GET .../finance-analysis` would answer at that moment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from server import access
from server.context import Actor
from server.errors import conflict, validation_failed
from server.models import BalanceSheet, Customer, Household, IncomeStatement, Job, JobOutput, Org, User
from server.services import audit, finance, jobs, parameters
from server.statement_pdf import StatementData, render
from shared.enums import CustomerType, JobStatus, Role
from shared.errors import FieldError
from shared.finance import balance_totals, income_totals, ranges_of, ratios
from shared.masking import mask_id_number
from shared.parameters import RATIO_RANGES, RatioRanges
from shared.permissions import Action, Resource
from shared.schemas import JobRead, StatementBatchIn

#: A customer with neither a balance sheet nor an income table (of the periods asked for).
NOTHING_TO_PRINT = "statement.nothing_to_print"
#: A batch of more customers than `CRM_STATEMENT_BATCH_LIMIT`.
BATCH_TOO_LARGE = "statement.batch.too_large"
#: A second batch while the user's first is still queued or running.
BATCH_RUNNING = "statement.batch.running"
#: The batch's user may no longer print statements (locked, or their role changed).
BATCH_NOT_ALLOWED = "statement.batch.not_allowed"
#: Job kind: print a batch of statements.
BATCH_KIND = "statements.batch"
#: Statements per committed batch: ~25 ms each, so a batch commits about twice a second.
BATCH_SIZE = 20
#: Statements show the bank's local time (China Standard Time; no daylight saving).
_LOCAL = timezone(timedelta(hours=8))
#: What a file name keeps of a customer's name.
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class Printed:
    content: bytes
    filename: str


def bank_name(db: Session, configured: str) -> str:
    """`CRM_BANK_NAME`, or the head office's name."""
    return configured.strip() or db.scalar(select(Org.name).where(Org.parent_id.is_(None)).order_by(Org.id)
                                           .limit(1)) or ""


def _print(db: Session, actor: Actor, c: Customer, sheet: BalanceSheet | None, table: IncomeStatement | None,
           lang: str, bank: str, **detail: Any) -> Printed:
    """Render one customer's statement and put it on the audit trail."""
    version, value = parameters.current(db, RATIO_RANGES)
    assert isinstance(value, RatioRanges)
    balance_lines = finance.statement_lines(sheet) if sheet is not None else []
    income_lines = finance.statement_lines(table) if table is not None else []
    balance = balance_totals(balance_lines) if sheet is not None else None
    income = income_totals(income_lines) if table is not None else None
    h = db.scalar(select(Household).where(Household.customer_id == c.id))
    branch = db.scalar(select(Org.name).where(Org.id == c.org_id)) or ""
    manager = db.scalar(select(User.display_name).where(User.id == c.manager_id)) if c.manager_id else None
    identifier = c.uscc if c.type == CustomerType.CORPORATE else mask_id_number(c.id_number)
    pdf = render(StatementData(
        bank=bank, branch=branch, customer_name=c.name, masked_id=identifier,
        as_of=sheet.as_of if sheet is not None else None, year=table.year if table is not None else None,
        balance_lines=balance_lines, balance=balance, income_lines=income_lines, income=income,
        ratios=ratios(balance, income, ranges_of(value)), ranges_version=version, manager=manager,
        printed_at=datetime.now(UTC).astimezone(_LOCAL), lang=lang,
        members={m.id: m.name for m in h.members} if h is not None else {}))
    audit.record(db, "statement.print", who=actor, object_type="customer", object_id=c.id, lang=lang,
                 as_of=sheet.as_of.isoformat() if sheet is not None else None,
                 year=table.year if table is not None else None,
                 balance_sheet_id=sheet.id if sheet is not None else None,
                 income_statement_id=table.id if table is not None else None, ranges_version=version, **detail)
    period = sheet.as_of.isoformat() if sheet is not None else str(table.year if table is not None else "")
    name = _UNSAFE_IN_NAMES.sub("_", c.name)[:40]
    return Printed(pdf, f"{c.customer_no}-{name}-{period}.pdf")


def print_one(db: Session, actor: Actor, customer_id: int, as_of: date | None, year: int | None, lang: str,
              configured_bank: str) -> Printed:
    """`GET /customers/{id}/statement`: the balance sheet of `as_of` and the income table
    of `year` (the latest of each by default; one asked for that does not exist is 404);
    a customer with neither is 409 `statement.nothing_to_print`."""
    c = finance.customer_in_scope(db, actor, customer_id)
    sheet = finance.pick(db, finance.BALANCE, c.id, as_of)
    table = finance.pick(db, finance.INCOME, c.id, year)
    if sheet is None and table is None:
        raise conflict(NOTHING_TO_PRINT, "This customer has no balance sheet or income table to print yet")
    return _print(db, actor, c, sheet, table, lang, bank_name(db, configured_bank))


# ----------------------------------------------------------------------------- batches
def _batch_select(db: Session, actor: Actor, manager_id: int | None, as_of: date | None,
                  year: int | None) -> Select[Any]:
    """The ids of the customers a batch prints: in the actor's scope, of the manager if
    one is named, with a balance sheet of `as_of` or an income table of `year` (any, when
    not given)."""
    sheet = exists().where(BalanceSheet.customer_id == Customer.id)
    if as_of is not None:
        sheet = sheet.where(BalanceSheet.as_of == as_of)
    table = exists().where(IncomeStatement.customer_id == Customer.id)
    if year is not None:
        table = table.where(IncomeStatement.year == year)
    q = select(Customer.id).where(access.scope_filter(db, actor, Resource.CUSTOMER), or_(sheet, table))
    return q.where(Customer.manager_id == manager_id) if manager_id is not None else q


def start_batch(db: Session, actor: Actor, body: StatementBatchIn, configured_bank: str, limit: int) -> JobRead:
    """Queue a batch; its `total` is the number of customers it will print. An account
    manager's batch is their own book (naming another manager finds none of theirs). One
    batch per user at a time: the same request sent twenty times queues one job (the
    user's row is locked while the check is made), the rest are 409 with that job."""
    db.scalar(select(User.id).where(User.id == actor.user_id).with_for_update())
    running = db.scalar(select(Job).where(Job.kind == BATCH_KIND, Job.created_by == actor.user_id,
                                          Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))).limit(1))
    if running is not None:
        raise conflict(BATCH_RUNNING, "Your previous batch of statements is still being printed",
                       current=jobs.to_read(running).model_dump(mode="json"))
    manager_id = body.manager_id
    if manager_id is None and actor.role == Role.ACCOUNT_MANAGER:
        manager_id = actor.user_id
    q = _batch_select(db, actor, manager_id, body.as_of, body.year)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    if total == 0:
        raise conflict(NOTHING_TO_PRINT, "None of these customers has a balance sheet or income table to print")
    if total > limit:
        raise validation_failed([FieldError("manager_id", BATCH_TOO_LARGE,
                                            f"{total} customers: a batch prints at most {limit}")])
    job = jobs.enqueue(db, BATCH_KIND, {
        "user_id": actor.user_id, "manager_id": manager_id, "lang": body.lang,
        "as_of": body.as_of.isoformat() if body.as_of else None, "year": body.year,
        "bank": bank_name(db, configured_bank)}, created_by=actor.user_id, org_id=actor.org_id)
    job.total = total
    audit.record(db, "statement.batch", who=actor, object_type="job", object_id=job.id, customers=total,
                 manager_id=manager_id, lang=body.lang, as_of=body.as_of.isoformat() if body.as_of else None,
                 year=body.year)
    db.flush()
    return jobs.to_read(job)


def _job_actor(db: Session, user_id: int) -> Actor:
    """The batch's user as they are now: one locked or no longer allowed to print stops it."""
    u = db.get(User, user_id)
    actor = access.acting_as(u, Action.CUSTOMER_STATEMENT_PRINT, "job") if u is not None and not u.locked else None
    if actor is None:
        raise jobs.JobError(BATCH_NOT_ALLOWED, "The user who started the batch may no longer print statements")
    return actor


@jobs.handler(BATCH_KIND)
def print_batch(db: Session, step: jobs.Step) -> jobs.Batch:
    """One batch of customers in id order after the checkpoint: each one's statement
    rendered, kept as the job's output and audited, committed together."""
    p = step.params
    actor = _job_actor(db, int(p["user_id"]))
    as_of = date.fromisoformat(p["as_of"]) if p.get("as_of") else None
    year = p.get("year")
    after = int((step.checkpoint or {}).get("after_id", 0))
    ids: list[int] = list(db.scalars(_batch_select(db, actor, p.get("manager_id"), as_of, year)
                          .where(Customer.id > after).order_by(Customer.id).limit(BATCH_SIZE)))
    for cid in ids:
        c = db.get(Customer, cid)
        assert c is not None
        sheet = finance.pick(db, finance.BALANCE, cid, as_of, strict=False)
        table = finance.pick(db, finance.INCOME, cid, year, strict=False)
        printed = _print(db, actor, c, sheet, table, p["lang"], p["bank"], batch_job_id=step.job_id)
        db.add(JobOutput(job_id=step.job_id, name=printed.filename, content=printed.content))
    return jobs.Batch(processed=len(ids), checkpoint={"after_id": ids[-1] if ids else after},
                      finished=len(ids) < BATCH_SIZE)
