from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from server import security
from server.api.deps import (
    DbSession,
    SettingsDep,
    UnitOfWorkRoute,
    async_reads,
    executor_of,
    json_response,
    require,
)
from server.api.hot import HotRead
from server.context import Actor
from server.dbgate import request_db
from server.executor import Executor
from server.models import User, UserSession
from server.services import auth
from server.settings import Settings
from shared.permissions import Action
from shared.schemas import LoginRequest, LoginResponse, Me, PasswordChange, UserRead

router = APIRouter(prefix="/auth", tags=["auth"], route_class=UnitOfWorkRoute)


def _login_response(token: str, session: UserSession, user: User, settings: Settings,
                    device_token: str | None = None) -> LoginResponse:
    return LoginResponse(access_token=token, expires_at=auth.session_expiry(settings, session),
                         user=UserRead.model_validate(user),
                         password_change_required=session.password_change_required, device_token=device_token)


@router.post("/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, settings: SettingsDep) -> LoginResponse:
    """Two short transactions with the password check between them, holding no database
    slot while it waits for a hashing place (a login rush must not starve look-ups)."""
    source = request.client.host if request.client else None
    rdb = request_db(request.scope)
    attempt = await run_in_threadpool(auth.begin_login, await rdb.open(), settings, body.username, source,
                                      body.device_token)
    await rdb.release()
    ok, new_hash = await security.hashing(auth.check_password, attempt, body.password)
    db = await rdb.open()
    token, session, user, device_token = await run_in_threadpool(auth.finish_login, db, settings, attempt, ok,
                                                                 new_hash)
    return _login_response(token, session, user, settings, device_token)


@router.post("/logout", status_code=204)
def logout(actor: Annotated[Actor, require(Action.SESSION_SELF)], db: DbSession) -> Response:
    auth.logout(db, actor.principal)
    return Response(status_code=204)


async def answer_me(x: Executor, actor: Actor, _settings: Settings) -> Response:
    return json_response(await auth.me(x, actor))


@router.get("/me", response_model=Me)
@async_reads
async def me(request: Request, actor: Annotated[Actor, require(Action.SESSION_SELF)]) -> Response:
    return await answer_me(await executor_of(request), actor, request.app.state.settings)


@router.post("/password", response_model=LoginResponse)
def change_password(body: PasswordChange, request: Request, actor: Annotated[Actor, require(Action.SESSION_SELF)],
                    db: DbSession, settings: SettingsDep) -> LoginResponse:
    """Change one's own password: every session ends, a fresh token is returned."""
    token, session, user = auth.change_password(db, settings, actor.principal, body.old_password,
                                                body.new_password, actor.source)
    return _login_response(token, session, user, settings)


#: The same read without FastAPI's request handling (server/api/hot.py).
HOT_READS = (HotRead("/auth/me", Action.SESSION_SELF, answer_me),)
