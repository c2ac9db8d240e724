"""Refunds: full, partial and repeated, never more than what is left."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_sim.helpers import create_intent


@pytest.fixture
def paid(client: stripe.StripeClient) -> stripe.PaymentIntent:
    """A PaymentIntent for 20.00 USD paid with pm_card_visa."""
    return create_intent(client, payment_method="pm_card_visa", confirm=True)


def test_full_refund_by_payment_intent(
    client: stripe.StripeClient, paid: stripe.PaymentIntent
) -> None:
    refund = client.v1.refunds.create(params={"payment_intent": paid.id})

    assert refund.status == "succeeded"
    assert refund.amount == 2000
    assert refund.charge == paid.latest_charge
    assert refund.payment_intent == paid.id
    assert isinstance(paid.latest_charge, str)
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.amount_refunded == 2000
    assert charge.refunded is True
    assert [item.id for item in charge.refunds.data] == [refund.id]
    assert client.v1.payment_intents.retrieve(paid.id).status == "succeeded"


def test_partial_refunds_accumulate(
    client: stripe.StripeClient, paid: stripe.PaymentIntent
) -> None:
    assert isinstance(paid.latest_charge, str)

    client.v1.refunds.create(params={"charge": paid.latest_charge, "amount": 500})
    client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 700})

    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.amount_refunded == 1200
    assert charge.refunded is False
    events = client.v1.events.list(params={"type": "charge.refunded"}).data
    assert [event.data.object["amount_refunded"] for event in events] == [1200, 500]
    assert events[0].data.previous_attributes["amount_refunded"] == 500


def test_refund_above_remainder_rejected(
    client: stripe.StripeClient, paid: stripe.PaymentIntent
) -> None:
    client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1500})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 501})

    assert raised.value.code == "amount_too_large"
    assert raised.value.param == "amount"
    assert "unrefunded amount on charge ($5.00 usd)" in str(raised.value.user_message)


def test_refund_above_charge_rejected(
    client: stripe.StripeClient, paid: stripe.PaymentIntent
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 2001})

    assert raised.value.code == "amount_too_large"
    assert "charge amount ($20.00 usd)" in str(raised.value.user_message)


def test_refund_after_full_refund_rejected(
    client: stripe.StripeClient, paid: stripe.PaymentIntent
) -> None:
    client.v1.refunds.create(params={"payment_intent": paid.id})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1})

    assert raised.value.code == "charge_already_refunded"


def test_refund_of_unpaid_intent_rejected(client: stripe.StripeClient) -> None:
    intent = create_intent(client)

    with pytest.raises(stripe.InvalidRequestError, match="successful charge"):
        client.v1.refunds.create(params={"payment_intent": intent.id})


def test_refund_needs_charge_or_intent(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"amount": 100})

    assert raised.value.code == "parameter_missing"


def test_zero_amount_refund_rejected(
    client: stripe.StripeClient, paid: stripe.PaymentIntent
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 0})

    assert raised.value.param == "amount"


def test_refund_events_in_order(
    client: stripe.StripeClient, paid: stripe.PaymentIntent
) -> None:
    refund = client.v1.refunds.create(
        params={"payment_intent": paid.id, "amount": 300, "metadata": {"entry": "9"}}
    )

    newest = client.v1.events.list(params={"limit": 2}).data
    assert [event.type for event in newest] == ["refund.created", "charge.refunded"]
    assert newest[0].data.object["id"] == refund.id
    assert refund.metadata["entry"] == "9"
    listed = client.v1.refunds.list(params={"payment_intent": paid.id})
    assert [item.id for item in listed.data] == [refund.id]
    assert client.v1.refunds.retrieve(refund.id).amount == 300
