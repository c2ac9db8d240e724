"""PaymentIntents: create, retrieve with either key, update, cancel, list, search."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.stripe_sim.helpers import (
    PUBLISHABLE_KEY,
    card_payment_method,
    confirm_in_browser,
    create_intent,
    event_types,
)


def test_create_keeps_parameters(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})

    intent = create_intent(
        client,
        amount=5000,
        customer=customer.id,
        description="Top-up",
        receipt_email="ada@example.com",
        metadata={"account_id": "acct-1", "transaction_id": "txn_1"},
    )

    assert intent.id.startswith("pi_")
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert intent.status == "requires_payment_method"
    assert intent.amount == 5000
    assert intent.currency == "usd"
    assert intent.customer == customer.id
    assert intent.description == "Top-up"
    assert intent.receipt_email == "ada@example.com"
    assert intent.metadata["account_id"] == "acct-1"
    assert intent.livemode is False
    assert intent.payment_method_types == ["card"]
    assert event_types(client)[-1] == "payment_intent.created"


def test_create_with_method_awaits_confirmation(client: stripe.StripeClient) -> None:
    intent = create_intent(client, payment_method="pm_card_visa")

    assert intent.status == "requires_confirmation"
    confirmed = client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"


def test_automatic_methods_by_default(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "eur"}
    )

    assert intent.automatic_payment_methods is not None
    assert intent.automatic_payment_methods.enabled is True
    assert intent.payment_method_types == ["card"]


def test_browser_sees_publishable_fields(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = create_intent(client, metadata={"account_id": "acct-1"})

    response = http.get(
        f"/v1/payment_intents/{intent.id}",
        params={"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == intent.id
    assert body["status"] == "requires_payment_method"
    assert body["amount"] == 2000
    assert "metadata" not in body
    assert "customer" not in body


def test_browser_needs_matching_secret(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = create_intent(client)
    path = f"/v1/payment_intents/{intent.id}"

    wrong = http.get(path, params={"key": PUBLISHABLE_KEY, "client_secret": "x"})
    missing = http.get(path, params={"key": PUBLISHABLE_KEY})

    assert wrong.status_code == 400
    assert wrong.json()["error"]["param"] == "client_secret"
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "parameter_missing"


def test_browser_cannot_create(http: httpx.Client) -> None:
    response = http.post(
        "/v1/payment_intents",
        data={"key": PUBLISHABLE_KEY, "amount": "2000", "currency": "usd"},
    )

    assert response.status_code == 401
    assert "publishable API key" in response.json()["error"]["message"]


def test_missing_intent_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.retrieve("pi_missing")

    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert str(raised.value.user_message) == "No such payment_intent: 'pi_missing'"


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"currency": "usd"}, "parameter_missing", "amount"),
        ({"amount": 2000}, "parameter_missing", "currency"),
        ({"amount": 49, "currency": "usd"}, "amount_too_small", "amount"),
        ({"amount": 100_000_000, "currency": "usd"}, "amount_too_large", "amount"),
        (
            {"amount": 2000, "currency": "usd", "colour": "red"},
            "parameter_unknown",
            "colour",
        ),
        (
            {"amount": 2000, "currency": "usd", "customer": "cus_x"},
            "resource_missing",
            "customer",
        ),
    ],
)
def test_create_validates(
    client: stripe.StripeClient, params: dict[str, object], code: str, param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]

    assert raised.value.code == code
    assert raised.value.param == param


def test_minimum_follows_currency(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 50, "currency": "jpy", "payment_method_types": ["card"]}
    )

    assert intent.amount == 50
    with pytest.raises(stripe.InvalidRequestError, match="three-decimal"):
        client.v1.payment_intents.create(params={"amount": 1005, "currency": "kwd"})


def test_update_changes_amount_and_metadata(client: stripe.StripeClient) -> None:
    intent = create_intent(client, metadata={"a": "1", "b": "2"})

    updated = client.v1.payment_intents.update(
        intent.id, params={"amount": 3000, "metadata": {"a": "", "c": "3"}}
    )

    assert updated.amount == 3000
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}


def test_update_after_success_rejected(client: stripe.StripeClient) -> None:
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.update(intent.id, params={"amount": 3000})

    assert raised.value.code == "payment_intent_unexpected_state"


def test_cancel(client: stripe.StripeClient) -> None:
    intent = create_intent(client)

    canceled = client.v1.payment_intents.cancel(
        intent.id, params={"cancellation_reason": "abandoned"}
    )

    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "abandoned"
    assert canceled.canceled_at is not None
    assert event_types(client)[-1] == "payment_intent.canceled"


def test_cancel_after_success_rejected(client: stripe.StripeClient) -> None:
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.cancel(intent.id)

    assert raised.value.code == "payment_intent_unexpected_state"
    assert "status of succeeded" in str(raised.value.user_message)


def test_confirm_canceled_rejected(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = create_intent(client)
    client.v1.payment_intents.cancel(intent.id)
    method = card_payment_method(http, "4242424242424242")

    response = confirm_in_browser(http, intent, method.json()["id"])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payment_intent_unexpected_state"


def test_confirm_twice_rejected(client: stripe.StripeClient) -> None:
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)

    with pytest.raises(stripe.InvalidRequestError, match="already succeeded"):
        client.v1.payment_intents.confirm(intent.id)


def test_retry_after_decline_succeeds(
    client: stripe.StripeClient, http: httpx.Client
) -> None:
    intent = create_intent(client)
    declined = card_payment_method(http, "4000000000000002")
    confirm_in_browser(http, intent, declined.json()["id"])
    good = card_payment_method(http, "4242424242424242")

    response = confirm_in_browser(http, intent, good.json()["id"])

    assert response.json()["status"] == "succeeded"
    charges = client.v1.charges.list(params={"payment_intent": intent.id}).data
    assert [charge.status for charge in charges] == ["succeeded", "failed"]


def test_list_by_customer(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    mine = create_intent(client, customer=customer.id)
    create_intent(client)

    listed = client.v1.payment_intents.list(params={"customer": customer.id})

    assert [item.id for item in listed.data] == [mine.id]


def test_search_by_metadata(client: stripe.StripeClient) -> None:
    wanted = create_intent(client, metadata={"transaction_id": "txn_9"})
    create_intent(client, metadata={"transaction_id": "txn_8"})
    query = "metadata['transaction_id']:'txn_9' AND status:'requires_payment_method'"

    found = client.v1.payment_intents.search(params={"query": query})

    assert [item.id for item in found.data] == [wanted.id]


def test_expand_latest_charge(client: stripe.StripeClient) -> None:
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)

    expanded = client.v1.payment_intents.retrieve(
        intent.id, params={"expand": ["latest_charge", "payment_method"]}
    )

    assert isinstance(expanded.latest_charge, stripe.Charge)
    assert expanded.latest_charge.amount == 2000
    assert isinstance(expanded.payment_method, stripe.PaymentMethod)
