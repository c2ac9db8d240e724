"""Charges and disputes of a top-up, for self-signed events, and ledger reads."""

import secrets
from typing import Any

import httpx
import pytest

from prepay.cli import main
from prepay.db import transaction
from prepay.ledger.models import Account, LedgerEntry
from prepay.money import Money
from tests.conftest import SECRET_KEY, Service
from tests.service.helpers import credit, deliver, event_body, money_json, usd


def minor(amount: str) -> int:
    return usd(amount).to_minor_units()


def completed_topup(service: Service, email: str, amount: str) -> LedgerEntry:
    """Credit ``amount`` and return the top-up as stored, with its charge id."""
    entry = credit(service, email, amount)
    with transaction(service.services.sessions) as session:
        stored = session.get(LedgerEntry, entry.id)
        assert stored is not None
        assert stored.stripe_charge_id is not None
        return stored


def charge(topup: LedgerEntry, amount_refunded: str, **fields: Any) -> dict[str, Any]:
    """Return the top-up's charge with a cumulative ``amount_refunded``."""
    amount = Money("USD", topup.amount_nanos).to_minor_units()
    refunded = minor(amount_refunded)
    data: dict[str, Any] = {
        "id": topup.stripe_charge_id or "ch_" + secrets.token_hex(12),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "captured": True,
        "currency": "usd",
        "disputed": False,
        "paid": True,
        "payment_intent": topup.stripe_payment_intent_id,
        "refunded": refunded == amount,
        "status": "succeeded",
        "metadata": {},
    }
    data.update(fields)
    return data


def dispute(
    topup: LedgerEntry, status: str, amount: str, dispute_id: str, **fields: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": dispute_id,
        "object": "dispute",
        "amount": minor(amount),
        "charge": topup.stripe_charge_id,
        "currency": "usd",
        "is_charge_refundable": False,
        "payment_intent": topup.stripe_payment_intent_id,
        "reason": "fraudulent",
        "status": status,
        "metadata": {},
    }
    data.update(fields)
    return data


def new_dispute_id() -> str:
    return "du_" + secrets.token_hex(12)


def send(service: Service, event_type: str, data: dict[str, Any]) -> httpx.Response:
    response = deliver(service, event_body(event_type, data))
    assert response.status_code == 200, response.text
    return response


def spend(service: Service, email: str, amount: str) -> httpx.Response:
    """Debit ``amount`` through the API with a service token and a new key."""
    token = service.token("runner@example.com", "service")
    body = {
        "userEmail": email,
        "amount": money_json(amount),
        "idempotencyKey": "task-" + secrets.token_hex(6),
        "description": "Code check",
    }
    with service.client(token) as client:
        return client.post("/v1/billing/debits", json=body)


def account_row(service: Service, email: str) -> Account:
    with transaction(service.services.sessions) as session:
        account = session.query(Account).filter_by(email=email).one()
        session.expunge(account)
        return account


def entries_of(service: Service, email: str, entry_type: str) -> list[LedgerEntry]:
    with transaction(service.services.sessions) as session:
        account = session.query(Account).filter_by(email=email).one()
        return (
            session.query(LedgerEntry)
            .filter_by(account_id=account.id, type=entry_type)
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
            .all()
        )


def run_prepay(service: Service, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the ``prepay`` command against the service's database and simulator."""
    settings = service.settings
    environment = {
        "PREPAY_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_API_BASE": service.simulator.url,
        "STRIPE_WEBHOOK_SECRET": service.simulator.webhook_secret,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return main(list(args))
