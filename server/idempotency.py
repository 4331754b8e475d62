"""`Idempotency-Key` on writes (CONTRACT.md): a repeat of a write returns the first
result instead of doing it again, so a client that lost the connection mid-save can
safely send the same request once more.

The key is reserved (per user) before the write runs; a concurrent repeat gets 409
`idempotency.in_progress`, a different request under the same key 422
`idempotency.key_reused`. Responses below 500 are stored and replayed; a 5xx releases
the key so the retry runs. A reservation abandoned by a crash is released after
`STALE_RESERVATION`; records expire after `RETENTION`.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

import anyio
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import Problem, problem_response
from server.models import IdempotencyRecord
from server.models.base import utcnow

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
STALE_RESERVATION = timedelta(minutes=2)
RETENTION = timedelta(hours=24)
HEADER = b"idempotency-key"


def _reserve(factory, user_id: int, key: str, digest: str):  # type: ignore[no-untyped-def]
    """('run', None) | ('replay', record) | ('busy', None) | ('reused', None)"""
    now = utcnow()
    with factory() as db:
        rec = db.get(IdempotencyRecord, (user_id, key))
        if rec is not None and (now - rec.created_at > RETENTION or
                                (rec.status_code is None and now - rec.created_at > STALE_RESERVATION)):
            db.delete(rec)
            db.flush()
            rec = None
        if rec is not None:
            if rec.request_hash != digest:
                return "reused", None
            return ("busy", None) if rec.status_code is None else ("replay", rec)
        db.add(IdempotencyRecord(user_id=user_id, key=key, request_hash=digest, created_at=now))
        try:
            db.commit()
        except IntegrityError:  # a concurrent twin reserved it first
            return "busy", None
    return "run", None


def _finish(factory, user_id: int, key: str, status: int, content_type: str | None,  # type: ignore[no-untyped-def]
            body: bytes) -> None:
    with factory() as db:
        if status >= 500:
            db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                                       IdempotencyRecord.key == key))
        else:
            rec = db.get(IdempotencyRecord, (user_id, key))
            if rec is not None:
                rec.status_code, rec.content_type = status, content_type
                rec.body = body.decode("utf-8", "replace")
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
        factory = scope["app"].state.sessionmaker
        outcome, rec = await anyio.to_thread.run_sync(_reserve, factory, principal.user_id, key, digest)
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

        status, content_type, out = 500, None, []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = dict(message.get("headers") or []).get(b"content-type", b"").decode() or None
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await anyio.to_thread.run_sync(_finish, factory, principal.user_id, key, status, content_type,
                                           b"".join(out))
