"""Every test card from Stripe's testing documentation, paid through the
simulator as Stripe.js and the SDK pay."""

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

SUCCESSFUL_CARDS = [
    ("4242424242424242", "visa", "credit"),
    ("4000056655665556", "visa", "debit"),
    ("5555555555554444", "mastercard", "credit"),
    ("2223003122003222", "mastercard", "credit"),
    ("5200828282828210", "mastercard", "debit"),
    ("5105105105105100", "mastercard", "prepaid"),
    ("378282246310005", "amex", "credit"),
    ("371449635398431", "amex", "credit"),
    ("6011111111111117", "discover", "credit"),
    ("3056930009020004", "diners", "credit"),
    ("36227206271667", "diners", "credit"),
    ("3566002020360505", "jcb", "credit"),
    ("6200000000000005", "unionpay", "credit"),
    ("4000000000003055", "visa", "credit"),
    ("4000000000003097", "visa", "credit"),
]

# (number, code, decline_code, message) from Stripe's declined-payments table.
DECLINED_CARDS = [
    ("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
    (
        "4000000000009995",
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    ("4000000000009987", "card_declined", "lost_card", "Your card was declined."),
    ("4000000000009979", "card_declined", "stolen_card", "Your card was declined."),
    ("4000000000000069", "expired_card", None, "Your card has expired."),
    (
        "4000000000000127",
        "incorrect_cvc",
        None,
        "Your card's security code is incorrect.",
    ),
    (
        "4000000000000119",
        "processing_error",
        None,
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    (
        "4000000000006975",
        "card_declined",
        "card_velocity_exceeded",
        "Your card was declined for making repeated attempts too frequently or "
        "exceeding its amount limit.",
    ),
    ("4000000000000341", "card_declined", "generic_decline", "Your card was declined."),
]

# Test PaymentMethods and the decline code they produce, or None for success.
TEST_PAYMENT_METHODS = [
    ("pm_card_visa", None),
    ("pm_card_mastercard", None),
    ("pm_card_amex", None),
    ("pm_card_amex_threeDSecureNotSupported", None),
    ("pm_card_chargeDeclined", "generic_decline"),
    ("pm_card_visa_chargeDeclined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ("pm_card_visa_chargeDeclinedLostCard", "lost_card"),
    ("pm_card_visa_chargeDeclinedStolenCard", "stolen_card"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error"),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_velocity_exceeded"),
]


@pytest.mark.parametrize(("number", "brand", "funding"), SUCCESSFUL_CARDS)
def test_card_succeeds_in_browser(
    client: stripe.StripeClient,
    http: httpx.Client,
    number: str,
    brand: str,
    funding: str,
) -> None:
    intent = create_intent(client)
    method = card_payment_method(http, number, cvc="1234" if brand == "amex" else "123")
    assert method.status_code == 200, method.text

    confirmed = confirm_in_browser(http, intent, method.json()["id"])

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded"
    assert paid.amount_received == 2000
    assert isinstance(paid.latest_charge, str)
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.status == "succeeded"
    assert charge.paid is True
    assert charge.amount_captured == 2000
    card = charge.payment_method_details.card
    assert card.brand == brand
    assert card.funding == funding
    assert card.last4 == number[-4:]


@pytest.mark.parametrize(("number", "code", "decline_code", "message"), DECLINED_CARDS)
def test_card_declines_in_browser(
    client: stripe.StripeClient,
    http: httpx.Client,
    number: str,
    code: str,
    decline_code: str | None,
    message: str,
) -> None:
    intent = create_intent(client)
    method = card_payment_method(http, number)
    assert method.status_code == 200, method.text

    confirmed = confirm_in_browser(http, intent, method.json()["id"])

    assert confirmed.status_code == 402
    error = confirmed.json()["error"]
    assert error["type"] == "card_error"
    assert error["code"] == code
    assert error["decline_code"] == decline_code
    assert error["message"] == message
    assert error["payment_intent"]["id"] == intent.id
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["charge"].startswith("ch_")

    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.amount_received == 0
    assert failed.payment_method is None
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == code
    assert failed.last_payment_error.decline_code == decline_code
    assert failed.latest_charge == error["charge"]
    charge = client.v1.charges.retrieve(error["charge"])
    assert charge.status == "failed"
    assert charge.failure_code == code
    assert charge.failure_message == message
    assert charge.outcome.type == "issuer_declined"
    assert event_types(client)[-2:] == [
        "charge.failed",
        "payment_intent.payment_failed",
    ]


@pytest.mark.parametrize(("payment_method", "decline_code"), TEST_PAYMENT_METHODS)
def test_test_payment_method_from_server(
    client: stripe.StripeClient, payment_method: str, decline_code: str | None
) -> None:
    params = {"payment_method": payment_method, "confirm": True}

    if decline_code is None:
        intent = create_intent(client, **params)
        assert intent.status == "succeeded"
        assert intent.payment_method is not None
        assert intent.payment_method.startswith("pm_")
        assert intent.payment_method != payment_method
        return
    with pytest.raises(stripe.CardError) as raised:
        create_intent(client, **params)
    error = raised.value.error
    assert error is not None
    assert (error.decline_code or error.code) == decline_code
    assert raised.value.http_status == 402
    assert error.payment_intent is not None
    assert error.payment_intent.status == "requires_payment_method"


def test_test_payment_method_is_new_each_time(client: stripe.StripeClient) -> None:
    first = create_intent(client, payment_method="pm_card_visa", confirm=True)
    second = create_intent(client, payment_method="pm_card_visa", confirm=True)

    assert first.payment_method != second.payment_method


@pytest.mark.parametrize(
    ("card", "code", "param"),
    [
        ({"number": "4242424242424241"}, "incorrect_number", "number"),
        ({"exp_month": "13"}, "invalid_expiry_month", "exp_month"),
        ({"exp_year": "2001"}, "invalid_expiry_year", "exp_year"),
        ({"cvc": "12"}, "invalid_cvc", "cvc"),
    ],
)
def test_invalid_card_details_rejected(
    http: httpx.Client, card: dict[str, str], code: str, param: str
) -> None:
    number = card.pop("number", "4242424242424242")

    response = card_payment_method(http, number, **card)

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["type"] == "card_error"
    assert error["code"] == code
    assert error["param"] == param


def test_real_card_number_declined(http: httpx.Client) -> None:
    # Passes the Luhn check but is not one of Stripe's test cards.
    response = card_payment_method(http, "4111111111111111")

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "card_declined"
    assert error["decline_code"] == "test_mode_live_card"


def test_payment_method_hides_card_number(http: httpx.Client) -> None:
    response = card_payment_method(http, "4242424242424242")

    assert response.status_code == 200
    assert "4242424242424242" not in response.text
    card = response.json()["card"]
    assert card["last4"] == "4242"
    assert card["exp_month"] == 12
    assert card["exp_year"] == 2034


def test_payment_method_needs_publishable_key(client: stripe.StripeClient) -> None:
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}

    with pytest.raises(stripe.InvalidRequestError, match="publishable key"):
        client.v1.payment_methods.create(params={"type": "card", "card": card})
