"""The one module that imports ``stripe``: Stripe calls in, plain values out.

The same code talks to real Stripe and to the simulator; only the base URL
differs. Errors are classified by Stripe's ``code``, ``decline_code`` and
error class, never by message text.
"""

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import stripe

from prepay.errors import (
    IdempotencyMismatch,
    InvalidWebhook,
    PaymentProviderUnavailable,
    PrepayError,
)
from prepay.ledger.events import IncomingEvent

log = logging.getLogger(__name__)

NETWORK_RETRIES = 2
# PaymentIntents per list request (Stripe's maximum) and pages read at most.
LIST_PAGE_SIZE = 100
MAX_LIST_PAGES = 10


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
    """Stripe answered 400 to a request prepay built: a bug or a bad setting."""

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
    def __init__(
        self,
        secret_key: str,
        api_base: str,
        webhook_secrets: list[str],
        tolerance_seconds: int = 300,
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            max_network_retries=NETWORK_RETRIES,
        )
        self._webhook_secrets = list(webhook_secrets)
        self._tolerance = tolerance_seconds

    @property
    def can_verify_webhooks(self) -> bool:
        return bool(self._webhook_secrets)

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
            body = (exc.json_body or {}).get("error", {})
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

    def verify_event(self, payload: bytes, header: str | None) -> IncomingEvent:
        """Verify a delivery on its raw bytes and return the event as plain values.

        Raises InvalidWebhook for any bad body, header, signature or time.
        """
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidWebhook("invalid webhook payload") from None
        timestamp = self._verify_signature(text, header)
        if timestamp > time.time() + self._tolerance:
            raise InvalidWebhook("invalid webhook signature")
        try:
            body = json.loads(text)
            return _to_event(body)
        except (ValueError, KeyError, TypeError):
            raise InvalidWebhook("invalid webhook payload") from None

    def _verify_signature(self, text: str, header: str | None) -> int:
        for secret in self._webhook_secrets:
            try:
                stripe.WebhookSignature.verify_header(
                    text, header, secret, self._tolerance
                )
            except stripe.SignatureVerificationError:
                continue
            return _header_timestamp(header or "")
        raise InvalidWebhook("invalid webhook signature")


def _header_timestamp(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise InvalidWebhook("invalid webhook signature")


def _to_event(body: dict[str, Any]) -> IncomingEvent:
    if body.get("object") != "event":
        raise ValueError("not an event")
    data = body["data"]["object"]
    if not isinstance(data, dict) or not isinstance(body["id"], str):
        raise TypeError("malformed event")
    return IncomingEvent(
        id=body["id"],
        type=str(body["type"]),
        livemode=bool(body["livemode"]),
        created=int(body["created"]),
        data=data,
        account=body.get("account"),
    )
