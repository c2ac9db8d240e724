"""charge.dispute.*: a hold while open, one deduction if lost, never two."""

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import Service
from tests.service.helpers import account_state, deliver, event_body, usd
from tests.service.stripe_objects import (
    account_row,
    charge,
    completed_topup,
    dispute,
    entries_of,
    new_dispute_id,
    send,
    spend,
)


def test_dispute_won_releases_hold(bare_service: Service) -> None:
    email = "dee@example.com"
    topup = completed_topup(bare_service, email, "50.00")
    assert spend(bare_service, email, "20.00").status_code == 200
    dispute_id = new_dispute_id()

    send(
        bare_service,
        "charge.dispute.created",
        dispute(topup, "needs_response", "50.00", dispute_id),
    )

    account = account_row(bare_service, email)
    assert account.held_nanos == usd("50.00").nanos
    assert account.balance_nanos == usd("30.00").nanos
    assert account.review_reason is not None
    assert dispute_id in account.review_reason
    assert spend(bare_service, email, "0.01").status_code == 402
    token = bare_service.token(email)
    with bare_service.client(token) as client:
        profile = client.get("/v1/billing/profile").json()
    assert profile["heldBalance"]["units"] == "50"
    assert profile["availableBalance"]["units"] == "-20"
    held = entries_of(bare_service, email, "DISPUTE")
    assert [(e.status, e.amount_nanos) for e in held] == [
        ("PENDING", -usd("50.00").nanos)
    ]

    send(
        bare_service,
        "charge.dispute.closed",
        dispute(topup, "won", "50.00", dispute_id),
    )

    account = account_row(bare_service, email)
    assert account.held_nanos == 0
    assert account.balance_nanos == usd("30.00").nanos
    assert account.status == "ACTIVE"
    assert account.review_reason is None
    closed = entries_of(bare_service, email, "DISPUTE")
    assert [e.status for e in closed] == ["CANCELED"]
    assert spend(bare_service, email, "30.00").status_code == 200


def test_dispute_lost_writes_one_entry(bare_service: Service) -> None:
    email = "don@example.com"
    topup = completed_topup(bare_service, email, "50.00")
    assert spend(bare_service, email, "20.00").status_code == 200
    dispute_id = new_dispute_id()
    opened = dispute(topup, "needs_response", "50.00", dispute_id)
    lost = dispute(topup, "lost", "50.00", dispute_id)

    send(bare_service, "charge.dispute.created", opened)
    send(bare_service, "charge.dispute.closed", lost)
    send(bare_service, "charge.dispute.closed", lost)
    send(bare_service, "charge.dispute.created", opened)
    send(bare_service, "charge.dispute.updated", opened)

    entries = entries_of(bare_service, email, "DISPUTE")
    assert len(entries) == 1
    assert entries[0].status == "COMPLETED"
    assert entries[0].amount_nanos == -usd("50.00").nanos
    assert entries[0].balance_before_nanos == usd("30.00").nanos
    assert entries[0].balance_after_nanos == -usd("20.00").nanos
    assert entries[0].stripe_dispute_id == dispute_id
    account = account_row(bare_service, email)
    assert account.balance_nanos == -usd("20.00").nanos
    assert account.held_nanos == 0
    assert account.status == "RESTRICTED"
    assert account.review_reason is not None
    assert "lost" in account.review_reason


def test_dispute_then_refund_deducts_once(bare_service: Service) -> None:
    email = "dot@example.com"
    topup = completed_topup(bare_service, email, "50.00")
    assert spend(bare_service, email, "20.00").status_code == 200
    dispute_id = new_dispute_id()

    send(
        bare_service,
        "charge.dispute.created",
        dispute(
            topup,
            "warning_needs_response",
            "50.00",
            dispute_id,
            is_charge_refundable=True,
        ),
    )
    send(bare_service, "charge.refunded", charge(topup, "50.00"))
    send(
        bare_service,
        "charge.dispute.closed",
        dispute(topup, "lost", "50.00", dispute_id),
    )

    balance, _entries = account_state(bare_service, email)
    assert balance == -usd("20.00").nanos
    refunds = entries_of(bare_service, email, "REFUND")
    assert [r.amount_nanos for r in refunds] == [-usd("50.00").nanos]
    disputes = entries_of(bare_service, email, "DISPUTE")
    assert [d.status for d in disputes] == ["CANCELED"]
    assert account_row(bare_service, email).held_nanos == 0


