"""Operators' commands: events list, review, and sync-payments against the simulator."""

import json
import secrets
import threading
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from prepay.db import transaction
from prepay.ledger import topups
from prepay.ledger.accounts import get_or_create_account
from prepay.ledger.models import LedgerEntry, StripeEvent, utcnow
from tests.conftest import Service
from tests.service.helpers import (
    account_state,
    deliver,
    event_body,
    money_json,
    open_pending_topup,
    payment_intent,
    usd,
)
from tests.service.stripe_objects import (
    account_row,
    charge,
    completed_topup,
    dispute,
    new_dispute_id,
    run_prepay,
    send,
    spend,
)

WAIT_SECONDS = 15


def fail_handler(*_args: object) -> Any:
    raise RuntimeError("handler broken on purpose")


def test_events_list_shows_failed_only(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    completed_topup(bare_service, "lia@example.com", "10.00")
    broken = open_pending_topup(bare_service, "lia@example.com", "20.00")
    monkeypatch.setitem(
        bare_service.services.event_handlers, "payment_intent.succeeded", fail_handler
    )
    body = event_body("payment_intent.succeeded", payment_intent(broken))
    assert deliver(bare_service, body).status_code == 500
    failed_id = json.loads(body)["id"]

    code = run_prepay(bare_service, monkeypatch, "events", "list", "--status", "FAILED")

    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(lines) == 1
    assert lines[0].startswith(failed_id)
    assert "FAILED" in lines[0]
    assert "handler broken on purpose" in lines[0]


def test_replay_unknown_event_fails(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run_prepay(bare_service, monkeypatch, "events", "replay", "evt_unknown")

    assert code == 1
    assert "no stored event evt_unknown" in capsys.readouterr().err


def test_review_lists_what_needs_attention(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    disputed = completed_topup(bare_service, "ria@example.com", "50.00")
    dispute_id = new_dispute_id()
    opened = dispute(disputed, "needs_response", "50.00", dispute_id)
    send(bare_service, "charge.dispute.created", opened)
    refunded = completed_topup(bare_service, "ron@example.com", "10.00")
    assert spend(bare_service, "ron@example.com", "9.50").status_code == 200
    send(bare_service, "charge.refunded", charge(refunded, "10.00"))
    stray = open_pending_topup(bare_service, "rue@example.com", "10.00")
    unmatched = event_body(
        "payment_intent.succeeded", payment_intent(stray, metadata={})
    )
    assert deliver(bare_service, unmatched).status_code == 200
    unmatched_id = json.loads(unmatched)["id"]

    assert run_prepay(bare_service, monkeypatch, "review") == 0

    output = capsys.readouterr().out
    assert "open disputes: 1" in output
    assert dispute_id in output
    assert "held 50 USD" in output or "held 50.00 USD" in output
    assert "events in review: 1" in output
    assert unmatched_id in output
    assert "no prepay metadata" in output
    assert "restricted or flagged accounts: 2" in output
    assert "ron@example.com  RESTRICTED" in output
    assert "ria@example.com  ACTIVE" in output

    assert (
        run_prepay(
            bare_service,
            monkeypatch,
            "events",
            "dismiss",
            unmatched_id,
            "--note",
            "test",
        )
        == 0
    )
    assert (
        run_prepay(
            bare_service, monkeypatch, "review", "--clear-flag", "ria@example.com"
        )
        == 0
    )
    capsys.readouterr()
    assert run_prepay(bare_service, monkeypatch, "review") == 0
    output = capsys.readouterr().out
    assert "events in review: 0" in output
    assert "restricted or flagged accounts: 1" in output
    assert "open disputes: 1" in output


def simulator(service: Service, path: str, **data: str) -> dict[str, Any]:
    with httpx.Client(base_url=service.simulator.url, timeout=15) as client:
        response = client.post(path, data=data)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def start_topup(
    service: Service, email: str, amount: str, payment_method: str | None
) -> dict[str, Any]:
    """Create a top-up through the API; Stripe confirms it when a method is given."""
    body: dict[str, Any] = {"amount": money_json(amount)}
    if payment_method:
        body["paymentMethodId"] = payment_method
    with service.client(service.token(email)) as client:
        response = client.post(
            "/v1/billing/top-up",
            json=body,
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def make_old(service: Service, entry_id: str, minutes: int = 20, **values: Any) -> None:
    with transaction(service.services.sessions) as session:
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.id == entry_id)
            .values(created_at=utcnow() - timedelta(minutes=minutes), **values)
        )


def stored_topup(service: Service, entry_id: str) -> LedgerEntry:
    with transaction(service.services.sessions) as session:
        entry = session.get(LedgerEntry, entry_id)
        assert entry is not None
        return entry


def wait_for_processed(service: Service, payment_intent_id: str) -> StripeEvent:
    """Wait until a payment_intent.succeeded for the PaymentIntent is PROCESSED."""
    deadline = time.monotonic() + WAIT_SECONDS
    statement = select(StripeEvent).where(
        StripeEvent.object_id == payment_intent_id,
        StripeEvent.type == "payment_intent.succeeded",
        StripeEvent.status == "PROCESSED",
    )
    while True:
        with transaction(service.services.sessions) as session:
            row = session.scalars(statement).first()
        if row is not None or time.monotonic() > deadline:
            assert row is not None, (
                f"no PROCESSED succeeded event of {payment_intent_id}"
            )
            return row
        time.sleep(0.1)


def test_sync_settles_old_topups(
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    simulator(service, "/_sim/deliveries/hold")
    paid = start_topup(service, "sam@example.com", "50.00", "pm_card_visa")
    waiting = start_topup(service, "sue@example.com", "30.00", None)
    young = start_topup(service, "syd@example.com", "20.00", "pm_card_visa")
    lost = start_topup(service, "sal@example.com", "40.00", "pm_card_visa")
    with transaction(service.services.sessions) as session:
        account = get_or_create_account(session, "sid@example.com", "USD")
        orphan = topups.open_topup(session, account, usd("10.00"), "never-sent")
    for body in (paid, waiting, lost):
        make_old(service, body["transaction"]["transactionId"])
    make_old(service, orphan.id)
    # A crash between Stripe's response and the ledger's write loses the id.
    make_old(
        service, lost["transaction"]["transactionId"], stripe_payment_intent_id=None
    )

    code = run_prepay(service, monkeypatch, "sync-payments", "--older-than", "15")

    output = capsys.readouterr().out
    assert code == 0, output
    assert "4 PENDING top-ups older than 15 min, 0 failed" in output
    for email, amount in (("sam@example.com", "50.00"), ("sal@example.com", "40.00")):
        balance, entries = account_state(service, email)
        assert balance == usd(amount).nanos
        assert entries[0].status == "COMPLETED"
    assert (
        stored_topup(
            service, lost["transaction"]["transactionId"]
        ).stripe_payment_intent_id
        == lost["stripePaymentIntentId"]
    )
    waiting_entry = stored_topup(service, waiting["transaction"]["transactionId"])
    assert waiting_entry.status == "PENDING"
    assert waiting_entry.metadata_["stripeStatus"] == "requires_payment_method"
    assert (
        stored_topup(service, young["transaction"]["transactionId"]).status == "PENDING"
    )
    assert stored_topup(service, orphan.id).status == "CANCELED"
    assert stored_topup(service, orphan.id).failure_code == "no_payment_intent"

    code = run_prepay(
        service,
        monkeypatch,
        "sync-payments",
        "--older-than",
        "15",
        "--cancel-abandoned",
    )

    assert code == 0
    assert (
        stored_topup(service, waiting["transaction"]["transactionId"]).status
        == "CANCELED"
    )
    simulator(service, "/_sim/deliveries/release")
    wait_for_processed(service, young["stripePaymentIntentId"])
    for payment in (paid, lost):
        wait_for_processed(service, payment["stripePaymentIntentId"])
    for email, amount in (
        ("sam@example.com", "50.00"),
        ("sal@example.com", "40.00"),
        ("syd@example.com", "20.00"),
    ):
        balance, entries = account_state(service, email)
        assert balance == usd(amount).nanos
        assert [e.status for e in entries] == ["COMPLETED"]


def run_sync(
    service: Service, monkeypatch: pytest.MonkeyPatch, codes: list[int]
) -> None:
    codes.append(
        run_prepay(service, monkeypatch, "sync-payments", "--older-than", "15")
    )


def test_sync_and_webhook_at_once_credit_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    for round_number in range(3):
        email = f"sky{round_number}@example.com"
        simulator(service, "/_sim/deliveries/hold")
        paid = start_topup(service, email, "50.00", "pm_card_visa")
        make_old(service, paid["transaction"]["transactionId"])
        codes: list[int] = []
        sync = threading.Thread(target=run_sync, args=(service, monkeypatch, codes))

        sync.start()
        simulator(service, "/_sim/deliveries/release")
        sync.join(timeout=WAIT_SECONDS)
        wait_for_processed(service, paid["stripePaymentIntentId"])

        assert codes == [0]
        balance, entries = account_state(service, email)
        assert balance == usd("50.00").nanos
        assert [(e.type, e.status) for e in entries] == [("CREDIT", "COMPLETED")]
        assert account_row(service, email).status == "ACTIVE"
