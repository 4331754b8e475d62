"""The audit log: append-only, written in the same transaction as what it records."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import insert as sa_insert
from sqlalchemy.orm import Session

from server.context import Actor, Principal
from server.crypto import FieldCipher, cipher_of
from server.executor import Executor, constant
from server.models import AuditLog
from server.models.base import utcnow
from shared.masking import mask_search_text
from shared.schemas import ActorRead, AuditEntry, ExportRecord


def record(db: Session, action: str, *, who: Actor | Principal | None = None, actor_name: str | None = None,
           object_type: str | None = None, object_id: Any = None, outcome: str = "success",
           source: str | None = None, **detail: Any) -> None:
    """An audit row in the caller's unit of work: it commits (or not) with what it records."""
    db.add(_row(cipher_of(db), action, who=who, actor_name=actor_name, object_type=object_type, object_id=object_id,
                outcome=outcome, source=source, **detail))


async def append(x: Executor, action: str, *, who: Actor | Principal | None = None, actor_name: str | None = None,
                 object_type: str | None = None, object_id: Any = None, outcome: str = "success",
                 source: str | None = None, **detail: Any) -> None:
    """An audit row as one INSERT through the executor, every column given
    (server/executor.py applies no column defaults): what the hot reads write, in autocommit."""
    row = _row(x.cipher, action, who=who, actor_name=actor_name, object_type=object_type, object_id=object_id,
               outcome=outcome, source=source, **detail)
    await x.run(_INSERT, {f"{c}_": getattr(row, c) for c in _INSERTED})


_INSERTED = ("at", "actor_id", "actor_name", "action", "object_type", "object_id", "outcome", "source", "detail",
             "mac")
_INSERT = constant(sa_insert(AuditLog).values(**{c: bindparam(f"{c}_") for c in _INSERTED}))


def refusal(db: Session, action: str, *, who: Actor | Principal | None = None, object_type: str | None = None,
            object_id: Any = None, outcome: str = "denied", **detail: Any) -> None:
    """A refusal is on record even though the request that was refused changes nothing:
    the row is kept aside and written after the request's work is rolled back."""
    db.info.setdefault(_REFUSALS, []).append(_row(cipher_of(db), action, who=who, object_type=object_type,
                                                  object_id=object_id, outcome=outcome, **detail))


def flush_refusals(db: Session) -> bool:
    """Add the refusals kept aside to the session (the unit of work then commits them)."""
    rows = db.info.pop(_REFUSALS, [])
    db.add_all(rows)
    return bool(rows)


def has_refusals(db: Session) -> bool:
    return bool(db.info.get(_REFUSALS))


_REFUSALS = "audit_refusals"


def _row(cipher: FieldCipher, action: str, *, who: Actor | Principal | None = None, actor_name: str | None = None,
         object_type: str | None = None, object_id: Any = None, outcome: str = "success",
         source: str | None = None, **detail: Any) -> AuditLog:
    principal = who.principal if isinstance(who, Actor) else who
    if isinstance(who, Actor) and source is None:
        source = who.source
    row = AuditLog(
        at=utcnow(),
        actor_id=principal.user_id if principal else None,
        actor_name=principal.username if principal else actor_name,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        source=source,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    row.mac = cipher.mac(content(row))
    return row


def content(row: Any) -> bytes:
    """What an entry's MAC covers: every column it was written with, as the database
    gives them back (the time to the microsecond, in UTC)."""
    at = row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if row.at is not None else None
    return json.dumps([at, row.actor_id, row.actor_name, row.action, row.object_type, row.object_id, row.outcome,
                       row.source, row.detail], ensure_ascii=False, separators=(",", ":")).encode()


def record_export(db: Session, actor: Actor, listed: str, export: ExportRecord) -> None:
    """An export of a list on record (`<listed>.export`): its format, rows, columns and
    the filters it was shown with, a typed identifier masked (the audit trail's readers
    may not see it whole)."""
    filters = {k: mask_search_text(v) if k == "q" else v for k, v in export.filters.items()}
    record(db, f"{listed}.export", who=actor, object_type=listed, format=str(export.format), rows=export.rows,
           columns=export.columns, filters=filters)


def search(db: Session, actor: Actor, *, actor_id: int | None = None, action: str | None = None,
           object_type: str | None = None,
           object_id: str | None = None, outcome: str | None = None, since: datetime | None = None,
           until: datetime | None = None,
           page: int = 1, page_size: int = 50) -> tuple[list[AuditLog], int]:
    """Newest first; `action` matches a prefix (`auth.` finds every login event)."""
    from sqlalchemy import func, select

    from server import access  # access records refusals through this module
    from shared.permissions import Resource
    q = select(AuditLog).where(access.scope_filter(db, actor, Resource.AUDIT))
    if actor_id is not None:
        q = q.where(AuditLog.actor_id == actor_id)
    if action:
        q = q.where(AuditLog.action.startswith(action, autoescape=True))
    if object_type:
        q = q.where(AuditLog.object_type == object_type)
    if object_id:
        q = q.where(AuditLog.object_id == object_id)
    if outcome:
        q = q.where(AuditLog.outcome == outcome)
    if since is not None:
        q = q.where(AuditLog.at >= since)
    if until is not None:
        q = q.where(AuditLog.at < until)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(q.order_by(AuditLog.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def to_entries(db: Session, rows: list[AuditLog]) -> list[AuditEntry]:
    """The page's rows with who acted as a user (one query for the page) and the
    details as an object."""
    from sqlalchemy import select

    from server.models import User
    ids = {r.actor_id for r in rows if r.actor_id is not None}
    users = {u.id: ActorRead.model_validate(u) for u in db.scalars(select(User).where(User.id.in_(ids)))} \
        if ids else {}
    out = []
    for r in rows:
        e = AuditEntry.model_validate(r)
        e.actor = users.get(r.actor_id) if r.actor_id is not None else None
        e.details = _details(r.detail)
        out.append(e)
    return out


def _details(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:  # recorded as JSON by `_row`; an older free-text row reads as its text
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}
