"""System parameters (shared/parameters.py): every change a new version, kept forever.

Readers (a financial analysis, a risk run) call `current(db, name)` or
`in_force(db, name, at)` and keep the version number they got beside their result
(the analysis's `ranges_version`), so what was judged by which rule can be told later.

Versions: when nothing is stored, the built-in default is version 1 and reads never
write. The first change stores version 1 (the default, `changed_by` and `changed_at`
null, i.e. in force since the beginning) and then version 2; each later change N+1.
A time before the first change therefore reads version 1. Nothing here commits: the
caller owns the unit of work (the route commits at its end).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.context import Actor
from server.errors import Problem, conflict, not_found, parse, validation_failed
from server.models import SystemParameter, User
from server.models.base import utcnow
from server.services import audit
from shared import errors as codes
from shared.errors import FieldError
from shared.parameters import PARAMETERS, ParameterSpec, ParameterValue
from shared.schemas import PARAMETER_READ_MODELS, ActorRead, ParameterMeta

DEFAULT_VERSION = 1
REASON_MAX = 500


@dataclass(frozen=True)
class ParameterVersion:
    """One version of a parameter as stored (or the built-in default)."""

    name: str
    version: int
    value: ParameterValue
    changed_at: datetime | None
    changed_by: int | None
    reason: str | None


def spec_of(name: str) -> ParameterSpec[Any]:
    """The registered parameter; 404 for any other name."""
    spec = PARAMETERS.get(name)
    if spec is None:
        raise not_found()
    return spec


def _default(spec: ParameterSpec[Any]) -> ParameterVersion:
    return ParameterVersion(spec.name, DEFAULT_VERSION, spec.default, None, None, None)


def _from_row(spec: ParameterSpec[Any], row: SystemParameter) -> ParameterVersion:
    return ParameterVersion(row.name, row.version, spec.model.model_validate(json.loads(row.value)),
                            row.changed_at, row.changed_by, row.reason)


def _dump(value: ParameterValue) -> str:
    return json.dumps(value.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def _latest_row(db: Session, name: str, at: datetime | None = None) -> SystemParameter | None:
    q = select(SystemParameter).where(SystemParameter.name == name)
    if at is not None:
        q = q.where(or_(SystemParameter.changed_at.is_(None), SystemParameter.changed_at <= at))
    return db.scalar(q.order_by(SystemParameter.version.desc()).limit(1))


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a parameter's version in force needs a time with its offset")
    return at


# ----------------------------------------------------------------------------- reading
def version_in_force(db: Session, name: str, at: datetime | None = None) -> ParameterVersion:
    """The version in force at `at` (now when None), with who changed it, when and why."""
    spec = spec_of(name)
    row = _latest_row(db, name, None if at is None else _aware(at))
    return _default(spec) if row is None else _from_row(spec, row)


def current(db: Session, name: str) -> tuple[int, ParameterValue]:
    """(version, value) in force now."""
    pv = version_in_force(db, name)
    return pv.version, pv.value


def in_force(db: Session, name: str, at: datetime) -> tuple[int, ParameterValue, datetime | None]:
    """(version, value, changed_at) in force at `at` (aware); `changed_at` is None for the
    built-in default, which is what any time before the first change gets."""
    pv = version_in_force(db, name, _aware(at))
    return pv.version, pv.value, pv.changed_at


def get_version(db: Session, name: str, version: int) -> ParameterVersion:
    spec = spec_of(name)
    row = db.get(SystemParameter, (name, version))
    if row is not None:
        return _from_row(spec, row)
    if version == DEFAULT_VERSION and _latest_row(db, name) is None:
        return _default(spec)
    raise not_found()


def all_current(db: Session) -> list[ParameterVersion]:
    """Every registered parameter's current version, by name (one query)."""
    latest = (select(SystemParameter.name, func.max(SystemParameter.version).label("version"))
              .group_by(SystemParameter.name).subquery())
    rows = db.scalars(select(SystemParameter).join(latest, and_(SystemParameter.name == latest.c.name,
                                                                SystemParameter.version == latest.c.version)))
    stored = {r.name: r for r in rows}
    return [_from_row(spec, stored[n]) if n in stored else _default(spec) for n, spec in sorted(PARAMETERS.items())]


