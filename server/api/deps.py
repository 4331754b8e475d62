"""What every route depends on, declared once: the database session, the caller and
the permission the route needs (STYLE.md: typed dependencies in one place)."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import idempotency
from server.context import Actor, Principal
from server.dbgate import RequestDb, request_db
from server.errors import Problem, forbidden, problem_response, unauthorized
from server.executor import Executor
from server.services import audit, auth
from server.settings import Settings
from shared import errors as codes
from shared.permissions import Action, scope_of
from shared.schemas import MAX_ID, ApprovalPending

_F = TypeVar("_F", bound=Callable[..., Any])

API_PREFIX = "/api/v1"
#: Reachable without a token (CONTRACT.md).
OPEN_PATHS = frozenset({f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/auth/login", f"{API_PREFIX}/auth/totp",
                        f"{API_PREFIX}/docs", f"{API_PREFIX}/docs/oauth2-redirect", f"{API_PREFIX}/redoc"})
#: Methods that change nothing but an audit row or a last-seen time (one statement each).
READ_METHODS = frozenset({"GET", "HEAD"})
#: Methods whose body is read before authentication takes a database slot.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: All a session that must change its password may reach.
PASSWORD_CHANGE_PATHS = frozenset({f"{API_PREFIX}/auth/password", f"{API_PREFIX}/auth/logout",
                                   f"{API_PREFIX}/auth/me"})


def source_of(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


class RequestDbMiddleware:
    """Gives every request one `RequestDb` and, however the request ends, closes its
    session and gives its slot back once the answer has gone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        read = scope["method"] in READ_METHODS
        aio = state.aio if read and state.aio is not None and _hot(state.async_routes, scope["path"]) else None
        rdb = RequestDb(state.db_gate, read_only=read, aio=aio)
        scope.setdefault("state", {})["db"] = rdb
        try:
            await self.app(scope, receive, send)
        finally:
            await rdb.release()
            # uvicorn keeps a keep-alive connection's last scope until its next request:
            # with 10,000 staff connections, what the request left there (its principal,
            # actor caches, idempotency claim) would be held 10,000 times
            scope["state"].clear()


#: Marks an endpoint as a hot read (see `async_reads`).
ASYNC_READS = "__crm_async_reads__"


def async_reads(endpoint: _F) -> _F:
    """A GET endpoint that reaches the database only through the request's `Executor`
    (server/executor.py): on PostgreSQL its session check and its statements then run on
    psycopg's asyncio pool, in the event loop, with no thread hand-off."""
    setattr(endpoint, ASYNC_READS, True)
    return endpoint


def async_route_patterns(routes: Iterable[tuple[str, str, APIRoute]]) -> list[re.Pattern[str]]:
    """The full paths of the hot reads among (method, full path, route) triples."""
    return [compile_path(path)[0] for method, path, r in routes
            if method in READ_METHODS and getattr(r.endpoint, ASYNC_READS, False)]


def _hot(patterns: list[re.Pattern[str]], path: str) -> bool:
    return any(p.match(path) for p in patterns)


async def buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (the size limit is enforced by the `receive` given), and a
    `receive` that hands it on: read before a slot is taken, so a slow sender holds a
    connection of ours but never one of the database's."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body, sent = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


class AuthenticationMiddleware:
    """Every /api/v1 route but the open ones answers 401 to a request without a valid
    token, before routing looks at the path parameters or the body. The token is checked
    on the request's own session (its first statement), so the route's work that
    follows uses the same connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX) or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        kind, _, token = header.partition(" ")
        principal = None
        if kind.lower() == "bearer" and 20 <= len(token.strip()) <= 200:
            if scope["method"] in BODY_METHODS:
                _body, receive = await buffered(receive)
            rdb = request_db(scope)
            if rdb.aio is not None:
                principal = await auth.authenticate_async(await rdb.executor(), scope["app"].state.settings,
                                                          token.strip())
            else:
                await rdb.slot()
                principal = await run_in_threadpool(_authenticate, rdb, scope["app"].state.settings, token.strip())
        if principal is None:
            await problem_response(unauthorized())(scope, receive, send)
            return
        if principal.password_change_required and scope["path"] not in PASSWORD_CHANGE_PATHS:
            await problem_response(Problem(403, codes.AUTH_PASSWORD_CHANGE_REQUIRED, "Password change required",
                                           "Change your password first"))(scope, receive, send)
            return
        limiter = scope["app"].state.rate_limiter
        if limiter is not None:
            try:
                limiter.check(principal.user_id)
            except Problem as p:
                await problem_response(p)(scope, receive, send)
                return
        scope["state"]["principal"] = principal
        await self.app(scope, receive, send)


def _authenticate(rdb: RequestDb, settings: Settings, token: str) -> Principal | None:
    """In one worker thread: the request's connection checked out, the token checked on it."""
    return auth.authenticate(rdb.connect(), settings, token)


