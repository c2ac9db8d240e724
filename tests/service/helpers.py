"""Helpers for service tests: signed events and top-ups credited through them."""

import json
import secrets
import time
from typing import Any

import httpx
import stripe

from prepay.db import transaction
from prepay.ledger import topups
from prepay.ledger.accounts import get_or_create_account
from prepay.ledger.models import Account, LedgerEntry
from prepay.ledger.payment_intents import ACCOUNT_KEY, EMAIL_KEY, TRANSACTION_KEY
from prepay.money import Money
from tests.conftest import Service


def usd(amount: str) -> Money:
    return Money.from_decimal("USD", amount)


def money_json(amount: str, currency: str = "USD") -> dict[str, Any]:
    return Money.from_decimal(currency, amount).to_json()


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp
    )


def event_body(event_type: str, data: dict[str, Any], livemode: bool = False) -> str:
    return json.dumps(
        {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": livemode,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": data},
        }
    )


def deliver(service: Service, body: str, secret: str | None = None) -> httpx.Response:
    header = sign(body, secret or service.simulator.webhook_secret)
    with service.client() as client:
        return client.post(
            "/v1/billing/webhook",
            content=body.encode(),
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )


def open_pending_topup(service: Service, email: str, amount: str) -> LedgerEntry:
    """Write a PENDING top-up with a PaymentIntent id, as the top-up route does."""
    with transaction(service.services.sessions) as session:
        account = get_or_create_account(session, email, "USD")
        entry = topups.open_topup(session, account, usd(amount), secrets.token_hex(8))
        topups.attach_payment_intent(session, entry.id, "pi_" + secrets.token_hex(12))
        session.refresh(entry)
        return entry


def payment_intent(
    entry: LedgerEntry, status: str = "succeeded", **fields: Any
) -> dict[str, Any]:
    minor = Money("USD", entry.amount_nanos).to_minor_units()
    data: dict[str, Any] = {
        "id": entry.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": minor,
        "amount_received": minor if status == "succeeded" else 0,
        "currency": "usd",
        "status": status,
        "latest_charge": "ch_" + secrets.token_hex(12),
        "last_payment_error": None,
        "metadata": {
            ACCOUNT_KEY: entry.account_id,
            TRANSACTION_KEY: entry.id,
            EMAIL_KEY: "someone@example.com",
        },
    }
    data.update(fields)
    return data


def credit(service: Service, email: str, amount: str) -> LedgerEntry:
    """Top up ``amount`` through a signed payment_intent.succeeded event."""
    entry = open_pending_topup(service, email, amount)
    response = deliver(
        service, event_body("payment_intent.succeeded", payment_intent(entry))
    )
    assert response.status_code == 200, response.text
    return entry


def account_state(service: Service, email: str) -> tuple[int, list[LedgerEntry]]:
    """Return (balance in nanos, entries) read straight from the database."""
    with transaction(service.services.sessions) as session:
        account = session.query(Account).filter_by(email=email).one()
        entries = session.query(LedgerEntry).filter_by(account_id=account.id).all()
        return account.balance_nanos, entries
