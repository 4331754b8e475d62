"""One change history for every audited resource (R-203): who, when, which field, old
value, new value — customers, users and organisations alike, written in the change's
own transaction.

Sensitive fields (shared.permissions.SEALED_FIELDS) are never stored in plain text:
the row keeps the mask any reader may see, and the full value sealed with the key
file's data key (server/crypto.py); only a reader entitled to the full value gets it
opened. Reading is the caller's scope decision (`full=`), made in server/access.py.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from server import access
from server.crypto import cipher_of
from server.models import ChangeRecord, Org, User
from server.models.base import utcnow
from shared.permissions import SEALED_FIELDS, Resource
from shared.schemas import HistoryEntry

#: Fields whose value is an id, shown with the name it stood for (`old_label`).
_REFERENCES: dict[str, tuple[Any, Any]] = {"org_id": (Org.id, Org.name), "manager_id": (User.id, User.display_name)}


def as_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, Enum):
        return str(v.value)
    return v.isoformat() if isinstance(v, date) else str(v)


def record(db: Session, resource: Resource, resource_id: int, action: str, author_id: int | None,
           changes: dict[str, tuple[Any, Any]], approval_id: int | None = None) -> None:
    """One row per field: `changes` maps a field to (old, new)."""
    db.add_all([ChangeRecord(**row) for row in _rows(db, resource, resource_id, action, author_id, changes,
                                                      approval_id)])


def record_many(db: Session, resource: Resource, action: str, author_id: int | None,
                changes: Iterable[tuple[int, dict[str, tuple[Any, Any]]]], at: datetime | None = None) -> int:
    """`record` for many records at once (a bulk change such as an import): one
    multi-row INSERT per thousand rows instead of an ORM object per field. Returns the
    number of rows written."""
    at = at or utcnow()
    batch: list[dict[str, Any]] = []
    written = 0
    for resource_id, fields in changes:
        batch += [{**row, "at": at} for row in _rows(db, resource, resource_id, action, author_id, fields, None)]
        if len(batch) >= 1000:
            written += _insert(db, batch)
    return written + _insert(db, batch)


def _insert(db: Session, rows: list[dict[str, Any]]) -> int:
    n = len(rows)
    if rows:
        db.execute(insert(ChangeRecord), rows)
        rows.clear()
    return n


def _rows(db: Session, resource: Resource, resource_id: int, action: str, author_id: int | None,
          changes: dict[str, tuple[Any, Any]], approval_id: int | None) -> list[dict[str, Any]]:
    sealed = SEALED_FIELDS.get(resource, frozenset())
    rows = []
    for field, (old, new) in changes.items():
        old_text, new_text = as_text(old), as_text(new)
        row: dict[str, Any] = {"resource": str(resource), "resource_id": str(resource_id), "actor_id": author_id,
                               "action": action, "field": field, "approval_id": approval_id,
                               "old_sealed": None, "new_sealed": None}
        if field in sealed:
            cipher = cipher_of(db)
            row["old"], row["new"] = access.mask_text(field, old_text), access.mask_text(field, new_text)
            row["old_sealed"] = cipher.seal(old_text, field) if old_text is not None else None
            row["new_sealed"] = cipher.seal(new_text, field) if new_text is not None else None
        else:
            row["old"], row["new"] = old_text, new_text
        rows.append(row)
    return rows


def page(db: Session, resource: Resource, resource_id: int, page_no: int, page_size: int, *,
         full: bool) -> tuple[list[HistoryEntry], int]:
    """Newest first; sensitive values opened only when `full`."""
    base = select(ChangeRecord).where(ChangeRecord.resource == str(resource),
                                      ChangeRecord.resource_id == str(resource_id))
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.execute(base.add_columns(User).outerjoin(User, User.id == ChangeRecord.actor_id)
                      .order_by(ChangeRecord.id.desc()).offset((page_no - 1) * page_size).limit(page_size)).all()
    labels = _reference_labels(db, [ch for ch, _user in rows])
    out = []
    for ch, user in rows:
        old, new = ch.old, ch.new
        if full and (ch.old_sealed or ch.new_sealed):
            cipher = cipher_of(db)
            old = cipher.open(ch.old_sealed, ch.field or "") if ch.old_sealed else None
            new = cipher.open(ch.new_sealed, ch.field or "") if ch.new_sealed else None
        out.append(HistoryEntry(at=ch.at, actor=user, action=ch.action, field=ch.field, old=old, new=new,
                                old_label=labels.get((ch.field, ch.old)), new_label=labels.get((ch.field, ch.new))))
    return out, total


def _reference_labels(db: Session, changes: list[ChangeRecord]) -> dict[tuple[str | None, str | None], str]:
    """Names for the org and manager ids a page of history mentions, one query each."""
    ids: dict[str, set[int]] = {f: set() for f in _REFERENCES}
    for ch in changes:
        if ch.field in ids:
            ids[ch.field] |= {int(v) for v in (ch.old, ch.new) if v and v.isdigit()}
    out: dict[tuple[str | None, str | None], str] = {}
    for field, wanted in ids.items():
        if wanted:
            key, name = _REFERENCES[field]
            for object_id, label in db.execute(select(key, name).where(key.in_(wanted))):
                out[(field, str(object_id))] = label
    return out
