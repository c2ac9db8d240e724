"""Refunds and disputes made at the simulator, delivered to the service by webhook."""

import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import stripe

from prepay.db import transaction
from prepay.ledger.models import Account, LedgerEntry
from tests.conftest import SECRET_KEY, Service
from tests.service.helpers import money_json, usd

WAIT_SECONDS = 15


def stripe_client(service: Service) -> stripe.StripeClient:
    return stripe.StripeClient(
        SECRET_KEY, base_addresses={"api": service.simulator.url}
    )


def paid_topup(service: Service, email: str, amount: str, method: str) -> str:
    """Top up with a PaymentMethod that Stripe confirms; return the PaymentIntent id."""
    with service.client(service.token(email)) as client:
        response = client.post(
            "/v1/billing/top-up",
            json={"amount": money_json(amount), "paymentMethodId": method},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is True, body
    return str(body["stripePaymentIntentId"])


def ledger(service: Service, email: str) -> tuple[Account, list[LedgerEntry]]:
    with transaction(service.services.sessions) as session:
        account = session.query(Account).filter_by(email=email).one()
        entries = (
            session.query(LedgerEntry)
            .filter_by(account_id=account.id)
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
            .all()
        )
        return account, entries


def wait_until(
    service: Service,
    email: str,
    done: Callable[[Account, list[LedgerEntry]], bool],
) -> tuple[Account, list[LedgerEntry]]:
    """Read the ledger until ``done`` is true or the wait ends; return the last read."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        account, entries = ledger(service, email)
        if done(account, entries) or time.monotonic() > deadline:
            return account, entries
        time.sleep(0.1)


def wait_for_deliveries(sim: httpx.Client, expected: int) -> int:
    """Wait until the simulator has delivered ``expected`` times; return the count."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        attempts = sim.get("/_sim/deliveries").json()["attempts"]
        delivered = sum(1 for attempt in attempts if attempt["delivered"])
        if delivered >= expected or time.monotonic() > deadline:
            return delivered
        time.sleep(0.1)


def types_and_amounts(entries: list[LedgerEntry]) -> list[tuple[str, str, int]]:
    return [(e.type, e.status, e.amount_nanos) for e in entries]


def test_sdk_refund_reaches_service(service: Service) -> None:
    email = "eve@example.com"
    payment_intent_id = paid_topup(service, email, "50.00", "pm_card_visa")
    wait_until(service, email, lambda a, _e: a.balance_nanos > 0)
    client = stripe_client(service)

    client.v1.refunds.create({"payment_intent": payment_intent_id, "amount": 1000})
    account, entries = wait_until(
        service, email, lambda a, _e: a.balance_nanos < usd("50").nanos
    )
    assert account.balance_nanos == usd("40.00").nanos
    client.v1.refunds.create({"payment_intent": payment_intent_id, "amount": 500})
    account, entries = wait_until(
        service, email, lambda a, _e: a.balance_nanos < usd("40").nanos
    )

    assert account.balance_nanos == usd("35.00").nanos
    assert types_and_amounts(entries) == [
        ("CREDIT", "COMPLETED", usd("50.00").nanos),
        ("REFUND", "COMPLETED", -usd("10.00").nanos),
        ("REFUND", "COMPLETED", -usd("5.00").nanos),
    ]


def test_dispute_card_holds_then_lost_deducts(service: Service) -> None:
    email = "eva@example.com"
    payment_intent_id = paid_topup(service, email, "50.00", "pm_card_createDispute")
    account, _entries = wait_until(
        service, email, lambda a, _e: a.held_nanos > 0 and a.balance_nanos > 0
    )
    assert account.balance_nanos == usd("50.00").nanos
    assert account.held_nanos == usd("50.00").nanos
    client = stripe_client(service)
    disputes = client.v1.disputes.list({"payment_intent": payment_intent_id})
    assert len(disputes.data) == 1

    client.v1.disputes.close(disputes.data[0].id)
    account, entries = wait_until(service, email, lambda a, _e: a.held_nanos == 0)

    assert account.balance_nanos == 0
    assert account.held_nanos == 0
    assert account.status == "ACTIVE"
    assert types_and_amounts(entries) == [
        ("CREDIT", "COMPLETED", usd("50.00").nanos),
        ("DISPUTE", "COMPLETED", -usd("50.00").nanos),
    ]
    assert entries[1].stripe_dispute_id == disputes.data[0].id


def test_reversed_duplicated_deliveries_settle_once(service: Service) -> None:
    email = "eli@example.com"
    with httpx.Client(base_url=service.simulator.url, timeout=15) as sim:
        mode = sim.post(
            "/_sim/deliveries/mode", data={"duplicate": "true", "reverse": "true"}
        )
        assert mode.status_code == 200, mode.text
        assert sim.post("/_sim/deliveries/hold").status_code == 200
    payment_intent_id = paid_topup(service, email, "50.00", "pm_card_createDispute")
    client = stripe_client(service)
    dispute_id = (
        client.v1.disputes.list({"payment_intent": payment_intent_id}).data[0].id
    )
    client.v1.disputes.close(dispute_id)

    with httpx.Client(base_url=service.simulator.url, timeout=15) as sim:
        released = sim.post("/_sim/deliveries/release")
        assert released.status_code == 200, released.text
        event_ids = released.json()["released"]
        delivered = wait_for_deliveries(sim, 2 * len(event_ids))
    account, entries = ledger(service, email)

    assert delivered == 2 * len(event_ids)
    assert account.balance_nanos == 0
    assert account.held_nanos == 0
    assert types_and_amounts(entries) == [
        ("CREDIT", "COMPLETED", usd("50.00").nanos),
        ("DISPUTE", "COMPLETED", -usd("50.00").nanos),
    ]
