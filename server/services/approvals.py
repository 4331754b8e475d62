"""Maker-checker approvals (CONTRACT.md, "Four-eyes approvals"). A request holds the
full payload of the action and names its object; a different user approves (which
executes the action in the same transaction) or rejects it.

Who decides is data (shared.permissions.APPROVAL_KINDS and the role x action table):
the checker needs APPROVAL_DECIDE over the object's organisation and, where the kind
names one, the right to do the thing itself over the object. Requests are listed and
decided by that scope (server.access); executors load their object through the
checker's scope again, so a request can never reach further than its checker.

Loopholes closed here: a maker never decides their own request; nobody decides a
request about their own account; and a checker whose current credentials were set by
the maker (a password reset the maker requested) may not decide the maker's requests —
the maker knew that password, so the "second person" could be the maker.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server import access
from server.context import Actor
from server.errors import Problem, conflict, not_found
from server.models import ApprovalRequest, User

__all__ = ["ApprovalRequest", "decide", "executor", "list_requests", "stale", "submit", "to_read"]
from server.models.base import utcnow
from server.services import audit
from shared import errors as codes
from shared.enums import ApprovalStatus
from shared.permissions import APPROVAL_KINDS, ApprovalKind, Resource
from shared.schemas import MAX_ID, ActorRead, ApprovalRead

Executor = Callable[[Session, Actor, ApprovalRequest, dict[str, Any]], Any]
E = TypeVar("E", bound=Executor)
_EXECUTORS: dict[str, Executor] = {}


def executor(kind: str) -> Callable[[E], E]:
    """Register what approving a request of `kind` does (it must be a declared kind)."""
    assert kind in APPROVAL_KINDS, f"undeclared approval kind {kind}"

    def register(fn: E) -> E:
        _EXECUTORS[kind] = fn
        return fn
    return register


def stale() -> Problem:
    return conflict(codes.APPROVAL_STALE, "The object changed since the request was made")


def submit(db: Session, actor: Actor, kind: str, payload: dict[str, Any], summary: str, *, org_id: int | None,
           object_type: str, object_id: int | None, details: dict[str, Any] | None = None) -> ApprovalRequest:
    """Store a pending request, part of the maker's unit of work. `details` is what a
    reader may see of the payload (never a password hash or a full identifier)."""
    assert kind in APPROVAL_KINDS, kind
    req = ApprovalRequest(kind=kind, payload=json.dumps(payload, ensure_ascii=False, default=str),
                          summary=summary[:300], maker_id=actor.user_id, org_id=org_id,
                          status=ApprovalStatus.PENDING, object_type=object_type,
                          object_id=None if object_id is None else str(object_id),
                          details=json.dumps(details or {}, ensure_ascii=False, default=str))
    db.add(req)
    db.flush()
    audit.record(db, "approval.submit", who=actor, object_type="approval", object_id=req.id, kind=kind)
    return req


def to_read(db: Session, req: ApprovalRequest) -> ApprovalRead:
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_([req.maker_id, req.checker_id or 0])))}
    checker = users.get(req.checker_id or 0)
    def who(u: User | None) -> ActorRead | None:
        return ActorRead.model_validate(u) if u is not None else None
    return ApprovalRead(id=req.id, kind=req.kind, status=ApprovalStatus(req.status), summary=req.summary,
                        maker=ActorRead.model_validate(users[req.maker_id]), checker=who(checker),
                        decided_by=who(checker),
                        created_at=req.created_at, decided_at=req.decided_at, reason=req.reason,
                        object_type=req.object_type, object_id=req.object_id,
                        details=json.loads(req.details or "{}"), version=req.version)


def _checkable_kinds(actor: Actor) -> list[str]:
    """Kinds whose thing the actor may do: only those they may check."""
    return [k.code for k in APPROVAL_KINDS.values() if k.checker_needs is None or actor.may(k.checker_needs)]


def _visible(db: Session, actor: Actor, mine: bool) -> Any:
    """A maker sees their own requests; a checker those whose object is in scope and
    whose kind they may check."""
    own = ApprovalRequest.maker_id == actor.user_id
    if mine:
        return own
    return or_(own, access.scope_filter(db, actor, Resource.APPROVAL) &
               ApprovalRequest.kind.in_(_checkable_kinds(actor)))


def list_requests(db: Session, actor: Actor, status: str | None, page: int, page_size: int,
                  mine: bool = False) -> tuple[list[ApprovalRequest], int]:
    q = select(ApprovalRequest).where(_visible(db, actor, mine))
    if status:
        q = q.where(ApprovalRequest.status == status)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(q.order_by(ApprovalRequest.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def _kind(req: ApprovalRequest) -> ApprovalKind:
    kind = APPROVAL_KINDS.get(req.kind)
    if kind is None or req.kind not in _EXECUTORS:
        raise conflict(codes.APPROVAL_UNKNOWN_KIND, "This kind of request cannot be decided by this server")
    return kind


def decide(db: Session, actor: Actor, request_id: int, version: int, approve: bool,
           reason: str | None) -> ApprovalRequest:
    in_reach = or_(ApprovalRequest.maker_id == actor.user_id, access.scope_filter(db, actor, Resource.APPROVAL))
    req = db.scalar(select(ApprovalRequest).where(ApprovalRequest.id == request_id, in_reach).with_for_update()) \
        if 1 <= request_id <= MAX_ID else None
    if req is None:
        raise not_found()
    kind = _kind(req)
    if req.maker_id == actor.user_id:
        audit.refusal(db, "approval.decide", who=actor, object_type="approval", object_id=req.id,
                      reason="own_request")
        raise Problem(403, codes.APPROVAL_SELF, "Forbidden", "A maker cannot decide their own request")
    if req.kind not in _checkable_kinds(actor):
        raise not_found()  # not theirs to decide, and not theirs to learn about
    if req.status != ApprovalStatus.PENDING:
        raise conflict(codes.APPROVAL_NOT_PENDING, "This request has already been decided",
                       current=to_read(db, req).model_dump(mode="json"))
    if req.version != version:
        raise conflict(codes.VERSION_CONFLICT, "The request changed since you read it",
                       current=to_read(db, req).model_dump(mode="json"))
    payload = json.loads(req.payload)
    _check_independence(db, actor, req, kind, payload)
    req.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    req.checker_id = actor.user_id
    req.decided_at = utcnow()
    req.reason = reason
    if approve:
        checker = actor.under(kind.checker_needs) if kind.checker_needs else actor
        assert checker is not None  # _checkable_kinds
        _EXECUTORS[req.kind](db, checker, req, payload)
    audit.record(db, "approval.approve" if approve else "approval.reject", who=actor, object_type="approval",
                 object_id=req.id, kind=req.kind)
    return req


def _check_independence(db: Session, actor: Actor, req: ApprovalRequest, kind: ApprovalKind,
                        payload: dict[str, Any]) -> None:
    """The checker is a second person, not the maker in another account, and not the
    subject of the request."""
    checker = db.get(User, actor.user_id)
    assert checker is not None
    if checker.credentials_set_by == req.maker_id:
        audit.refusal(db, "approval.decide", who=actor, object_type="approval", object_id=req.id,
                      reason="credentials_set_by_maker")
        raise Problem(403, codes.APPROVAL_CHECKER_CREDENTIALS, "Forbidden",
                      "Your password was last set by the maker of this request: another checker must decide it")
    target = req.object_id or (str(payload["user_id"]) if "user_id" in payload else None)
    if kind.resource == Resource.USER and target == str(actor.user_id):
        audit.refusal(db, "approval.decide", who=actor, object_type="approval", object_id=req.id,
                      reason="checker_is_target")
        raise Problem(403, codes.APPROVAL_CHECKER_IS_TARGET, "Forbidden",
                      "Nobody decides a request about their own account")
