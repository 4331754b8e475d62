"""ASGI middleware around the whole application, outermost first:

* `ErrorBoundary` — an unexpected exception becomes a 500 (or, when the database is
  unreachable, a 503) problem+json and goes no further. Starlette's own error
  middleware re-raises after answering, and uvicorn then closes the connection, so the
  next request on that keep-alive connection was reset: an error must never break the
  connection.
* `AccessLog` — one line per request with the path and the names of the query
  parameters, never their values (`?q=<resident ID>` stays out of the log).
* `BodySizeLimit` — 413 for a body larger than the limit, whether it declares its
  length or streams it chunked: the bytes are counted as they arrive, so memory
  stays flat whatever a client sends.
"""
from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl

import psycopg
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import Problem, problem_response
from shared import errors as codes

log = logging.getLogger("crm.errors")
access_log = logging.getLogger("crm.access")


class _Watched:
    """`send` that remembers whether the answer has begun and with which status."""

    def __init__(self, send: Send) -> None:
        self._send, self.started, self.status = send, False, 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started, self.status = True, message["status"]
        await self._send(message)


def _unavailable(exc: BaseException) -> bool:
    """The database could not be reached (as opposed to a bug in a query)."""
    return isinstance(exc, OperationalError | psycopg.OperationalError) or \
        (isinstance(exc, DBAPIError) and exc.connection_invalidated)


class ErrorBoundary:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"),
                      exc_info=exc)
            if started:  # too late for an answer; the server closes this connection
                return
            if _unavailable(exc):
                p = Problem(503, codes.UNAVAILABLE, "Service unavailable",
                            "The database cannot be reached; try again shortly", headers={"Retry-After": "5"})
            else:
                p = Problem(500, codes.INTERNAL, "Internal server error",
                            "The server could not complete the request; it has been logged.")
            await problem_response(p)(scope, receive, send)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        begun = time.perf_counter()
        watch = _Watched(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            names = sorted({k for k, _v in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                     keep_blank_values=True)})
            client = scope.get("client")
            access_log.info("%s %s %s%s %d %.1fms", client[0] if client else "-", scope.get("method"),
                            scope.get("path"), "?" + ",".join(names) if names else "", watch.status,
                            (time.perf_counter() - begun) * 1000)


class BodyTooLarge(Exception):
    """Raised from `receive()` once the body passes the limit (FastAPI wraps it in a 400
    whose cause it is; server.errors turns either into the 413)."""

    @classmethod
    def problem(cls) -> Problem:
        return Problem(413, codes.PAYLOAD_TOO_LARGE, "Request too large", "The request body is too large")


class BodySizeLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await problem_response(BodyTooLarge.problem())(scope, receive, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        watch = _Watched(send)
        try:
            await self.app(scope, counting, watch)
        except BodyTooLarge:
            if not watch.started:
                await problem_response(BodyTooLarge.problem())(scope, receive, send)
