"""Maker-checker approvals. A request holds the full payload of the action; a different
user with the checker permission approves (which executes the action in the same
transaction) or rejects it. Kinds register an executor here; the general mechanism
(customer deletion, unmasking, reassignment) grows on this table."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.context import Actor
from server.errors import Problem, conflict, not_found
from server.models import ApprovalRequest, User
from server.models.base import utcnow
from server.services import audit
from shared import errors as codes
from shared.enums import ApprovalStatus
from shared.schemas import ApprovalRead

Executor = Callable[[Session, Actor, dict[str, Any]], Any]
_EXECUTORS: dict[str, Executor] = {}


def executor(kind: str) -> Callable[[Executor], Executor]:
    def register(fn: Executor) -> Executor:
        _EXECUTORS[kind] = fn
        return fn
    return register


def submit(db: Session, actor: Actor, kind: str, payload: dict[str, Any], summary: str,
           org_id: int | None) -> ApprovalRequest:
    """Store a pending request, part of the maker's unit of work."""
    req = ApprovalRequest(kind=kind, payload=json.dumps(payload, ensure_ascii=False), summary=summary[:300],
                          maker_id=actor.user_id, org_id=org_id, status=ApprovalStatus.PENDING)
    db.add(req)
    db.flush()
    audit.record(db, "approval.submit", who=actor, object_type="approval", object_id=req.id, kind=kind)
    return req


def to_read(db: Session, req: ApprovalRequest) -> ApprovalRead:
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_([req.maker_id, req.checker_id or 0])))}
    return ApprovalRead(id=req.id, kind=req.kind, status=ApprovalStatus(req.status), summary=req.summary,
                        maker=users[req.maker_id], checker=users.get(req.checker_id or 0),
                        created_at=req.created_at, decided_at=req.decided_at, reason=req.reason,
                        version=req.version)


def list_requests(db: Session, actor: Actor, status: str | None, page: int,
                  page_size: int) -> tuple[list[ApprovalRequest], int]:
    q = select(ApprovalRequest)
    if status:
        q = q.where(ApprovalRequest.status == status)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(q.order_by(ApprovalRequest.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def decide(db: Session, actor: Actor, request_id: int, version: int, approve: bool,
           reason: str | None) -> ApprovalRequest:
    req = db.get(ApprovalRequest, request_id, with_for_update=True)
    if req is None:
        raise not_found()
    if req.status != ApprovalStatus.PENDING:
        raise conflict(codes.APPROVAL_NOT_PENDING, "This request has already been decided",
                       current=to_read(db, req).model_dump(mode="json"))
    if req.version != version:
        raise conflict(codes.VERSION_CONFLICT, "The request changed since you read it",
                       current=to_read(db, req).model_dump(mode="json"))
    if req.maker_id == actor.user_id:
        audit.refusal(db, "approval.decide", who=actor, object_type="approval", object_id=req.id,
                      reason="own_request")
        raise Problem(403, codes.APPROVAL_SELF, "Forbidden", "A maker cannot decide their own request")
    req.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    req.checker_id = actor.user_id
    req.decided_at = utcnow()
    req.reason = reason
    if approve:
        _EXECUTORS[req.kind](db, actor, json.loads(req.payload))
    audit.record(db, "approval.approve" if approve else "approval.reject", who=actor, object_type="approval",
                 object_id=req.id, kind=req.kind)
    return req
