"""`Idempotency-Key` on writes (CONTRACT.md): a repeat of a write returns the first
result instead of doing it again, so a client that lost the connection mid-save can
safely send the same request once more.

The key is reserved (per user, in its own short transaction) before the write runs; a
concurrent repeat gets 409 `idempotency.in_progress`, a different request under the
same key 422 `idempotency.key_reused`. A successful answer is stored *in the write's own
transaction* (`store`, called by the route's unit of work in server/api/deps.py), so
it is committed before the answer leaves: a repeat right after the answer is replayed,
and a crash either keeps both the write and its answer or neither. Any other outcome
(4xx, 5xx, a crash before the commit) releases the key, so a retry — of the same or a
corrected body — runs afresh. A reservation abandoned by a crash is released after
`STALE_RESERVATION`; records expire after `RETENTION`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.dbgate import request_db
from server.errors import Problem, problem_response
from server.models import IdempotencyRecord
from server.models.base import utcnow

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
STALE_RESERVATION = timedelta(minutes=2)
RETENTION = timedelta(hours=24)
HEADER = b"idempotency-key"


def _reserve(db: Session, user_id: int, key: str, digest: str):  # type: ignore[no-untyped-def]
    """('run', None) | ('replay', record) | ('busy', None) | ('reused', None). Committed
    on the request's own session (authentication only read on it) before the write runs."""
    now = utcnow()
    rec = db.get(IdempotencyRecord, (user_id, key))
    if rec is not None and (now - rec.created_at > RETENTION or
                            (rec.status_code is None and now - rec.created_at > STALE_RESERVATION)):
        db.delete(rec)
        db.flush()
        rec = None
    if rec is not None:
        db.commit()
        if rec.request_hash != digest:
            return "reused", None
        return ("busy", None) if rec.status_code is None else ("replay", rec)
    db.add(IdempotencyRecord(user_id=user_id, key=key, request_hash=digest, created_at=now))
    try:
        db.commit()
    except IntegrityError:  # a concurrent twin reserved it first
        db.rollback()
        return "busy", None
    return "run", None


@dataclass
class Claim:
    """A reserved key, handed to the route's unit of work through the request state."""

    user_id: int
    key: str
    stored: bool = False


def store(db: Session, claim: Claim, status: int, content_type: str | None, body: bytes) -> None:
    """The answer to replay, written in the request's own transaction (no commit here)."""
    db.execute(update(IdempotencyRecord)
               .where(IdempotencyRecord.user_id == claim.user_id, IdempotencyRecord.key == claim.key)
               .values(status_code=status, content_type=content_type, body=body.decode("utf-8", "replace"))
               .execution_options(synchronize_session=False))


def _release(db: Session, claim: Claim) -> None:
    db.rollback()
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == claim.user_id,
                                               IdempotencyRecord.key == claim.key,
                                               IdempotencyRecord.status_code.is_(None)))
    db.commit()


class IdempotencyMiddleware:
    """Runs inside the authentication middleware (it needs the principal)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        principal = (scope.get("state") or {}).get("principal")
        if HEADER not in headers or scope["method"] not in WRITE_METHODS or principal is None:
            await self.app(scope, receive, send)
            return
        key = headers[HEADER].decode("latin-1").strip()
        if not 1 <= len(key) <= 200 or not key.isprintable():
            await problem_response(Problem(422, "idempotency.key_invalid", "Invalid Idempotency-Key",
                                           "1 to 200 printable characters"))(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        digest = hashlib.sha256(b"\n".join([scope["method"].encode(), scope["path"].encode(),
                                            scope.get("query_string", b""), body])).hexdigest()
        rdb = request_db(scope)
        outcome, rec = await anyio.to_thread.run_sync(_reserve, await rdb.open(), principal.user_id, key, digest)
        if outcome == "replay":
            await send({"type": "http.response.start", "status": rec.status_code,
                        "headers": [(b"content-type", (rec.content_type or "application/json").encode()),
                                    (b"idempotent-replayed", b"true")]})
            await send({"type": "http.response.body", "body": (rec.body or "").encode()})
            return
        if outcome in ("busy", "reused"):
            p = Problem(409, "idempotency.in_progress", "Conflict", "The same request is still being processed") \
                if outcome == "busy" else Problem(422, "idempotency.key_reused", "Idempotency-Key reused",
                                                  "This key was used for a different request")
            await problem_response(p)(scope, receive, send)
            return

        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        claim = Claim(principal.user_id, key)
        scope.setdefault("state", {})["idempotency"] = claim
        try:
            await self.app(scope, replay_body, send)
        finally:
            if not claim.stored:
                await anyio.to_thread.run_sync(_release, await rdb.open(), claim)
