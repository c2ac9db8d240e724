"""The OpenAPI document, with the error responses the service really sends.

FastAPI declares 422 for every operation with parameters, but prepay
returns validation errors as 400 with its own error body, and it declares
no other errors. This module rewrites each operation's responses after
FastAPI builds the document:

- 400 for operations with parameters or a body, 413 for those with a body;
- 401 and 403 for operations with a security requirement;
- 404 for operations with path parameters;
- ``default`` for the rest, such as 402 INSUFFICIENT_FUNDS on a debit or
  503 PAYMENTS_DISABLED on a top-up: every error has the same body.
"""

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "examples": ["INVALID_ARGUMENT"]},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_DESCRIPTIONS = {
    "400": "Invalid argument: the message and details.field name the field",
    "401": "Missing, invalid or expired credentials",
    "403": "The caller's scope does not allow this call, or a CSRF token is missing",
    "404": "Not found, or not the caller's",
    "413": "The request body is over the size limit",
    "default": "Any other error, in the same shape",
}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def _error_response(status: str) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }


def _statuses(operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    statuses = []
    if parameters or "requestBody" in operation:
        statuses.append("400")
    if operation.get("security"):
        statuses += ["401", "403"]
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.append("404")
    if "requestBody" in operation:
        statuses.append("413")
    return statuses + ["default"]


def declare_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite each operation's error responses in ``document``, in place."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _statuses(operation):
                responses.setdefault(status, _error_response(status))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    schemas["ErrorResponse"] = ERROR_SCHEMA
    return document


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document with declared errors."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI caches the document it builds, and the rewrite is idempotent.
        return declare_errors(build())

    app.openapi = openapi  # type: ignore[method-assign]
