"""RFC 9457 problem details: every error the API returns is `application/problem+json`."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from signals.errors import Conflict, DomainError, FieldProblem, InvalidInput, NotFound

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("riftcast.service")


class FieldError(BaseModel):
    """One field at fault and what is wrong with it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"field": "occurred_on", "message": "is in the future"}]}
    )

    field: str = Field(description="Dotted path of the field; `[i]` is the i-th batch item.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for a human, and the fields at fault."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "1 problem(s) in the request",
                    "instance": "/v1/events",
                    "errors": [{"field": "occurred_on", "message": "is in the future"}],
                }
            ]
        }
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class ApiError(Exception):
    """A fault of the HTTP exchange itself, with its status: no key or a weak one, an
    Idempotency-Key in flight or reused. A fault of the input is a `signals.errors`
    `DomainError` (an `InvalidInput` naming its fields), wherever it is found, routes
    included; `error_response` maps both."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


# The status of each kind of domain error (a subclass of one takes its status); any
# other DomainError is a 422.
DOMAIN_STATUS: dict[type[DomainError], int] = {NotFound: 404, Conflict: 409, InvalidInput: 422}


def error_response(exc: ApiError | DomainError, instance: str | None) -> JSONResponse:
    """The problem response of an error the code raised on purpose."""
    if isinstance(exc, ApiError):
        return problem_response(exc.status, exc.detail, instance, headers=exc.headers)
    status = next((s for kind, s in DOMAIN_STATUS.items() if isinstance(exc, kind)), 422)
    return problem_response(status, exc.message, instance, field_errors(exc.problems))


def problem_response(
    status: int,
    detail: str,
    instance: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=_title(status), status=status, detail=detail, instance=instance, errors=list(errors)
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def field_errors(problems: Sequence[FieldProblem]) -> list[FieldError]:
    out = []
    for p in problems:
        field = f"[{p.line}].{p.field}" if p.line is not None else p.field
        out.append(FieldError(field=field, message=p.message))
    return out


_UNION_TAGS = {"one", "batch"}


def _loc_to_field(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where = parts.pop(0)
        if where != "body" and parts:
            return str(parts[0]) if len(parts) == 1 else ".".join(map(str, parts))
    parts = [p for p in parts if not (isinstance(p, str) and p in _UNION_TAGS)]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and ("[" in p or "function-after" in p):
            continue  # pydantic's names for union members and validators
        else:
            out += ("." if out else "") + str(p)
    return out or "body"


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        message = str(err.get("msg", "is invalid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        errors.append(FieldError(field=_loc_to_field(err.get("loc", ())), message=message))
    return errors


HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def allowed_methods(request: Request, fallback: str) -> str:
    """Every method the OpenAPI document lists for the request's path (HEAD wherever GET
    is); `fallback` (Starlette's own Allow) for paths outside the document."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {m.upper() for m in operations if m.upper() in HTTP_METHODS}
    if not methods:
        return fallback
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(ApiError)
    @app.exception_handler(DomainError)
    def _raised(request: Request, exc: ApiError | DomainError) -> JSONResponse:
        return error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        detail = f"{len(errors)} problem(s) in the request: " + "; ".join(
            f"{e.field}: {e.message}" for e in errors[:5]
        )
        return problem_response(422, detail, request.url.path, errors)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            # Starlette names the methods of the first route matching the path only; a path
            # served by several routes (GET and POST /v1/events) allows all of theirs.
            headers["Allow"] = allowed_methods(request, headers.get("Allow", ""))
        return problem_response(exc.status_code, detail, request.url.path, headers=headers)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal error; it has been logged", request.url.path)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error responses a route can give."""
    described = {
        304: "Not modified: the ETag in If-None-Match still matches.",
        400: "The request is malformed.",
        401: "No API key, or an unknown or revoked one.",
        403: "The key's role is too weak for this route.",
        404: "The object does not exist.",
        409: "Conflict: the object exists, or the Idempotency-Key is still in flight.",
        413: "The body is larger than the configured limit.",
        422: "The input breaks a rule; `errors` names every field at fault.",
        429: "Too many requests for this key; retry after `Retry-After` seconds.",
        503: "Not ready, or busy: retry after `Retry-After` seconds when it is given.",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == 304:
            out[status] = {"description": described[status]}
            continue
        example = {
            "type": "about:blank",
            "title": _title(status),
            "status": status,
            "detail": described[status],
            "errors": [],
        }
        out[status] = {
            "description": described[status],
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": example,
                }
            },
        }
    return out


STD_ERRORS = (400, 401, 403, 413, 422, 429)


def add_problem_schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    """Put Problem and FieldError into the OpenAPI components the error responses cite."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    components.update(defs)
    components["Problem"] = schema
    return openapi
