"""The error tree: one root, leaves named after the broken rule.

Each leaf carries a stable ``code`` and HTTP ``status``. The API maps them
to the JSON error body in one handler, so no route builds an error by hand.
"""

from typing import Any


class PrepayError(Exception):
    code = "INTERNAL"
    status = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidArgument(PrepayError):
    code = "INVALID_ARGUMENT"
    status = 400

    def __init__(self, field: str, message: str, **details: Any) -> None:
        super().__init__(f"{field}: {message}", field=field, **details)
        self.field = field


class Unauthenticated(PrepayError):
    code = "UNAUTHENTICATED"
    status = 401


class InsufficientFunds(PrepayError):
    code = "INSUFFICIENT_FUNDS"
    status = 402


class PermissionDenied(PrepayError):
    code = "PERMISSION_DENIED"
    status = 403


class AccountRestricted(PermissionDenied):
    """A debit on a RESTRICTED account, whose balance went below zero."""


class NotFound(PrepayError):
    code = "NOT_FOUND"
    status = 404


class AlreadyExists(PrepayError):
    code = "ALREADY_EXISTS"
    status = 409


class IdempotencyMismatch(PrepayError):
    code = "IDEMPOTENCY_MISMATCH"
    status = 409


class PayloadTooLarge(PrepayError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class RateLimited(PrepayError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(
        self, message: str, retry_after_seconds: int | None = None, **details: Any
    ) -> None:
        if retry_after_seconds is not None:
            details["retryAfterSeconds"] = retry_after_seconds
        super().__init__(message, **details)
        self.retry_after_seconds = retry_after_seconds


class PaymentsDisabled(PrepayError):
    code = "PAYMENTS_DISABLED"
    status = 503


class PaymentProviderUnavailable(PrepayError):
    """Stripe could not be reached or returned a server error."""

    code = "UNAVAILABLE"
    status = 503


class IdentityProviderUnavailable(PrepayError):
    """The OIDC issuer's signing keys could not be fetched and none are cached."""

    code = "UNAVAILABLE"
    status = 503


class InvalidWebhook(PrepayError):
    """A webhook delivery whose signature, timestamp or body does not verify."""

    code = "INVALID_ARGUMENT"
    status = 400


class WebhookNotConfigured(PrepayError):
    code = "UNAVAILABLE"
    status = 503
