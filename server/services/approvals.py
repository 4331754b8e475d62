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
from server.models import ApprovalRequest, Org, User

__all__ = ["ApprovalRequest", "decide", "executor", "list_requests", "stale", "submit", "to_read"]
from server.models.base import utcnow
from server.services import audit
from shared import errors as codes
from shared.enums import ApprovalStatus
from shared.permissions import APPROVAL_KINDS, Action, ApprovalKind, Resource
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
           object_type: str, object_id: int | None, details: dict[str, Any] | None = None,
           touches_orgs: tuple[int, ...] = ()) -> ApprovalRequest:
    """Store a pending request, part of the maker's unit of work. `details` is what a
    reader may see of the payload (never a password hash or a full identifier);
    `touches_orgs` are the organisations a branch-checked request involves."""
    assert kind in APPROVAL_KINDS, kind
    escalated = APPROVAL_KINDS[kind].branch_checked and _escalated(db, actor, org_id, touches_orgs)
    req = ApprovalRequest(escalated=escalated, kind=kind, payload=json.dumps(payload, ensure_ascii=False, default=str),
                          summary=summary[:300], maker_id=actor.user_id, org_id=org_id,
                          status=ApprovalStatus.PENDING, object_type=object_type,
                          object_id=None if object_id is None else str(object_id),
                          details=json.dumps(details or {}, ensure_ascii=False, default=str))
    db.add(req)
    db.flush()
    audit.record(db, "approval.submit", who=actor, object_type="approval", object_id=req.id, kind=kind)
    return req


def _escalated(db: Session, maker: Actor, org_id: int | None, touches: tuple[int, ...]) -> bool:
    """roles-and-permissions.md: head-office checkers take cross-branch items, head-office
    makers' items, and items from a branch where the maker is the only possible checker."""
    orgs = [o for o in (org_id, *touches) if o is not None]
    paths = dict(db.execute(select(Org.id, Org.path).where(Org.id.in_([*orgs, maker.org_id]))).all())
    branches = {access.branch_of(paths.get(o, "")) for o in orgs}
    if len(branches) != 1 or None in branches or access.branch_of(paths.get(maker.org_id, "")) is None:
        return True
    others = db.scalars(select(Org.path).join(User, User.org_id == Org.id).where(
        User.role.in_(access.roles_within_branches(Action.APPROVAL_DECIDE)), User.id != maker.user_id,
        User.locked.is_(False), User.disabled.is_(False)))
    return branches.pop() not in {access.branch_of(p) for p in others}


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
    """A maker sees their own requests; a checker those whose object is in scope, whose
    kind they may check and, for a head-office checker, whose branch-checked kind was
    escalated to the head office."""
    own = ApprovalRequest.maker_id == actor.user_id
    if mine:
        return own
    kinds = _checkable_kinds(actor)
    decidable: Any
    if access.reaches_whole_bank(actor, Action.APPROVAL_DECIDE):
        branch_checked = [k for k in kinds if APPROVAL_KINDS[k].branch_checked]
        decidable = ApprovalRequest.kind.in_([k for k in kinds if k not in branch_checked]) | (
            ApprovalRequest.kind.in_(branch_checked) & ApprovalRequest.escalated.is_(True))
    else:
        decidable = ApprovalRequest.kind.in_(kinds)
    return or_(own, access.scope_filter(db, actor, Resource.APPROVAL) & decidable)


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
    if db.scalar(select(ApprovalRequest.id).where(ApprovalRequest.id == req.id,
                                                  _visible(db, actor, mine=False))) is None or \
            req.kind not in _checkable_kinds(actor):
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
