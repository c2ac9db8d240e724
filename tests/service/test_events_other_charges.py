"""Refunds and lost disputes naming another charge of the top-up's PaymentIntent.

Whatever charge ids the events carry, refunds and lost disputes together
never take back more than the top-up credited.
"""

from tests.conftest import Service
from tests.service.helpers import account_state, usd
from tests.service.stripe_objects import (
    charge,
    completed_topup,
    dispute,
    entries_of,
    new_dispute_id,
    send,
)


def test_refund_of_second_charge_deducts_nothing(bare_service: Service) -> None:
    email = "rhea@example.com"
    topup = completed_topup(bare_service, email, "10.00")
    send(bare_service, "charge.refunded", charge(topup, "10.00"))

    send(bare_service, "charge.refunded", charge(topup, "10.00", id="ch_other"))

    balance, _entries = account_state(bare_service, email)
    assert balance == 0
    refunds = entries_of(bare_service, email, "REFUND")
    assert [r.amount_nanos for r in refunds] == [-usd("10.00").nanos]


def test_partial_refunds_of_two_charges_capped(bare_service: Service) -> None:
    email = "rina@example.com"
    topup = completed_topup(bare_service, email, "10.00")
    send(bare_service, "charge.refunded", charge(topup, "6.00"))

    send(bare_service, "charge.refunded", charge(topup, "6.00", id="ch_other"))

    balance, _entries = account_state(bare_service, email)
    assert balance == 0
    taken = sum(r.amount_nanos for r in entries_of(bare_service, email, "REFUND"))
    assert taken == -usd("10.00").nanos


def test_lost_dispute_of_second_charge_after_refund(bare_service: Service) -> None:
    email = "rosa@example.com"
    topup = completed_topup(bare_service, email, "10.00")
    send(bare_service, "charge.refunded", charge(topup, "10.00"))
    dispute_id = new_dispute_id()

    send(
        bare_service,
        "charge.dispute.created",
        dispute(topup, "needs_response", "10.00", dispute_id, charge="ch_other"),
    )
    send(
        bare_service,
        "charge.dispute.closed",
        dispute(topup, "lost", "10.00", dispute_id, charge="ch_other"),
    )

    balance, _entries = account_state(bare_service, email)
    assert balance == 0
    disputes = entries_of(bare_service, email, "DISPUTE")
    assert len(disputes) == 1
    assert disputes[0].status == "CANCELED"


def test_refund_of_second_charge_after_lost_dispute(bare_service: Service) -> None:
    email = "ruth@example.com"
    topup = completed_topup(bare_service, email, "10.00")
    dispute_id = new_dispute_id()
    send(
        bare_service,
        "charge.dispute.closed",
        dispute(topup, "lost", "10.00", dispute_id),
    )

    send(bare_service, "charge.refunded", charge(topup, "10.00", id="ch_other"))

    balance, _entries = account_state(bare_service, email)
    assert balance == 0
    assert entries_of(bare_service, email, "REFUND") == []