def history(db: Session, name: str, page: int, page_size: int) -> tuple[list[ParameterVersion], int]:
    """Every version, newest first (the default alone while nothing is stored)."""
    spec = spec_of(name)
    total = db.scalar(select(func.count()).select_from(SystemParameter).where(SystemParameter.name == name)) or 0
    start = (page - 1) * page_size
    if total == 0:
        return [_default(spec)][start:start + page_size], 1
    rows = db.scalars(select(SystemParameter).where(SystemParameter.name == name)
                      .order_by(SystemParameter.version.desc()).offset(start).limit(page_size))
    return [_from_row(spec, r) for r in rows], total


def to_reads(db: Session, versions: list[ParameterVersion]) -> list[ParameterMeta]:
    """The flat API form: name, version, changed_at, changed_by, reason, description and
    the value's own fields."""
    ids = {v.changed_by for v in versions if v.changed_by is not None}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    out = []
    for v in versions:
        by = users.get(v.changed_by) if v.changed_by is not None else None
        fields = {k: getattr(v.value, k) for k in type(v.value).model_fields}
        out.append(PARAMETER_READ_MODELS[v.name](
            name=v.name, version=v.version, changed_at=v.changed_at,
            changed_by=None if by is None else ActorRead.model_validate(by), reason=v.reason,
            description=PARAMETERS[v.name].description, **fields))
    return out


def to_read(db: Session, version: ParameterVersion) -> ParameterMeta:
    return to_reads(db, [version])[0]


# ----------------------------------------------------------------------------- changing
def _as_value(spec: ParameterSpec[Any], value: BaseModel | Mapping[str, Any]) -> ParameterValue:
    """The value as the parameter's own model (422 naming the field otherwise); a write
    body that carries `version` and `reason` beside the value is accepted too."""
    if isinstance(value, BaseModel):
        value = value.model_dump(include=set(spec.model.model_fields))
    parsed: ParameterValue = parse(spec.model, value)
    return parsed


def _stale(db: Session, name: str) -> Problem:
    return conflict(codes.VERSION_CONFLICT, "The parameter was changed by someone else",
                    current=to_read(db, version_in_force(db, name)).model_dump(mode="json"))


def change(db: Session, actor: Actor, name: str, version: int, value: BaseModel | Mapping[str, Any],
           reason: str | None = None) -> int:
    """Store `value` as the next version after `version` (the one the caller read) and
    return the new version number. A stale `version` → 409 `resource.version_conflict`
    with the current version under `current`; so does losing a race with a concurrent
    writer of the same version (the primary key lets exactly one of them in)."""
    spec = spec_of(name)
    new_value = _as_value(spec, value)
    if reason is not None and len(reason) > REASON_MAX:
        raise validation_failed([FieldError("reason", codes.FIELD_TOO_LONG, f"At most {REASON_MAX} characters",
                                            {"max_length": REASON_MAX})])
    latest = _latest_row(db, name)
    current_version = DEFAULT_VERSION if latest is None else latest.version
    if version != current_version:
        raise _stale(db, name)
    now = utcnow()
    if latest is not None and latest.changed_at is not None and latest.changed_at > now:
        now = latest.changed_at  # another server's clock ran ahead: keep versions in time order
    new_version = current_version + 1
    try:
        with db.begin_nested():
            if latest is None:
                db.add(SystemParameter(name=name, version=DEFAULT_VERSION, value=_dump(spec.default),
                                       changed_by=None, changed_at=None, reason=None))
            db.add(SystemParameter(name=name, version=new_version, value=_dump(new_value),
                                   changed_by=actor.user_id, changed_at=now, reason=reason))
            db.flush()
    except IntegrityError:
        raise _stale(db, name) from None
    audit.record(db, "parameter.change", who=actor, object_type="parameter", object_id=name, name=name,
                 from_version=current_version, version=new_version, reason=reason)
    return new_version
