"""Errors in Stripe's JSON shape and with Stripe's HTTP status codes."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

DOC_URL_BASE = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error that the API returns as `{"error": {...}}` with an HTTP status.

    `type` is one of Stripe's error types (`invalid_request_error`, `card_error`,
    `idempotency_error`, `api_error`). `extra` contains further fields of the error
    object, such as `payment_intent` or `charge` for a declined payment.
    """

    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: JSON | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = dict(extra or {})

    def to_json(self) -> JSON:
        """Return the error object as Stripe serializes it."""
        error: JSON = {
            "type": self.type,
            "code": self.code,
            "decline_code": self.decline_code,
            "message": self.message,
            "param": self.param,
        }
        if self.code:
            error["doc_url"] = DOC_URL_BASE + self.code.replace("_", "-")
        error.update(self.extra)
        return {"error": error}


class InvalidRequestError(StripeError):
    """A request with invalid parameters or for an object in the wrong state."""


class AuthenticationError(StripeError):
    """A missing, malformed or live API key."""

    status = 401


class CardError(StripeError):
    """A payment that the card's issuer or Stripe declined."""

    status = 402
    type = "card_error"


class ResourceMissingError(StripeError):
    """An id that names no object of the expected kind."""

    status = 404

    def __init__(self, kind: str, object_id: str, *, param: str | None = None):
        super().__init__(
            f"No such {kind}: '{object_id}'", code="resource_missing", param=param
        )


class IdempotencyError(StripeError):
    """An idempotency key reused with different parameters."""

    type = "idempotency_error"


class IdempotencyConflictError(StripeError):
    """An idempotency key whose first request is still running."""

    status = 409
    type = "invalid_request_error"


def missing_param(name: str) -> InvalidRequestError:
    """Return the error Stripe gives for a missing required parameter."""
    return InvalidRequestError(
        f"Missing required param: {name}.", code="parameter_missing", param=name
    )


def unknown_param(name: str) -> InvalidRequestError:
    """Return the error Stripe gives for a parameter the endpoint does not take."""
    return InvalidRequestError(
        f"Received unknown parameter: {name}", code="parameter_unknown", param=name
    )


def unexpected_state(message: str) -> InvalidRequestError:
    """Return the error for a PaymentIntent in a status that forbids the call."""
    return InvalidRequestError(message, code="payment_intent_unexpected_state")
