"""The hot reads answered without FastAPI's request handling.

Customer search, opening a customer and `/auth/me` are what staff do all day. They are
FastAPI routes like every other one: the OpenAPI document shows them, and FastAPI
validates them and writes their error answers. For a well-formed request, FastAPI's
routing, dependency solving and exception handling cost more CPU than the read itself
(about a quarter of an exact look-up; docs/PERFORMANCE.md). So `HotReads`, the
innermost middleware, answers such a request itself:

1. it matches the path;
2. it parses the parameters strictly;
3. it calls the same function the route calls, with the same actor (`permit`, the body
   of the `Permission` dependency) and in the same unit of work (`in_unit_of_work`).

Anything it does not fully understand goes on to FastAPI, so every error answer is
FastAPI's own. That covers a method other than GET, a parameter that is unknown,
repeated or empty, and a value that does not parse or is out of range. The route and
its `HotRead` name one `answer` function, so the two ways cannot drift apart;
tests/server/test_hot_reads.py checks that they answer alike.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from server.api.deps import API_PREFIX, MAX_PAGE, MAX_PAGE_SIZE, in_unit_of_work, permit
from server.context import Actor
from server.dbgate import request_db
from server.errors import Problem, problem_response
from server.executor import Executor
from server.settings import Settings
from shared.permissions import Action
from shared.schemas import MAX_ID

#: answer(executor, actor, settings, **parameters) -> the response (the route calls it too).
Answer = Callable[..., Awaitable[Response]]
#: A positive decimal integer as FastAPI would read it, without signs, spaces or leading zeros.
_POSITIVE = re.compile(r"[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class IntParam:
    """An integer query or path parameter: bounds and, for a query parameter, its default."""

    low: int = 1
    high: int = MAX_ID
    default: int | None = None

    def parse(self, text: str) -> int | None:
        if not _POSITIVE.fullmatch(text):
            return None
        value = int(text)
        return value if self.low <= value <= self.high else None


def page_params(page_size: int) -> dict[str, IntParam]:
    """`page` and `page_size` as `PageNo` and `PageSize` take them, with the route's default size."""
    return {"page": IntParam(1, MAX_PAGE, 1), "page_size": IntParam(1, MAX_PAGE_SIZE, page_size)}


@dataclass(frozen=True)
class HotRead:
    """One route's fast way: `path` as the route declares it (under /api/v1), the
    permission it needs, and `answer`. `model` names the query model's argument and
    its class; `ints` lists the integer query parameters. `path_ints` lists the integer
    path parameters. A route without query parameters ignores the query string, as
    FastAPI does."""

    path: str
    action: Action
    answer: Answer
    model: tuple[str, type[BaseModel]] | None = None
    ints: Mapping[str, IntParam] = field(default_factory=dict)
    path_ints: Mapping[str, IntParam] = field(default_factory=dict)

    def pattern(self) -> re.Pattern[str]:
        return compile_path(API_PREFIX + self.path)[0]

    def arguments(self, match: re.Match[str], query_string: bytes) -> dict[str, Any] | None:
        """The answer's keyword arguments, or None: FastAPI is to judge this request."""
        args: dict[str, Any] = {}
        for name, spec in self.path_ints.items():
            value = spec.parse(match.group(name))
            if value is None:
                return None
            args[name] = value
        if self.model is None and not self.ints:
            return args
        model_fields = self.model[1].model_fields if self.model else {}
        given: dict[str, str] = {}
        for key, text in QueryParams(query_string).multi_items():
            if key in given or not text or (key not in model_fields and key not in self.ints):
                return None
            given[key] = text
        for name, spec in self.ints.items():
            given_text = given.pop(name, None)
            number = spec.default if given_text is None else spec.parse(given_text)
            if number is None:
                return None
            args[name] = number
        if self.model is not None:
            try:
                args[self.model[0]] = self.model[1].model_validate(given)
            except ValidationError:
                return None
        return args


class HotReads:
    """The innermost middleware: a GET of a hot read with a principal is answered here
    when its parameters parse; everything else goes on to FastAPI."""

    def __init__(self, app: ASGIApp, reads: Iterable[HotRead]) -> None:
        self.app = app
        self.routes = [(r.pattern(), r) for r in reads]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            state = scope.get("state")
            if state is not None and state.get("principal") is not None:
                path = scope["path"]
                for pattern, read in self.routes:
                    match = pattern.match(path)
                    if match is not None:
                        args = read.arguments(match, scope["query_string"])
                        if args is not None:
                            await _answer(read, args, scope, receive, send)
                            return
                        break
        await self.app(scope, receive, send)


async def _answer(read: HotRead, args: dict[str, Any], scope: Scope, receive: Receive, send: Send) -> None:
    settings: Settings = scope["app"].state.settings

    async def run() -> Response:
        actor: Actor = await permit(scope, read.action)
        x: Executor = await request_db(scope).executor()
        return await read.answer(x, actor, settings, **args)

    try:
        response = await in_unit_of_work(scope, run)
    except Problem as exc:  # what the app's Problem handler answers on the FastAPI way
        response = problem_response(exc)
    await response(scope, receive, send)
