"""3D Secure: the challenge cards, completing and failing the challenge."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from tests.stripe_sim.helpers import (
    card_payment_method,
    confirm_in_browser,
    create_intent,
    event_types,
)

CHALLENGE_CARDS = [
    "4000002760003184",
    "4000002500003155",
    "4000000000003220",
    "4000000000003063",
]


def challenge(
    http: httpx.Client, intent: stripe.PaymentIntent, outcome: str
) -> httpx.Response:
    return http.post(
        f"/_sim/payment_intents/{intent.id}/three_d_secure",
        data={"client_secret": intent.client_secret, "outcome": outcome},
    )


def start_challenge(
    client: stripe.StripeClient, http: httpx.Client, number: str
) -> stripe.PaymentIntent:
    intent = create_intent(client)
    method = card_payment_method(http, number)
    confirmed = confirm_in_browser(http, intent, method.json()["id"])
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "requires_action"
    assert body["next_action"]["type"] == "use_stripe_sdk"
    return intent


@pytest.mark.parametrize("number", CHALLENGE_CARDS)
def test_challenge_completed_succeeds(
    client: stripe.StripeClient, http: httpx.Client, number: str
) -> None:
    intent = start_challenge(client, http, number)

    response = challenge(http, intent, "complete")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded"
    assert paid.next_action is None
    assert isinstance(paid.latest_charge, str)
    charge = client.v1.charges.retrieve(paid.latest_charge)
    secure = charge.payment_method_details.card.three_d_secure
    assert secure is not None
    assert secure.result == "authenticated"
    assert event_types(client)[-4:] == [
        "payment_intent.created",
        "payment_intent.requires_action",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_challenge_failed_needs_new_method(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = start_challenge(client, http, "4000002760003184")

    response = challenge(http, intent, "fail")

    assert response.status_code == 200, response.text
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.payment_method is None
    assert failed.latest_charge is None
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    assert failed.last_payment_error.type == "invalid_request_error"
    assert event_types(client)[-1] == "payment_intent.payment_failed"
    assert client.v1.charges.list(params={"payment_intent": intent.id}).data == []


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [
        ("4000008400001629", "generic_decline"),
        ("4000008260003178", "insufficient_funds"),
    ],
)
def test_challenge_then_decline(
    client: stripe.StripeClient, http: httpx.Client, number: str, decline_code: str
) -> None:
    intent = start_challenge(client, http, number)

    response = challenge(http, intent, "complete")

    assert response.status_code == 200
    declined = client.v1.payment_intents.retrieve(intent.id)
    assert declined.status == "requires_payment_method"
    assert declined.last_payment_error is not None
    assert declined.last_payment_error.code == "card_declined"
    assert declined.last_payment_error.decline_code == decline_code
    assert isinstance(declined.latest_charge, str)
    charge = client.v1.charges.retrieve(declined.latest_charge)
    assert charge.status == "failed"
    assert charge.payment_method_details.card.three_d_secure is not None


def test_no_three_d_secure_support_pays(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = create_intent(client)
    method = card_payment_method(http, "378282246310005", cvc="1234")
    assert method.json()["card"]["three_d_secure_usage"]["supported"] is False

    confirmed = confirm_in_browser(http, intent, method.json()["id"])

    assert confirmed.json()["status"] == "succeeded"


def test_lookup_error_card_fails(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as raised:
        create_intent(
            client,
            payment_method="pm_card_threeDSecureRequiredProcessingError",
            confirm=True,
        )

    assert raised.value.code == "processing_error"


def test_challenge_requested_for_optional_card(client: stripe.StripeClient) -> None:
    intent = create_intent(
        client,
        payment_method="pm_card_threeDSecureOptional",
        confirm=True,
        payment_method_options={"card": {"request_three_d_secure": "challenge"}},
    )

    assert intent.status == "requires_action"


def test_off_session_challenge_card_declines(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()

    with pytest.raises(stripe.CardError) as raised:
        create_intent(
            client,
            customer=customer.id,
            payment_method="pm_card_authenticationRequired",
            confirm=True,
            off_session=True,
        )

    assert raised.value.code == "authentication_required"
    error = raised.value.error
    assert error is not None
    assert error.decline_code == "authentication_required"


def test_server_confirm_redirects_to_challenge(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = create_intent(
        client,
        payment_method="pm_card_authenticationRequired",
        confirm=True,
        return_url="http://127.0.0.1:9/return?order=7",
    )

    assert intent.status == "requires_action"
    assert intent.next_action is not None
    redirect = intent.next_action.redirect_to_url
    assert redirect.return_url == "http://127.0.0.1:9/return?order=7"
    page = http.get(redirect.url)
    assert page.status_code == 200
    assert 'value="complete"' in page.text

    form = {
        "client_secret": intent.client_secret,
        "outcome": "complete",
        "redirect": "true",
    }
    done = http.post(f"/_sim/payment_intents/{intent.id}/three_d_secure", data=form)

    assert done.status_code == 303
    target = urlsplit(done.headers["location"])
    query = parse_qs(target.query)
    assert target.path == "/return"
    assert query["order"] == ["7"]
    assert query["payment_intent"] == [intent.id]
    assert query["redirect_status"] == ["succeeded"]


def test_challenge_needs_client_secret(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = start_challenge(client, http, "4000002760003184")

    response = http.post(
        f"/_sim/payment_intents/{intent.id}/three_d_secure",
        data={"client_secret": "pi_wrong_secret_x", "outcome": "complete"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "client_secret"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_action"


def test_challenge_without_action_rejected(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)

    response = challenge(http, intent, "complete")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payment_intent_unexpected_state"


def test_automatic_methods_need_return_url(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="return_url") as raised:
        client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
            }
        )

    assert raised.value.param == "return_url"
    assert client.v1.payment_intents.list().data == []
