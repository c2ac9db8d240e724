"""One place that turns exceptions into the JSON error body."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from prepay.errors import PrepayError, RateLimited
from prepay.money import MoneyError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
}


def error_body(
    code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [
        str(part)
        for part in location
        if part not in ("body", "query", "header", "path")
    ]
    return ".".join(parts) or "body"


async def _on_prepay_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PrepayError)
    if exc.status >= 500:
        log.warning("%s: %s", exc.code, exc.message)
    headers = None
    if isinstance(exc, RateLimited) and exc.retry_after_seconds is not None:
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), exc.status, headers=headers
    )


async def _on_money_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MoneyError)
    body = error_body("INVALID_ARGUMENT", str(exc), {"field": exc.field})
    return JSONResponse(body, 400)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    field = _field_path(tuple(first.get("loc", ())))
    message = f"{field}: {first.get('msg', 'is invalid')}"
    fields = [_field_path(tuple(error.get("loc", ()))) for error in exc.errors()]
    return JSONResponse(
        error_body("INVALID_ARGUMENT", message, {"field": field, "fields": fields}), 400
    )


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "INTERNAL")
    return JSONResponse(
        error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(
        error_body("INTERNAL", "internal error; it has been logged"), 500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PrepayError, _on_prepay_error)
    app.add_exception_handler(MoneyError, _on_money_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
