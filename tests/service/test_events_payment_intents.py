"""payment_intent.*: each top-up ends the same whatever the order of its events."""

import json
import logging
import secrets

import pytest

from prepay.db import transaction
from prepay.ledger.models import LedgerEntry, StripeEvent
from prepay.ledger.payment_intents import ACCOUNT_KEY, TRANSACTION_KEY
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
from tests.service.stripe_objects import completed_topup, send

DECLINE = {
    "code": "card_declined",
    "decline_code": "insufficient_funds",
    "message": "Your card has insufficient funds.",
}


def stored_event(service: Service, body: str) -> StripeEvent:
    with transaction(service.services.sessions) as session:
        row = session.get(StripeEvent, json.loads(body)["id"])
        assert row is not None
        session.expunge(row)
        return row


def stored_entry(service: Service, entry_id: str) -> LedgerEntry:
    with transaction(service.services.sessions) as session:
        entry = session.get(LedgerEntry, entry_id)
        assert entry is not None
        return entry


def test_payment_failed_then_succeeded_credits_once(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "pia@example.com", "30.00")
    failed = payment_intent(
        entry, "requires_payment_method", last_payment_error=DECLINE
    )

    send(bare_service, "payment_intent.payment_failed", failed)
    assert stored_entry(bare_service, entry.id).status == "FAILED"
    send(bare_service, "payment_intent.succeeded", payment_intent(entry))
    send(bare_service, "payment_intent.succeeded", payment_intent(entry))

    balance, entries = account_state(bare_service, "pia@example.com")
    assert balance == usd("30.00").nanos
    assert len(entries) == 1
    assert entries[0].status == "COMPLETED"
    assert entries[0].failure_code is None
    assert entries[0].failure_message is None


def test_late_payment_failed_keeps_credit(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "pat@example.com", "30.00")
    failed = payment_intent(
        entry, "requires_payment_method", last_payment_error=DECLINE
    )

    send(bare_service, "payment_intent.succeeded", payment_intent(entry))
    send(bare_service, "payment_intent.payment_failed", failed)
    send(bare_service, "payment_intent.canceled", payment_intent(entry, "canceled"))

    balance, entries = account_state(bare_service, "pat@example.com")
    assert balance == usd("30.00").nanos
    assert len(entries) == 1
    assert entries[0].status == "COMPLETED"
    assert entries[0].failure_code is None


def test_failure_shown_on_transaction(bare_service: Service) -> None:
    email = "pam@example.com"
    entry = open_pending_topup(bare_service, email, "30.00")
    failed = payment_intent(
        entry, "requires_payment_method", last_payment_error=DECLINE
    )

    send(bare_service, "payment_intent.payment_failed", failed)

    token = bare_service.token(email)
    with bare_service.client(token) as client:
        shown = client.get(f"/v1/billing/transactions/{entry.id}")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["status"] == "FAILED"
    assert body["failureCode"] == "insufficient_funds"
    assert body["failureMessage"] == "Your card has insufficient funds."


def test_canceled_after_failure(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "pip@example.com", "30.00")
    failed = payment_intent(
        entry, "requires_payment_method", last_payment_error=DECLINE
    )
    canceled = payment_intent(entry, "canceled", cancellation_reason="abandoned")

    send(bare_service, "payment_intent.payment_failed", failed)
    send(bare_service, "payment_intent.canceled", canceled)
    send(bare_service, "payment_intent.payment_failed", failed)

    stored = stored_entry(bare_service, entry.id)
    assert stored.status == "CANCELED"
    assert stored.failure_code == "abandoned"
    balance, _entries = account_state(bare_service, "pip@example.com")
    assert balance == 0


def test_success_after_local_cancel_in_review(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "pol@example.com", "30.00")
    send(bare_service, "payment_intent.canceled", payment_intent(entry, "canceled"))
    body = event_body("payment_intent.succeeded", payment_intent(entry))

    response = deliver(bare_service, body)

    assert response.status_code == 200
    row = stored_event(bare_service, body)
    assert row.status == "REVIEW"
    assert "CANCELED" in (row.error or "")
    balance, _entries = account_state(bare_service, "pol@example.com")
    assert balance == 0


def test_processing_records_status_only(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "pru@example.com", "30.00")

    send(bare_service, "payment_intent.processing", payment_intent(entry, "processing"))

    stored = stored_entry(bare_service, entry.id)
    assert stored.status == "PENDING"
    assert stored.metadata_["stripeStatus"] == "processing"
    balance, _entries = account_state(bare_service, "pru@example.com")
    assert balance == 0


@pytest.mark.parametrize("case", ["no_metadata", "other_account", "unknown_topup"])
def test_unmatched_payment_kept_for_review(bare_service: Service, case: str) -> None:
    entry = open_pending_topup(bare_service, "pax@example.com", "30.00")
    other = open_pending_topup(bare_service, "pez@example.com", "30.00")
    data = payment_intent(entry)
    if case == "no_metadata":
        data["metadata"] = {}
    elif case == "other_account":
        data["metadata"][ACCOUNT_KEY] = other.account_id
    else:
        data["id"] = "pi_" + secrets.token_hex(12)
        data["metadata"][TRANSACTION_KEY] = "txn_missing"
    body = event_body("payment_intent.succeeded", data)

    response = deliver(bare_service, body)

    assert response.status_code == 200
    assert stored_event(bare_service, body).status == "REVIEW"
    for email in ("pax@example.com", "pez@example.com"):
        balance, _entries = account_state(bare_service, email)
        assert balance == 0
    assert stored_entry(bare_service, entry.id).status == "PENDING"


def test_other_mode_ignored_and_logged(
    bare_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    entry = open_pending_topup(bare_service, "pim@example.com", "30.00")
    body = event_body("payment_intent.succeeded", payment_intent(entry), livemode=True)

    with caplog.at_level(logging.INFO, logger="prepay.ledger.events"):
        response = deliver(bare_service, body)

    assert response.status_code == 200
    row = stored_event(bare_service, body)
    assert row.status == "IGNORED"
    assert "livemode" in (row.error or "")
    logged = [r.getMessage() for r in caplog.records if row.id in r.getMessage()]
    assert any("IGNORED" in message for message in logged)
    balance, _entries = account_state(bare_service, "pim@example.com")
    assert balance == 0


def test_connected_account_event_ignored(bare_service: Service) -> None:
    entry = open_pending_topup(bare_service, "pow@example.com", "30.00")
    event = json.loads(event_body("payment_intent.succeeded", payment_intent(entry)))
    event["account"] = "acct_" + secrets.token_hex(8)
    body = json.dumps(event)

    with bare_service.client() as client:
        response = client.post(
            "/v1/billing/webhook",
            content=body.encode(),
            headers={
                "Stripe-Signature": sign(body, bare_service.simulator.webhook_secret)
            },
        )

    assert response.status_code == 200
    assert stored_event(bare_service, body).status == "IGNORED"
    balance, _entries = account_state(bare_service, "pow@example.com")
    assert balance == 0


def test_unknown_event_type_recorded(bare_service: Service) -> None:
    topup = completed_topup(bare_service, "pun@example.com", "30.00")
    body = event_body("customer.updated", {"id": "cus_x", "object": "customer"})

    response = deliver(bare_service, body)

    assert response.status_code == 200
    row = stored_event(bare_service, body)
    assert row.status == "IGNORED"
    assert row.type == "customer.updated"
    assert row.object_id == "cus_x"
    balance, _entries = account_state(bare_service, "pun@example.com")
    assert balance == topup.amount_nanos
