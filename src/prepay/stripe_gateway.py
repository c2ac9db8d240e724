"""The one module that imports ``stripe``: Stripe calls in, plain values out.

The same code talks to real Stripe and to the simulator; only the base URL
differs. Errors are classified by Stripe's ``code``, ``decline_code`` and
error class, never by message text.
"""

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import stripe

from prepay.errors import (
    IdempotencyMismatch,
    InvalidArgument,
    InvalidWebhook,
    PaymentProviderUnavailable,
    PrepayError,
)
from prepay.ledger.events import IncomingEvent
from prepay.money import INT64_MAX, INT64_MIN

log = logging.getLogger(__name__)


class _DropSdkDebug(logging.Filter):
    """A filter for the SDK's logger that drops its DEBUG records.

    Those carry whole request and response bodies, client secrets included,
    while its INFO records name only the method, URL and status. Unlike a
    level, a filter stays when someone sets the logger to DEBUG.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


# NOTE: STRIPE_LOG=debug in the environment makes the SDK print the same
# bodies to stderr past logging, so it must stay unset.
logging.getLogger("stripe").addFilter(_DropSdkDebug())

NETWORK_RETRIES = 2
# PaymentIntents per list request (Stripe's maximum) and pages read at most.
LIST_PAGE_SIZE = 100
MAX_LIST_PAGES = 10
# Longer Stripe-Signature headers are rejected unread; Stripe sends one t and
# a v1 per active secret, a few hundred characters.
MAX_SIGNATURE_HEADER_LENGTH = 4096
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
INVALID_SIGNATURE = "invalid webhook signature"
INVALID_PAYLOAD = "invalid webhook payload"
# Lengths of the stripe_events columns that store an event's id and type.
MAX_EVENT_ID_LENGTH = 255
MAX_EVENT_TYPE_LENGTH = 100


class PaymentDeclined(PrepayError):
    """Stripe refused the card; ``payment_intent`` is its state afterwards."""

    code = "PAYMENT_DECLINED"
    status = 402

    def __init__(
        self,
        decline_code: str,
        message: str,
        payment_intent: "PaymentIntentInfo | None",
    ) -> None:
        super().__init__(message, declineCode=decline_code)
        self.decline_code = decline_code
        self.payment_intent = payment_intent


class PaymentProviderRejected(PrepayError):
    """Stripe returned 400 for a request prepay built, from a bug or a bad setting."""

    code = "PAYMENT_PROVIDER_ERROR"
    status = 502


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str
    client_secret: str | None
    amount: int
    currency: str
    amount_received: int
    latest_charge: str | None
    error_code: str | None
    error_message: str | None
    metadata: dict[str, str]
    # The PaymentIntent as Stripe's JSON, for handlers that settle from it.
    data: dict[str, Any]


def _to_info(payment_intent: dict[str, Any]) -> PaymentIntentInfo:
    error = payment_intent.get("last_payment_error") or {}
    charge = payment_intent.get("latest_charge")
    if isinstance(charge, dict):
        charge = charge.get("id")
    return PaymentIntentInfo(
        id=payment_intent["id"],
        status=payment_intent["status"],
        client_secret=payment_intent.get("client_secret"),
        amount=payment_intent["amount"],
        currency=payment_intent["currency"],
        amount_received=payment_intent.get("amount_received") or 0,
        latest_charge=charge,
        error_code=error.get("decline_code") or error.get("code"),
        error_message=error.get("message"),
        metadata=dict(payment_intent.get("metadata") or {}),
        data=payment_intent,
    )


def _plain(obj: Any) -> dict[str, Any]:
    """Turn a StripeObject into plain JSON values."""
    result: dict[str, Any] = json.loads(str(obj)) if obj is not None else {}
    return result


class StripeGateway:
    def __init__(self, secret_key: str, api_base: str) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            max_network_retries=NETWORK_RETRIES,
        )

    def create_customer(self, email: str, account_id: str) -> str:
        params: Any = {"email": email, "metadata": {"prepay_account_id": account_id}}
        options: Any = {"idempotency_key": f"prepay-customer-{account_id}"}
        customer = self._call(self._client.v1.customers.create, params, options)
        log.info("stripe customer created id=%s account=%s", customer.id, account_id)
        return str(customer.id)

    def create_payment_intent(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        metadata: dict[str, str],
        idempotency_key: str,
        description: str,
        payment_method: str | None = None,
        return_url: str | None = None,
    ) -> PaymentIntentInfo:
        params: dict[str, Any] = {
            "amount": amount_minor,
            "currency": currency,
            "customer": customer,
            "metadata": metadata,
            "description": description,
            "payment_method_types": ["card"],
        }
        if payment_method:
            params.update(payment_method=payment_method, confirm=True)
            if return_url:
                params["return_url"] = return_url
        options: Any = {"idempotency_key": idempotency_key}
        created = self._call(self._client.v1.payment_intents.create, params, options)
        info = _to_info(_plain(created))
        log.info(
            "stripe payment_intent created id=%s status=%s amount=%d %s",
            info.id,
            info.status,
            info.amount,
            info.currency,
        )
        return info

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        retrieved = self._call(
            self._client.v1.payment_intents.retrieve, payment_intent_id
        )
        return _to_info(_plain(retrieved))

    def list_payment_intents(
        self, customer: str, created_from: int
    ) -> list[PaymentIntentInfo]:
        """List the customer's PaymentIntents created at ``created_from`` or later.

        ``created_from`` is Unix time in seconds. The list API shows a new
        PaymentIntent at once, unlike search, whose index Stripe documents as
        lagging by up to a minute, and longer during outages.
        """
        found: list[PaymentIntentInfo] = []
        params: dict[str, Any] = {
            "customer": customer,
            "created": {"gte": created_from},
            "limit": LIST_PAGE_SIZE,
        }
        for _page in range(MAX_LIST_PAGES):
            page = _plain(self._call(self._client.v1.payment_intents.list, params))
            found.extend(_to_info(item) for item in page.get("data", []))
            if not page.get("has_more") or not found:
                return found
            params["starting_after"] = found[-1].id
        log.warning(
            "listed %d PaymentIntents of customer %s and stopped at the page limit",
            len(found),
            customer,
        )
        return found

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        """Cancel a PaymentIntent that the customer abandoned."""
        params: Any = {"cancellation_reason": "abandoned"}
        options: Any = {"idempotency_key": f"prepay-cancel-{payment_intent_id}"}
        canceled = self._call(
            self._client.v1.payment_intents.cancel, payment_intent_id, params, options
        )
        info = _to_info(_plain(canceled))
        log.info("stripe payment_intent canceled id=%s", info.id)
        return info

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except stripe.CardError as exc:
            json_body = exc.json_body if isinstance(exc.json_body, dict) else {}
            body = json_body.get("error") or {}
            payment_intent = body.get("payment_intent")
            info = _to_info(payment_intent) if payment_intent else None
            code = body.get("decline_code") or exc.code or "card_declined"
            log.info("stripe card error code=%s request=%s", code, exc.request_id)
            raise PaymentDeclined(
                code, exc.user_message or "Your card was declined.", info
            ) from None
        except stripe.IdempotencyError:
            raise IdempotencyMismatch(
                "this Idempotency-Key was used for a different payment request"
            ) from None
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "param", None) == "payment_method":
                log.info("stripe rejected payment_method code=%s", exc.code)
                raise InvalidArgument(
                    "paymentMethodId",
                    "is not a PaymentMethod that Stripe knows; create one with "
                    "Stripe.js and send its id",
                ) from None
            log.error(
                "stripe rejected a request code=%s param=%s request=%s",
                exc.code,
                getattr(exc, "param", None),
                exc.request_id,
            )
            raise PaymentProviderRejected(
                "the payment provider rejected the request", stripeCode=exc.code
            ) from None
        except (
            stripe.APIConnectionError,
            stripe.RateLimitError,
            stripe.APIError,
        ) as exc:
            log.warning(
                "stripe unavailable: %s request=%s", type(exc).__name__, exc.request_id
            )
            raise PaymentProviderUnavailable(
                "the payment provider is unreachable; try again in a moment"
            ) from None


class WebhookVerifier:
    """Verifies webhook deliveries on their raw bytes with the official SDK.

    Several secrets may be configured while one is rotated; a delivery passes
    when any ``v1`` signature in its header matches any of them. Everything
    that fails raises InvalidWebhook with one of two generic messages, so a
    caller learns nothing about which check failed.
    """

    def __init__(self, secrets: list[str], tolerance_seconds: int = 300) -> None:
        if not secrets:
            raise ValueError("a webhook verifier needs at least one secret")
        self._secrets = list(secrets)
        self._tolerance = tolerance_seconds

    def verify_event(self, payload: bytes, header: str | None) -> IncomingEvent:
        """Verify a delivery and return the event as plain values.

        Raises InvalidWebhook for a body that is not UTF-8 JSON of an event,
        a missing or malformed header, no matching signature, or a timestamp
        more than the tolerance away from now in either direction (the SDK
        checks only the past).
        """
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidWebhook(INVALID_PAYLOAD) from None
        timestamp = _signed_timestamp(header)
        if abs(time.time() - timestamp) > self._tolerance:
            raise InvalidWebhook(INVALID_SIGNATURE)
        if not any(self._signed_with(text, header, s) for s in self._secrets):
            raise InvalidWebhook(INVALID_SIGNATURE)
        try:
            return _to_event(json.loads(text))
        except (ValueError, KeyError, TypeError, RecursionError):
            raise InvalidWebhook(INVALID_PAYLOAD) from None

    def _signed_with(self, text: str, header: str | None, secret: str) -> bool:
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, self._tolerance)
        except stripe.SignatureVerificationError:
            return False
        return True


def _signed_timestamp(header: str | None) -> int:
    """Read ``t`` from a Stripe-Signature header, the first one as the SDK does.

    Only plain ASCII headers with a decimal ``t`` pass, because the SDK's own
    parser accepts signs, spaces and underscores in ``t`` and fails with a
    TypeError, not its own error, on non-ASCII signatures.
    """
    if not header or len(header) > MAX_SIGNATURE_HEADER_LENGTH or not header.isascii():
        raise InvalidWebhook(INVALID_SIGNATURE)
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            if not _TIMESTAMP.fullmatch(value):
                break
            return int(value)
    raise InvalidWebhook(INVALID_SIGNATURE)


def _is_text(value: object, max_length: int) -> bool:
    """Check that ``value`` is a string the database can store in its column.

    PostgreSQL text cannot contain NUL characters, and a longer value than
    the column allows fails on write, after the event row was begun.
    """
    return (
        isinstance(value, str) and 0 < len(value) <= max_length and "\x00" not in value
    )


def _to_event(body: Any) -> IncomingEvent:
    if not isinstance(body, dict) or body.get("object") != "event":
        raise ValueError("not an event")
    data = body["data"]["object"]
    event_id, event_type, created = body["id"], body["type"], body["created"]
    account = body.get("account")
    if not (
        isinstance(data, dict)
        and _is_text(event_id, MAX_EVENT_ID_LENGTH)
        and _is_text(event_type, MAX_EVENT_TYPE_LENGTH)
        and isinstance(body["livemode"], bool)
        and isinstance(created, int)
        and not isinstance(created, bool)
        and INT64_MIN <= created <= INT64_MAX
        and (account is None or _is_text(account, MAX_EVENT_ID_LENGTH))
    ):
        raise TypeError("malformed event")
    # A PaymentIntent's client secret lets anyone confirm it. No handler
    # needs it, so it is neither stored with the event nor logged.
    data.pop("client_secret", None)
    return IncomingEvent(
        id=event_id,
        type=event_type,
        livemode=body["livemode"],
        created=created,
        data=data,
        account=account,
    )
