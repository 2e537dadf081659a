"""Errors in the OpenAI wire format: `{"error": {"message", "type", "param", "code"}}` with the
HTTP status, for every route under /v1 — our own errors (errors.UserError carries status, type,
code and param), FastAPI's request validation, malformed JSON, unknown routes and anything
unexpected (a generic 500; the log names the exception's type and place, never its text).

Only /v1 paths are answered this way; the rest of the app (Gradio, /health, /metrics) keeps its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import UserError, clip, error_place

log = logging.getLogger(__name__)

V1_PREFIX = "/v1"
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error"}
_TYPES |= {404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error"}
_TYPES |= {429: "rate_limit_error"}


def error_body(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_response(
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    type_: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An OpenAI-style error response; `type_` defaults to the usual one for `status`."""
    kind = type_ or _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return JSONResponse(error_body(message, kind, param, code), status_code=status, headers=headers)


def user_error_response(exc: UserError, params: Mapping[str, str] | None = None) -> JSONResponse:
    """Our error as a response; `params` renames the service's field names to the wire's
    (e.g. {"texts": "input", "max_new_tokens": "max_tokens"})."""
    details = exc.details
    param = details["param"]
    if param is not None and params:
        head, dot, rest = param.partition("[")
        param = params.get(head, head) + (dot + rest if dot else "")
    headers = {"Retry-After": "1"} if exc.status in (429, 503) else None
    message, code, kind = str(details["message"]), details["code"], details["type"]
    return error_response(exc.status, message, param, code, kind, headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error under /v1 in the OpenAI shape (other paths: FastAPI's defaults)."""

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> JSONResponse:
        return user_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if not request.url.path.startswith(V1_PREFIX):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        message = exc.detail if isinstance(exc.detail, str) else "Request refused."
        if exc.status_code == 404:
            message = f"No route {clip(request.url.path)}; see GET /v1/models and the README."
        return error_response(exc.status_code, message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error in %s: %s at %s", request.url.path, type(exc).__name__, error_place(exc))
        log.debug("internal error", exc_info=exc)
        if not request.url.path.startswith(V1_PREFIX):
            return PlainTextResponse("Internal Server Error", status_code=500)
        message = f"Internal error ({type(exc).__name__}); the details are in the server log."
        return error_response(500, message)


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    """FastAPI's validation errors (malformed JSON, a missing field, a wrong type) as a 400 naming
    the first field at fault, without echoing the value."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
    param = ".".join(loc) or None
    kind = first.get("type", "")
    if kind == "json_invalid":
        return error_response(400, "The body is not valid JSON.", code="invalid_json")
    if kind == "missing":
        return error_response(400, f"{param} is required.", param, "missing_field")
    reason = clip(str(first.get("msg", "invalid value")))
    return error_response(400, f"{param or 'The body'}: {reason}.", param, "invalid_value")
