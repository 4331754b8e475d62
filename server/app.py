"""The FastAPI application, built by a factory so tests inject settings and sessions."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server import crypto, errors, ratelimit, security
from server.api import (
    approvals,
    archive,
    audit,
    auth,
    customers,
    exports,
    finance,
    health,
    jobs,
    orgs,
    parameters,
    statements,
    users,
)
from server.api.deps import API_PREFIX, AuthenticationMiddleware, RequestDbMiddleware, async_route_patterns
from server.api.hot import HotRead, HotReads
from server.db import app_role_of, make_engine, make_sessionmaker
from server.dbgate import DatabaseGate, pool_capacity
from server.executor import AsyncDatabase
from server.idempotency import IdempotencyMiddleware
from server.keys import KeyFileError
from server.middleware import AccessLog, BodySizeLimit, ErrorBoundary
from server.settings import BACKGROUND_CONNECTIONS, Settings

#: The API's route modules, mounted under /api/v1.
API_MODULES = (auth, orgs, users, approvals, customers, audit, parameters, jobs, exports, finance, statements,
               archive)


def api_routes() -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every API route, for the permission-matrix tests."""
    return [(m, API_PREFIX + r.path, r) for mod in API_MODULES for r in mod.router.routes
            if isinstance(r, APIRoute) for m in sorted(r.methods or ())]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One background job worker per server process (`CRM_JOB_WORKER`), stopped on
    shutdown, SIGTERM included: uvicorn runs this before it re-raises the signal, which a
    `finally:` after `uvicorn.run()` would not see (TRAPS.md)."""
    from server.services.auditchain import Sealer
    from server.services.jobs import BackgroundWorker
    # every admitted request finds a thread at once (server/dbgate.py); threads also serve
    # requests that wait for no database (password hashes queue before they take one)
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, app.state.db_gate.slots * 2 + 8)
    worker = BackgroundWorker(app.state.sessionmaker, app.state.settings).start() \
        if app.state.settings.job_worker else None
    sealer = Sealer(app.state.sessionmaker, app.state.settings.audit_seal_seconds).start() \
        if app.state.settings.audit_seal_seconds and _has_cipher(app.state.sessionmaker) else None
    if app.state.aio is not None:
        await app.state.aio.open()
    try:
        yield
    finally:
        if app.state.aio is not None:
            await app.state.aio.close()
        if worker is not None:
            await anyio.to_thread.run_sync(worker.stop)
        if sealer is not None:  # after the worker: its last entries are sealed too
            await anyio.to_thread.run_sync(sealer.stop)


def _has_cipher(factory: sessionmaker[Session]) -> bool:
    return crypto.factory_cipher(factory) is not None


def _attach_cipher(factory: sessionmaker[Session], settings: Settings) -> None:
    """Sessions seal sensitive history values with the key file's data key. `serve`
    refuses to start without the key file; an app built without one (e.g. only for its
    OpenAPI document) fails the first write that needs a seal."""
    if _has_cipher(factory):
        return
    try:
        crypto.attach(factory, crypto.FieldCipher.from_key_file(settings.resolved_key_file))
    except KeyFileError:
        pass


def hot_reads() -> list[HotRead]:
    """Every module's hot reads (server/api/hot.py)."""
    return [r for m in API_MODULES for r in getattr(m, "HOT_READS", ())]


def server_engine(settings: Settings) -> Engine:
    """The engine a server process uses: `db_pool_size` connections for requests and
    `BACKGROUND_CONNECTIONS` for its background threads."""
    return make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size + BACKGROUND_CONNECTIONS)


def _slots(factory: sessionmaker[Session], settings: Settings) -> int:
    """As many requests at the database at once as the pool has connections for them."""
    bind = factory.kw.get("bind")
    capacity = pool_capacity(bind) if isinstance(bind, Engine) else None
    reserve = (1 if settings.job_worker else 0) + (1 if settings.audit_seal_seconds else 0)
    return max(1, min(settings.db_pool_size, capacity - reserve if capacity else settings.db_pool_size))


def _async_database(factory: sessionmaker[Session], settings: Settings, slots: int) -> AsyncDatabase | None:
    """The hot reads' asyncio pool: on PostgreSQL, when the sessions are the engine's own
    (not one connection's, as in the tests' transaction-per-test)."""
    bind = factory.kw.get("bind")
    if not settings.async_reads or not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    return AsyncDatabase(bind, slots, role=app_role_of(bind), cipher=crypto.factory_cipher(factory))


def create_app(settings: Settings, session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="Branch CRM",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs" if settings.development else None,
        redoc_url=None,
        redirect_slashes=False,  # the contract's paths are exact: /customers/ is 404, never a redirect
    )
    app.state.settings = settings
    app.state.sessionmaker = session_factory or make_sessionmaker(server_engine(settings))
    _attach_cipher(app.state.sessionmaker, settings)
    app.state.db_gate = DatabaseGate(app.state.sessionmaker, _slots(app.state.sessionmaker, settings))
    app.state.aio = _async_database(app.state.sessionmaker, settings, app.state.db_gate.slots)
    app.state.rate_limiter = ratelimit.from_settings(settings.rate_limit_per_minute, settings.rate_limit_burst)
    security.configure_from(settings)
    errors.install(app)
    app.include_router(health.router)
    for module in API_MODULES:
        app.include_router(module.router, prefix=API_PREFIX)
    app.state.async_routes = async_route_patterns(api_routes())
    if settings.fast_reads:  # innermost: the hot reads' well-formed requests, answered without FastAPI's routing
        app.add_middleware(HotReads, reads=hot_reads())
    app.add_middleware(IdempotencyMiddleware)  # runs after authentication
    app.add_middleware(AuthenticationMiddleware)
    app.add_middleware(RequestDbMiddleware)  # the request's one session and database slot
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    if settings.access_log:
        app.add_middleware(AccessLog)
    app.add_middleware(ErrorBoundary)  # outermost: an error never breaks the connection
    return app


def create_app_from_env() -> FastAPI:
    """The factory each worker process imports (`crm-server serve --workers N`): settings
    from the `CRM_*` environment the parent set, acting as the application's database role."""
    from server import logs
    from server.db import use_app_role
    from server.settings import get_settings
    logs.configure()
    settings = get_settings()
    engine = server_engine(settings)
    use_app_role(engine, settings.db_app_role)
    return create_app(settings, make_sessionmaker(engine))
