"""The webhook: signatures on raw bytes, events stored once, credits exactly once."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from prepay.db import transaction
from prepay.ledger.models import StripeEvent
from tests.conftest import Service
from tests.service.helpers import (
    account_state,
    deliver,
    event_body,
    open_pending_topup,
    payment_intent,
    sign,
    usd,
)


def stored_event(service: Service, event_id: str) -> StripeEvent | None:
    with transaction(service.services.sessions) as session:
        return session.scalars(
            select(StripeEvent).where(StripeEvent.id == event_id)
        ).first()


def test_succeeded_credits_amount_received(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "ann@example.com", "50.00")
    body = event_body("payment_intent.succeeded", payment_intent(entry))

    response = deliver(bare_service, body)

    assert response.status_code == 200, response.text
    balance, entries = account_state(bare_service, "ann@example.com")
    assert balance == usd("50.00").nanos
    assert entries[0].status == "COMPLETED"
    assert entries[0].balance_before_nanos == 0
    assert entries[0].balance_after_nanos == usd("50.00").nanos


def test_same_event_five_times_at_once_credits_once(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "ben@example.com", "25.00")
    body = event_body("payment_intent.succeeded", payment_intent(entry))

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(lambda _i: deliver(bare_service, body), range(5)))

    assert [r.status_code for r in responses] == [200] * 5
    balance, _entries = account_state(bare_service, "ben@example.com")
    assert balance == usd("25.00").nanos


def test_failed_then_succeeded_credits_once(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "cat@example.com", "30.00")
    error = {
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }
    failed = payment_intent(entry, "requires_payment_method", last_payment_error=error)

    deliver(bare_service, event_body("payment_intent.payment_failed", failed))
    _balance, entries = account_state(bare_service, "cat@example.com")
    assert entries[0].status == "FAILED"
    assert entries[0].failure_code == "insufficient_funds"
    assert entries[0].failure_message == "Your card has insufficient funds."

    deliver(bare_service, event_body("payment_intent.succeeded", payment_intent(entry)))
    deliver(bare_service, event_body("payment_intent.payment_failed", failed))
    balance, entries = account_state(bare_service, "cat@example.com")
    assert balance == usd("30.00").nanos
    assert entries[0].status == "COMPLETED"


def test_bad_signature_is_400_and_writes_nothing(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "dan@example.com", "40.00")
    body = event_body("payment_intent.succeeded", payment_intent(entry))
    event_id = json.loads(body)["id"]

    wrong_secret = deliver(bare_service, body, secret="whsec_not_ours")
    with bare_service.client() as client:
        unsigned = client.post("/v1/billing/webhook", content=body)
        tampered = client.post(
            "/v1/billing/webhook",
            content=body.replace("40", "41").encode(),
            headers={
                "Stripe-Signature": sign(body, bare_service.simulator.webhook_secret)
            },
        )
        stale = client.post(
            "/v1/billing/webhook",
            content=body.encode(),
            headers={
                "Stripe-Signature": sign(
                    body, bare_service.simulator.webhook_secret, int(time.time()) - 600
                )
            },
        )
        future = client.post(
            "/v1/billing/webhook",
            content=body.encode(),
            headers={
                "Stripe-Signature": sign(
                    body, bare_service.simulator.webhook_secret, int(time.time()) + 600
                )
            },
        )

    for response in (wrong_secret, unsigned, tampered, stale, future):
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "invalid webhook signature"
    assert stored_event(bare_service, event_id) is None
    balance, _entries = account_state(bare_service, "dan@example.com")
    assert balance == 0


def test_payment_intent_without_metadata_kept_for_review(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "eli@example.com", "10.00")
    body = event_body("payment_intent.succeeded", payment_intent(entry, metadata={}))

    response = deliver(bare_service, body)

    assert response.status_code == 200
    row = stored_event(bare_service, json.loads(body)["id"])
    assert row is not None
    assert row.status == "REVIEW"
    balance, _entries = account_state(bare_service, "eli@example.com")
    assert balance == 0


def test_other_livemode_is_ignored(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "fin@example.com", "10.00")
    body = event_body("payment_intent.succeeded", payment_intent(entry), livemode=True)

    response = deliver(bare_service, body)

    assert response.status_code == 200
    row = stored_event(bare_service, json.loads(body)["id"])
    assert row is not None
    assert row.status == "IGNORED"
    balance, _entries = account_state(bare_service, "fin@example.com")
    assert balance == 0