def test_refund_then_dispute_deducts_once(bare_service: Service) -> None:
    email = "dan@example.com"
    topup = completed_topup(bare_service, email, "50.00")
    assert spend(bare_service, email, "20.00").status_code == 200
    dispute_id = new_dispute_id()

    send(bare_service, "charge.refunded", charge(topup, "50.00"))
    send(
        bare_service,
        "charge.dispute.created",
        dispute(topup, "needs_response", "50.00", dispute_id),
    )
    assert account_row(bare_service, email).held_nanos == 0
    send(
        bare_service,
        "charge.dispute.closed",
        dispute(topup, "lost", "50.00", dispute_id),
    )

    balance, _entries = account_state(bare_service, email)
    assert balance == -usd("20.00").nanos
    completed = [
        d for d in entries_of(bare_service, email, "DISPUTE") if d.status == "COMPLETED"
    ]
    assert completed == []
    assert account_row(bare_service, email).held_nanos == 0


def test_partial_refund_then_lost_dispute(bare_service: Service) -> None:
    email = "dia@example.com"
    topup = completed_topup(bare_service, email, "50.00")
    dispute_id = new_dispute_id()

    send(bare_service, "charge.refunded", charge(topup, "10.00"))
    send(
        bare_service,
        "charge.dispute.created",
        dispute(topup, "needs_response", "50.00", dispute_id),
    )
    assert account_row(bare_service, email).held_nanos == usd("40.00").nanos
    send(
        bare_service,
        "charge.dispute.closed",
        dispute(topup, "lost", "50.00", dispute_id),
    )
    send(bare_service, "charge.refunded", charge(topup, "10.00"))

    balance, _entries = account_state(bare_service, email)
    assert balance == 0
    disputes = entries_of(bare_service, email, "DISPUTE")
    assert [d.amount_nanos for d in disputes] == [-usd("40.00").nanos]
    assert account_row(bare_service, email).held_nanos == 0


def test_dispute_closed_before_created(bare_service: Service) -> None:
    email = "dom@example.com"
    topup = completed_topup(bare_service, email, "50.00")
    dispute_id = new_dispute_id()

    send(
        bare_service,
        "charge.dispute.closed",
        dispute(topup, "won", "50.00", dispute_id),
    )
    send(
        bare_service,
        "charge.dispute.created",
        dispute(topup, "needs_response", "50.00", dispute_id),
    )

    account = account_row(bare_service, email)
    assert account.held_nanos == 0
    assert account.balance_nanos == usd("50.00").nanos
    assert [d.status for d in entries_of(bare_service, email, "DISPUTE")] == [
        "CANCELED"
    ]


def test_lost_dispute_and_refund_at_once(bare_service: Service) -> None:
    for round_number in range(3):
        email = f"duo{round_number}@example.com"
        topup = completed_topup(bare_service, email, "50.00")
        dispute_id = new_dispute_id()
        send(
            bare_service,
            "charge.dispute.created",
            dispute(topup, "warning_needs_response", "50.00", dispute_id),
        )
        bodies = [
            event_body(
                "charge.dispute.closed", dispute(topup, "lost", "50.00", dispute_id)
            ),
            event_body("charge.refunded", charge(topup, "50.00")),
        ]

        with ThreadPoolExecutor(max_workers=2) as pool:
            responses = list(pool.map(lambda b: deliver(bare_service, b), bodies))

        assert [r.status_code for r in responses] == [200, 200]
        balance, _entries = account_state(bare_service, email)
        assert balance == 0
        assert account_row(bare_service, email).held_nanos == 0


def test_dispute_alerts_admin_with_warning(
    bare_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    email = "dex@example.com"
    topup = completed_topup(bare_service, email, "50.00")
    dispute_id = new_dispute_id()

    with caplog.at_level(logging.WARNING, logger="prepay.ledger.disputes"):
        send(
            bare_service,
            "charge.dispute.created",
            dispute(topup, "needs_response", "50.00", dispute_id),
        )

    alerts = [
        r.getMessage()
        for r in caplog.records
        if r.name == "prepay.ledger.disputes" and r.levelno == logging.WARNING
    ]
    assert len(alerts) == 1
    assert dispute_id in alerts[0]
    assert topup.id in alerts[0]
    assert topup.account_id in alerts[0]
    assert str(topup.stripe_charge_id) in alerts[0]


def test_dispute_of_unknown_charge_in_review(bare_service: Service) -> None:
    topup = completed_topup(bare_service, "dyl@example.com", "50.00")
    stranger = dispute(
        topup,
        "needs_response",
        "50.00",
        new_dispute_id(),
        charge="ch_x",
        payment_intent=None,
    )

    response = deliver(bare_service, event_body("charge.dispute.created", stranger))

    assert response.status_code == 200
    assert response.json()["status"] == "REVIEW"
    assert account_row(bare_service, "dyl@example.com").held_nanos == 0
