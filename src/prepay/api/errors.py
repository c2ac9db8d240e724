"""One place that turns exceptions into the JSON error body."""

import logging
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from prepay.errors import PrepayError, RateLimited
from prepay.money import MoneyError

log = logging.getLogger(__name__)

# The type names pydantic appends to a location for each member of a union.
_UNION_MEMBER = re.compile(r"str|int|float|bool|bytes|none|decimal|[a-z-]+\[.*\]")

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
    if len(location) == 2 and location[0] == "header":
        # FastAPI reports headers lower-cased; name them as clients send them.
        return "-".join(word.capitalize() for word in str(location[1]).split("-"))
    parts = [
        str(part)
        for part in location
        if part not in ("body", "query", "header", "path")
    ]
    return ".".join(parts) or "body"


def _describe(error: Any) -> tuple[tuple[Any, ...], str]:
    """Return the location and message of one pydantic error, in clients' terms."""
    location = tuple(error.get("loc", ()))
    kind = error.get("type")
    if kind == "json_invalid":
        return ("body",), "is not valid JSON; send a JSON object"
    if location == ("body",) and kind in ("model_attributes_type", "dict_type"):
        return location, "must be a JSON object sent as Content-Type: application/json"
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return location, message


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


def _errors_by_field(errors: Sequence[Any]) -> dict[str, list[str]]:
    """Group validation messages by field path, in the order pydantic gives them.

    A value that fits no member of a union, such as ``units: str | int``, is
    reported once per member, with the member's type appended to the
    location. Those reports are grouped under the field itself.
    """
    parents = Counter(tuple(error.get("loc", ()))[:-1] for error in errors)
    grouped: dict[str, list[str]] = {}
    for error in errors:
        location, message = _describe(error)
        if parents[location[:-1]] > 1 and _UNION_MEMBER.fullmatch(str(location[-1])):
            location = location[:-1]
        messages = grouped.setdefault(_field_path(location), [])
        if message not in messages:
            messages.append(message)
    return grouped


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    grouped = _errors_by_field(exc.errors())
    field, messages = next(iter(grouped.items()))
    message = f"{field}: {' or '.join(messages)}"
    details = {"field": field, "fields": list(grouped)}
    return JSONResponse(error_body("INVALID_ARGUMENT", message, details), 400)


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
