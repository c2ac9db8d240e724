"""charge.refunded: cumulative totals deducted once, in any order, at any time."""

import json
from concurrent.futures import ThreadPoolExecutor

from prepay.db import transaction
from prepay.ledger.models import StripeEvent
from tests.conftest import Service
from tests.service.helpers import (
    account_state,
    deliver,
    event_body,
    open_pending_topup,
    payment_intent,
    usd,
)
from tests.service.stripe_objects import (
    account_row,
    charge,
    completed_topup,
    entries_of,
    send,
    spend,
)


def test_refund_totals_deduct_30_once(bare_service: Service) -> None:
    topup = completed_topup(bare_service, "rae@example.com", "50.00")
    ten = event_body("charge.refunded", charge(topup, "10.00"))
    thirty = event_body("charge.refunded", charge(topup, "30.00"))

    for body in (ten, thirty, thirty, ten):
        response = deliver(bare_service, body)
        assert response.status_code == 200, response.text

    balance, _entries = account_state(bare_service, "rae@example.com")
    assert balance == usd("20.00").nanos
    refunds = entries_of(bare_service, "rae@example.com", "REFUND")
    assert [r.amount_nanos for r in refunds] == [
        -usd("10.00").nanos,
        -usd("20.00").nanos,
    ]
    assert all(r.status == "COMPLETED" for r in refunds)
    assert all(r.stripe_charge_id == topup.stripe_charge_id for r in refunds)
    assert refunds[1].balance_before_nanos == usd("40.00").nanos
    assert refunds[1].balance_after_nanos == usd("20.00").nanos


def test_concurrent_refund_events_deduct_30(bare_service: Service) -> None:
    for round_number in range(3):
        email = f"ray{round_number}@example.com"
        topup = completed_topup(bare_service, email, "50.00")
        bodies = [
            event_body("charge.refunded", charge(topup, "10.00")),
            event_body("charge.refunded", charge(topup, "30.00")),
        ]

        with ThreadPoolExecutor(max_workers=2) as pool:
            responses = list(pool.map(lambda b: deliver(bare_service, b), bodies))

        assert [r.status_code for r in responses] == [200, 200]
        balance, _entries = account_state(bare_service, email)
        assert balance == usd("20.00").nanos
        refunded = sum(
            r.amount_nanos for r in entries_of(bare_service, email, "REFUND")
        )
        assert refunded == -usd("30.00").nanos


def test_full_refund_of_spent_topup_restricts(bare_service: Service) -> None:
    email = "rex@example.com"
    topup = completed_topup(bare_service, email, "10.00")
    assert spend(bare_service, email, "9.50").status_code == 200

    send(bare_service, "charge.refunded", charge(topup, "10.00"))

    balance, _entries = account_state(bare_service, email)
    assert balance == -usd("9.50").nanos
    assert account_row(bare_service, email).status == "RESTRICTED"
    rejected = spend(bare_service, email, "0.01")
    assert rejected.status_code == 403
    error = rejected.json()["error"]
    assert error["code"] == "PERMISSION_DENIED"
    assert "RESTRICTED" in error["message"]
    assert "below zero" in error["message"]
    assert "top-up that brings it to zero or more" in error["message"]

    completed_topup(bare_service, email, "5.00")
    assert account_row(bare_service, email).status == "RESTRICTED"
    assert spend(bare_service, email, "0.01").status_code == 403

    completed_topup(bare_service, email, "10.00")
    balance, _entries = account_state(bare_service, email)
    assert balance == usd("5.50").nanos
    assert account_row(bare_service, email).status == "ACTIVE"
    assert spend(bare_service, email, "0.01").status_code == 200


def test_refund_before_succeeded_credits_first(bare_service: Service) -> None:
    email = "roy@example.com"
    pending = open_pending_topup(bare_service, email, "50.00")
    succeeded = payment_intent(pending)
    refunded = charge(pending, "10.00", id=succeeded["latest_charge"])

    send(bare_service, "charge.refunded", refunded)
    send(bare_service, "payment_intent.succeeded", succeeded)

    balance, entries = account_state(bare_service, email)
    assert balance == usd("40.00").nanos
    credits = [e for e in entries if e.type == "CREDIT"]
    assert len(credits) == 1
    assert credits[0].status == "COMPLETED"
    assert credits[0].stripe_charge_id == succeeded["latest_charge"]
    refunds = entries_of(bare_service, email, "REFUND")
    assert [r.amount_nanos for r in refunds] == [-usd("10.00").nanos]
    assert refunds[0].balance_before_nanos == usd("50.00").nanos


def test_refund_of_unknown_charge_in_review(bare_service: Service) -> None:
    topup = completed_topup(bare_service, "rio@example.com", "20.00")
    stranger = charge(topup, "5.00", id="ch_not_ours", payment_intent="pi_not_ours")
    body = event_body("charge.refunded", stranger)

    response = deliver(bare_service, body)

    assert response.status_code == 200
    with transaction(bare_service.services.sessions) as session:
        row = session.get(StripeEvent, json.loads(body)["id"])
        assert row is not None
        assert row.status == "REVIEW"
        assert "ch_not_ours" in (row.error or "")
    balance, _entries = account_state(bare_service, "rio@example.com")
    assert balance == usd("20.00").nanos


def test_failed_refund_in_review(bare_service: Service) -> None:
    topup = completed_topup(bare_service, "rob@example.com", "20.00")
    send(bare_service, "charge.refunded", charge(topup, "5.00"))
    refund = {
        "id": "re_failed_once",
        "object": "refund",
        "amount": 500,
        "charge": topup.stripe_charge_id,
        "currency": "usd",
        "payment_intent": topup.stripe_payment_intent_id,
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
    }
    body = event_body("refund.failed", refund)

    assert deliver(bare_service, body).status_code == 200

    with transaction(bare_service.services.sessions) as session:
        row = session.get(StripeEvent, json.loads(body)["id"])
        assert row is not None
        assert row.status == "REVIEW"
        assert row.account_id == topup.account_id
        assert "expired_or_canceled_card" in (row.error or "")
    balance, _entries = account_state(bare_service, "rob@example.com")
    assert balance == usd("15.00").nanos