async def get_db(request: Request) -> Session:
    """The request's one session (opened by authentication, or here for open routes).
    Services never commit: the route's unit of work does (`UnitOfWorkRoute`), after the
    answer is built and before it is sent; `RequestDbMiddleware` closes it."""
    return await request_db(request.scope).open()


def _claim(scope: Scope) -> idempotency.Claim | None:
    claim: idempotency.Claim | None = (scope.get("state") or {}).get("idempotency")
    return claim


def _complete(scope: Scope, db: Session, response: Response) -> None:
    """The request's changes and, for a write sent with an Idempotency-Key, its answer
    commit together: a repeat either finds the answer or finds nothing was done."""
    audit.flush_refusals(db)
    claim = _claim(scope)
    if claim is not None and 200 <= response.status_code < 300:
        idempotency.store(db, claim, response.status_code, response.media_type, bytes(response.body))
    db.commit()
    if claim is not None:
        claim.stored = 200 <= response.status_code < 300


def _nothing_to_write(rdb: RequestDb, db: Session, scope: Scope) -> bool:
    """A read request (autocommit) with no pending rows, refusals or idempotent answer:
    its unit of work needs no round trip, so it is completed without a thread hand-off."""
    return rdb.read_only and not (db.new or db.dirty or db.deleted or audit.has_refusals(db)
                                  or _claim(scope) is not None)


def _abort(db: Session) -> None:
    """A refused or failed request changes nothing, but its refusal is on record."""
    db.rollback()
    if audit.flush_refusals(db):
        db.commit()


async def in_unit_of_work(scope: Scope, answer: Callable[[], Awaitable[Response]]) -> Response:
    """What the request's service changed commits after the response is built and before
    it leaves, or is rolled back if the answer raised (every route, and the hot reads
    answered without FastAPI: server/api/hot.py)."""
    rdb = request_db(scope)
    try:
        response = await answer()
    except BaseException:
        if rdb.session is not None:
            await run_in_threadpool(_abort, rdb.session)
        raise
    db = rdb.session
    if db is not None:
        if _nothing_to_write(rdb, db, scope):  # a plain read: committing talks to no one
            _complete(scope, db, response)
        else:
            await run_in_threadpool(_complete, scope, db, response)
    return response


class UnitOfWorkRoute(APIRoute):
    """Every API route is one unit of work (`in_unit_of_work`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            return await in_unit_of_work(request.scope, lambda: handler(request))

        return run


async def executor_of(request: Request) -> Executor:
    """The request's way to the database for the async services (server/executor.py);
    called by the hot reads themselves (a FastAPI dependency costs more than the call)."""
    return await request_db(request.scope).executor()


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def permit(scope: Scope, action: Action) -> Actor:
    """The caller as an actor of `action` with its scope, or 403 (on record: as one
    autocommitted row on a hot read, else after the unit of work has rolled back)."""
    principal: Principal | None = (scope.get("state") or {}).get("principal")
    if principal is None:  # the middleware guarantees one on protected paths
        raise unauthorized()
    allowed = scope_of(principal.role, action)
    source = source_of(scope)
    if allowed is None:
        rdb = request_db(scope)
        detail = {"needed": str(action), "path": Request(scope).url.path, "method": scope["method"]}
        if rdb.aio is not None:
            await audit.append(await rdb.executor(), "permission.denied", who=principal, source=source,
                               outcome="denied", **detail)
        else:
            audit.refusal(await rdb.open(), "permission.denied", who=principal, source=source, **detail)
        raise forbidden()
    return Actor(principal, action, allowed, source, settings=scope["app"].state.settings)


class Permission:
    """The permission a route needs, from the role x action table (shared.permissions).
    A route without one is caught by tests/server/test_permission_matrix.py."""

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(self, request: Request) -> Actor:
        return await permit(request.scope, self.action)

    def __repr__(self) -> str:
        return f"Permission({self.action})"


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """A model's JSON as the answer, serialised once by pydantic-core (a route that
    returns the model is validated again against its response_model, then encoded)."""
    return Response(model.__pydantic_serializer__.to_json(model), status_code, media_type="application/json")


def file_response(content: bytes, filename: str, media_type: str) -> Response:
    """A file to download: its name for the browser or client (ASCII fallback and the
    UTF-8 name, RFC 6266), and never stored by a cache on the way (it holds personal data)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


def pending(req: Any) -> JSONResponse:
    """202 `{approval_id, status: "pending"}`: the action waits for a checker."""
    return JSONResponse(ApprovalPending(approval_id=req.id).model_dump(mode="json"), status_code=202)


def require(action: Action):  # type: ignore[no-untyped-def]
    """`actor: Annotated[Actor, require(Action.X)]` in a route signature."""
    return Depends(Permission(action))


#: The request's one session (server/dbgate.py); committed by the unit of work.
DbSession = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
#: The largest page number and page size a list route takes.
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 200
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE)]
#: An object's id in a path: past the integer range it cannot exist, so 404 (server.errors).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: An id in a query filter: past the integer range a 422 naming the parameter.
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
