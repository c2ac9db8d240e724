"""Disputes opened by Stripe's dispute test cards, and closed won or lost."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.stripe_sim.helpers import (
    card_payment_method,
    confirm_in_browser,
    create_intent,
    event_types,
)


def disputed(client: stripe.StripeClient, payment_method: str) -> stripe.Dispute:
    """Pay with a dispute test card and return the dispute it opens."""
    intent = create_intent(client, payment_method=payment_method, confirm=True)
    assert intent.status == "succeeded"
    found = client.v1.disputes.list(params={"payment_intent": intent.id}).data
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("payment_method", "reason", "status", "case_type"),
    [
        ("pm_card_createDispute", "fraudulent", "needs_response", "chargeback"),
        (
            "pm_card_createDisputeProductNotReceived",
            "product_not_received",
            "needs_response",
            "chargeback",
        ),
        (
            "pm_card_createDisputeInquiry",
            "fraudulent",
            "warning_needs_response",
            "inquiry",
        ),
    ],
)
def test_dispute_card_opens_dispute(
    client: stripe.StripeClient,
    payment_method: str,
    reason: str,
    status: str,
    case_type: str,
) -> None:
    dispute = disputed(client, payment_method)

    assert dispute.reason == reason
    assert dispute.status == status
    assert dispute.amount == 2000
    assert dispute.payment_method_details.card.case_type == case_type
    charge = client.v1.charges.retrieve(dispute.charge)
    assert charge.disputed is True
    types = event_types(client)
    assert types.index("payment_intent.succeeded") < types.index(
        "charge.dispute.created"
    )


def test_dispute_cards_by_number(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    for number in ("4000000000000259", "4000000000002685", "4000000000001976"):
        intent = create_intent(client)
        method = card_payment_method(http, number)
        confirm_in_browser(http, intent, method.json()["id"])
        found = client.v1.disputes.list(params={"payment_intent": intent.id}).data
        assert len(found) == 1, number


def test_chargeback_withdraws_funds(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDispute")

    assert dispute.is_charge_refundable is False
    assert len(dispute.balance_transactions) == 1
    assert dispute.balance_transactions[0].amount == -2000
    assert "charge.dispute.funds_withdrawn" in event_types(client)


def test_winning_evidence_wins(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDispute")

    updated = client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )

    assert updated.status == "under_review"
    final = client.v1.disputes.retrieve(dispute.id)
    assert final.status == "won"
    assert len(final.balance_transactions) == 2
    assert final.balance_transactions[1].amount == 2000
    assert event_types(client)[-3:] == [
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_reinstated",
    ]
    closed = client.v1.events.list(params={"type": "charge.dispute.closed"}).data[0]
    assert closed.data.object["status"] == "won"


def test_losing_evidence_loses(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDisputeProductNotReceived")

    client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )

    final = client.v1.disputes.retrieve(dispute.id)
    assert final.status == "lost"
    assert final.evidence.uncategorized_text == "losing_evidence"
    assert final.evidence_details.submission_count == 1
    assert event_types(client)[-1] == "charge.dispute.closed"


def test_close_accepts_loss(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDispute")

    closed = client.v1.disputes.close(dispute.id)

    assert closed.status == "lost"
    assert event_types(client)[-1] == "charge.dispute.closed"
    with pytest.raises(stripe.InvalidRequestError, match="already closed"):
        client.v1.disputes.close(dispute.id)


def test_inquiry_closes_as_warning_closed(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDisputeInquiry")

    client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )

    assert client.v1.disputes.retrieve(dispute.id).status == "warning_closed"
    assert "charge.dispute.funds_withdrawn" not in event_types(client)


def test_inquiry_escalates_to_chargeback(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDisputeInquiry")

    client.v1.disputes.update(
        dispute.id,
        params={"evidence": {"uncategorized_text": "escalate_inquiry_evidence"}},
    )

    escalated = client.v1.disputes.retrieve(dispute.id)
    assert escalated.status == "needs_response"
    assert escalated.payment_method_details.card.case_type == "chargeback"
    assert event_types(client)[-1] == "charge.dispute.funds_withdrawn"


def test_evidence_saved_without_submit(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDispute")

    updated = client.v1.disputes.update(
        dispute.id,
        params={
            "evidence": {"uncategorized_text": "winning_evidence"},
            "submit": False,
        },
    )

    assert updated.status == "needs_response"
    assert updated.evidence_details.has_evidence is True
    assert updated.evidence_details.submission_count == 0


def test_closed_dispute_takes_no_evidence(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDispute")
    client.v1.disputes.close(dispute.id)

    with pytest.raises(stripe.InvalidRequestError, match="status of lost"):
        client.v1.disputes.update(
            dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
        )


def test_chargeback_blocks_refund(client: stripe.StripeClient) -> None:
    dispute = disputed(client, "pm_card_createDispute")

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"charge": dispute.charge})

    assert raised.value.code == "charge_disputed"


def test_dispute_of_any_charge(client: stripe.StripeClient, http: httpx.Client) -> None:
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})

    response = http.post(
        f"/_sim/charges/{intent.latest_charge}/dispute",
        data={"reason": "duplicate", "case_type": "chargeback"},
    )

    assert response.status_code == 200, response.text
    dispute = response.json()
    assert dispute["amount"] == 1500
    assert dispute["reason"] == "duplicate"
    assert dispute["status"] == "needs_response"


def test_card_dispute_has_no_request(client: stripe.StripeClient) -> None:
    disputed(client, "pm_card_createDispute")

    event = client.v1.events.list(params={"type": "charge.dispute.created"}).data[0]

    assert event.request is not None
    assert event.request.id is None
    assert event.request.idempotency_key is None
