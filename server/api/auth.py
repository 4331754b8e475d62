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
from server.services import auth, mfa
from server.settings import Settings
from shared.permissions import Action
from shared.schemas import (
    LoginRequest,
    LoginResponse,
    Me,
    PasswordChange,
    RecoveryCodes,
    TotpConfirm,
    TotpEnrolment,
    TotpEnrolmentStart,
    TotpLogin,
    UserRead,
)

router = APIRouter(prefix="/auth", tags=["auth"], route_class=UnitOfWorkRoute)


def _login_response(token: str, session: UserSession, user: User, settings: Settings,
                    device_token: str | None = None, recovery_codes: list[str] | None = None) -> LoginResponse:
    return LoginResponse(access_token=token, expires_at=auth.session_expiry(settings, session),
                         user=UserRead.model_validate(user),
                         password_change_required=session.password_change_required, device_token=device_token,
                         recovery_codes=recovery_codes)


def _challenge_response(challenge: mfa.Challenge) -> LoginResponse:
    if challenge.enrolment:
        return LoginResponse(mfa_enrolment_required=True, mfa_token=challenge.token,
                             otpauth_uri=challenge.otpauth_uri)
    return LoginResponse(mfa_required=True, mfa_token=challenge.token)


@router.post("/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, settings: SettingsDep) -> LoginResponse:
    """Two short transactions with the password check between them, holding no database
    slot while it waits for a hashing place (a login rush must not starve look-ups).
    Where the role needs a second factor, the answer is a challenge for `/auth/totp`."""
    source = request.client.host if request.client else None
    rdb = request_db(request.scope)
    attempt = await run_in_threadpool(auth.begin_login, await rdb.open(), settings, body.username, source,
                                      body.device_token)
    await rdb.release()
    ok, new_hash = await security.hashing(auth.check_password, attempt, body.password)
    db = await rdb.open()
    out = await run_in_threadpool(auth.finish_login, db, settings, attempt, ok, new_hash)
    if isinstance(out, mfa.Challenge):
        return _challenge_response(out)
    token, session, user, device_token = out
    return _login_response(token, session, user, settings, device_token)


@router.post("/totp", response_model=LoginResponse)
def totp(body: TotpLogin, request: Request, db: DbSession, settings: SettingsDep) -> LoginResponse:
    """The login's second step: `{mfa_token, code}` (a TOTP or a recovery code) → the
    login response, with `recovery_codes` when it completed a first enrolment."""
    source = request.client.host if request.client else None
    token, session, user, device_token, recovery = auth.second_factor(db, settings, body.mfa_token, body.code,
                                                                      source)
    return _login_response(token, session, user, settings, device_token, recovery)


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
                                                body.new_password, actor.source, body.code)
    return _login_response(token, session, user, settings)


@router.post("/totp/enrolment", response_model=TotpEnrolment)
def start_totp_enrolment(body: TotpEnrolmentStart, actor: Annotated[Actor, require(Action.SESSION_SELF)],
                         db: DbSession, settings: SettingsDep) -> TotpEnrolment:
    """A new second-factor secret for oneself, after the password and (once enrolled) a
    code: the URI for the QR code and the secret for typing in. It replaces the one in
    force when `/auth/totp/enrolment/confirm` gets a code of it."""
    uri, secret = auth.start_reenrolment(db, settings, actor.principal, body.password, body.code, actor.source)
    return TotpEnrolment(otpauth_uri=uri, secret=secret)


@router.post("/totp/enrolment/confirm", response_model=RecoveryCodes)
def confirm_totp_enrolment(body: TotpConfirm, actor: Annotated[Actor, require(Action.SESSION_SELF)],
                           db: DbSession) -> RecoveryCodes:
    """A code of the new secret puts it in force, with ten new recovery codes."""
    return RecoveryCodes(recovery_codes=auth.confirm_reenrolment(db, actor.principal, body.code, actor.source))


#: The same read without FastAPI's request handling (server/api/hot.py).
HOT_READS = (HotRead("/auth/me", Action.SESSION_SELF, answer_me),)
