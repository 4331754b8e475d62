"""application/problem+json (RFC 9457) for every error; nothing internal reaches a client."""
from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import errors as codes
from shared.errors import FieldError

PROBLEM = "application/problem+json"


class Problem(Exception):
    """Raised by services and dependencies; rendered as problem+json."""

    def __init__(self, status: int, code: str, title: str, detail: str | None = None, *,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.errors = errors
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": f"urn:branch-crm:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "code": self.code,
        }
        if self.errors is not None:
            out["errors"] = [e.as_dict() for e in self.errors]
        out.update(self.extra)
        return out


def problem_response(p: Problem) -> JSONResponse:
    return JSONResponse(p.body(), status_code=p.status, media_type=PROBLEM, headers=p.headers)


def validation_failed(errors: list[FieldError]) -> Problem:
    return Problem(422, codes.VALIDATION_FAILED, "Validation failed",
                   "; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def not_found() -> Problem:
    """The same answer for a missing object and one outside the caller's scope."""
    return Problem(404, codes.NOT_FOUND, "Not found")


def forbidden(detail: str = "Your role may not do this") -> Problem:
    return Problem(403, codes.FORBIDDEN, "Forbidden", detail)


def unauthorized(code: str = codes.AUTH_REQUIRED, detail: str = "Log in first") -> Problem:
    return Problem(401, code, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def conflict(code: str, detail: str, **extra: Any) -> Problem:
    return Problem(409, code, "Conflict", detail, **extra)


# ----------------------------------------------------------------------------- pydantic -> fields
_TYPE_CODES = {
    "missing": codes.FIELD_REQUIRED,
    "extra_forbidden": codes.FIELD_UNKNOWN,
    "enum": codes.FIELD_CHOICE,
    "literal_error": codes.FIELD_CHOICE,
    "string_too_long": codes.FIELD_TOO_LONG,
    "string_too_short": codes.FIELD_TOO_SHORT,
    "int_parsing": codes.FIELD_INTEGER,
    "int_type": codes.FIELD_INTEGER,
    "int_from_float": codes.FIELD_INTEGER,
    "greater_than_equal": codes.FIELD_INVALID,
    "less_than_equal": codes.FIELD_INVALID,
    "timezone_aware": codes.FIELD_DATE,  # a time without its offset or Z
}


def _field_code(err: dict[str, Any]) -> str:
    t = err.get("type", "")
    if "." in t:  # our own codes (PydanticCustomError) pass through
        return str(t)
    if t.startswith(("date", "datetime")):
        return codes.FIELD_DATE
    if t == "string_too_short" and (err.get("ctx") or {}).get("min_length") == 1:
        return codes.FIELD_REQUIRED
    return _TYPE_CODES.get(t, codes.FIELD_INVALID)


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """pydantic's location as a client names the field: `ranges[3].min`, not `ranges.3.min`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def field_errors_from_pydantic(errs: list[dict[str, Any]]) -> list[FieldError]:
    out = []
    for e in errs:
        loc = list(e.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        field = field_path(loc) or "body"
        if e.get("type") == "json_invalid":
            out.append(_INVALID_JSON)
            continue
        params = {k: v for k, v in (e.get("ctx") or {}).items() if isinstance(v, (int, str, float, bool))}
        if e.get("type") == "enum" and "expected" in params:
            params["expected"] = str(params["expected"])
        out.append(FieldError(field, _field_code(e), str(e.get("msg", "Invalid value")), params))
    return out


_INVALID_JSON = FieldError("body", "request.invalid_json", "The body is not valid JSON")


def _invalid_json() -> Problem:
    return validation_failed([_INVALID_JSON])


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """`data` validated by `model`, or 422 with the field errors: for a body whose model
    depends on the path (a parameter's value) and for values services are handed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(field_errors_from_pydantic(list(exc.errors()))) from None  # type: ignore[arg-type]


def install(app: FastAPI) -> None:
    """Problem handlers. Unexpected exceptions are answered by server.middleware.ErrorBoundary."""
    from server.middleware import BodyTooLarge
    document_problems(app)

    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = list(exc.errors())
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in errs):
            return problem_response(not_found())  # /customers/abc or an id past the integer range: no such thing
        return problem_response(validation_failed(field_errors_from_pydantic(errs)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return problem_response(not_found())
        if exc.status_code == 405:
            return problem_response(Problem(405, "request.method_not_allowed", "Method not allowed"))
        if exc.status_code == 400 and isinstance(exc.__cause__, BodyTooLarge):
            return problem_response(BodyTooLarge.problem())
        if exc.status_code == 400 and isinstance(exc.__cause__, (UnicodeDecodeError, RecursionError, ValueError)):
            return problem_response(_invalid_json())  # not UTF-8, or nested beyond any real document
        return problem_response(Problem(exc.status_code, f"http.{exc.status_code}", str(exc.detail)))


#: The error body every operation may answer (RFC 9457 with the contract's `code` and,
#: for 422, `errors`), as the OpenAPI document describes it.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "code", "message", "params"],
            "properties": {"field": {"type": "string"}, "code": {"type": "string"},
                           "message": {"type": "string"}, "params": {"type": "object"}}}},
    },
    "additionalProperties": True,  # a 409 carries `current`, a 429 `retry_after`
}
_PROBLEM_CONTENT = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def document_problems(app: FastAPI) -> None:
    """The OpenAPI document says what the API really answers on errors: FastAPI
    documents 422 as its own `application/json` validation body, but every error here is
    `application/problem+json` (`Problem`). Each operation's 422 is replaced and a
    `default` problem response added (401, 403, 404, 409, 413, 429, 503 …)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
        for item in doc.get("paths", {}).values():
            for op in item.values():
                responses = op.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "Validation failed: the `errors` name the fields",
                                        "content": _PROBLEM_CONTENT}
                responses.setdefault("default", {"description": "An error (problem+json)",
                                                 "content": _PROBLEM_CONTENT})
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
