"""Organisation tree (R-1201)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from server import access
from server.context import Actor
from server.errors import conflict, validation_failed
from server.models import Org
from server.services import audit, history
from shared import errors as codes
from shared.enums import ORG_PARENT_KIND, OrgKind
from shared.errors import FieldError
from shared.permissions import Resource
from shared.schemas import HistoryEntry, OrgCreate, OrgRead, OrgUpdate

HEAD_OFFICE_CODE = "HO"


def list_orgs(db: Session, actor: Actor, page: int, page_size: int) -> tuple[list[Org], int]:
    """Flat, head office first, then by path (parents before their children)."""
    rows = list(db.scalars(select(Org).where(access.scope_filter(db, actor, Resource.ORG)).order_by(Org.path)))
    start = (page - 1) * page_size
    return rows[start:start + page_size], len(rows)


def get_org(db: Session, actor: Actor, org_id: int) -> Org:
    return access.load(db, actor, Resource.ORG, org_id)  # type: ignore[no-any-return]


def ensure_head_office(db: Session, name: str = "总行") -> Org:
    """Idempotent: the one head office every tree hangs from."""
    ho = db.scalar(select(Org).where(Org.kind == OrgKind.HEAD_OFFICE))
    if ho is None:
        ho = Org(code=HEAD_OFFICE_CODE, name=name, kind=OrgKind.HEAD_OFFICE, parent_id=None, path="/")
        db.info[access.ORGS_CHANGED] = True
        db.add(ho)
        db.flush()
        _set_path(db, ho, f"/{ho.id}/")
    return ho


def _set_path(db: Session, org: Org, path: str) -> None:
    """The path needs the new id; written without counting as a change of version."""
    db.execute(update(Org).where(Org.id == org.id).values(path=path).execution_options(synchronize_session=False))
    set_committed_value(org, "path", path)


def create_org(db: Session, actor: Actor, data: OrgCreate) -> Org:
    expected_parent = ORG_PARENT_KIND[data.kind]
    if expected_parent is None:
        raise validation_failed([FieldError("kind", "org.kind.second_head_office",
                                            "There is exactly one head office")])
    parent = db.get(Org, data.parent_id) if data.parent_id is not None else None
    if parent is None:
        raise validation_failed([FieldError("parent_id", codes.FIELD_REQUIRED if data.parent_id is None
                                            else "org.parent_id.not_found", "Choose an existing parent")])
    if parent.kind != expected_parent:
        raise validation_failed([FieldError("parent_id", "org.parent_id.wrong_kind",
                                            f"A {data.kind} sits under a {expected_parent}",
                                            {"expected": str(expected_parent)})])
    org = Org(code=data.code.strip(), name=data.name.strip(), kind=data.kind, parent_id=parent.id, path="")
    db.info[access.ORGS_CHANGED] = True
    db.add(org)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise conflict(codes.ORG_DUPLICATE, "An organisation with this code exists") from None
    _set_path(db, org, f"{parent.path}{org.id}/")
    audit.record(db, "org.create", who=actor, object_type="org", object_id=org.id, code=org.code)
    history.record(db, Resource.ORG, org.id, "create", actor.user_id,
                   {f: (None, getattr(org, f)) for f in ("code", "name", "kind", "parent_id")})
    return org


def update_org(db: Session, actor: Actor, org_id: int, data: OrgUpdate) -> Org:
    org = get_org(db, actor, org_id)
    if org.version != data.version:
        raise conflict(codes.VERSION_CONFLICT, "The organisation was changed by someone else",
                       current=OrgRead.model_validate(org).model_dump(mode="json"))
    changes = {k: v.strip() for k, v in data.model_dump(exclude_unset=True, exclude={"version"}).items()
               if v is not None and getattr(org, k) != v.strip()}
    history.record(db, Resource.ORG, org.id, "update", actor.user_id,
                   {k: (getattr(org, k), v) for k, v in changes.items()})
    for k, v in changes.items():
        setattr(org, k, v)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise conflict(codes.ORG_DUPLICATE, "An organisation with this code exists") from None
    audit.record(db, "org.update", who=actor, object_type="org", object_id=org.id, fields=sorted(changes))
    return org


def change_history(db: Session, actor: Actor, org_id: int, page: int,
                   page_size: int) -> tuple[list[HistoryEntry], int]:
    org = get_org(db, actor, org_id)
    return history.page(db, Resource.ORG, org.id, page, page_size, full=True)
