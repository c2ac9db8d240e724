"""Helpers for the simulator's tests: browser-style calls and common requests."""

from __future__ import annotations

import time
from typing import Any

import httpx
import stripe

SECRET_KEY = "sk_test_simulator_suite"
PUBLISHABLE_KEY = "pk_test_simulator_suite"
WEBHOOK_SECRET = "whsec_simulator_suite"


def browser_post(http: httpx.Client, path: str, data: dict[str, Any]) -> httpx.Response:
    """POST form fields with the publishable key, as Stripe.js does."""
    return http.post(path, data={"key": PUBLISHABLE_KEY, **data})


def card_payment_method(http: httpx.Client, number: str, **card: str) -> httpx.Response:
    """Create a card PaymentMethod with the publishable key."""
    fields = {
        "type": "card",
        "card[number]": number,
        "card[exp_month]": card.get("exp_month", "12"),
        "card[exp_year]": card.get("exp_year", "2034"),
        "card[cvc]": card.get("cvc", "123"),
    }
    return browser_post(http, "/v1/payment_methods", fields)


def secret_headers() -> dict[str, str]:
    """Authorization header with the suite's secret key."""
    return {"Authorization": f"Bearer {SECRET_KEY}"}


def create_intent(client: stripe.StripeClient, **params: Any) -> stripe.PaymentIntent:
    """Create a card PaymentIntent for 20.00 USD; `params` override the defaults."""
    return client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method_types": ["card"],
            **params,
        }
    )


def confirm_in_browser(
    http: httpx.Client, intent: stripe.PaymentIntent, payment_method: str
) -> httpx.Response:
    """Confirm a PaymentIntent with the publishable key and its client secret."""
    return browser_post(
        http,
        f"/v1/payment_intents/{intent.id}/confirm",
        {"client_secret": intent.client_secret, "payment_method": payment_method},
    )


def event_types(client: stripe.StripeClient, limit: int = 100) -> list[str]:
    """Return the types of the newest events, oldest first."""
    events = client.v1.events.list(params={"limit": limit})
    return [event.type for event in reversed(events.data)]


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    """Poll `condition()` until it is true, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)
