"""Idempotency keys: replay of the first response, mismatch, what is not saved."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.stripe_sim.helpers import secret_headers


def post(
    http: httpx.Client, path: str, key: str, data: dict[str, str]
) -> httpx.Response:
    headers = {**secret_headers(), "Idempotency-Key": key}
    return http.post(path, data=data, headers=headers)


def test_same_key_replays_first_response(http: httpx.Client) -> None:
    data = {"amount": "2000", "currency": "usd", "payment_method_types[]": "card"}

    first = post(http, "/v1/payment_intents", "key-1", data)
    second = post(http, "/v1/payment_intents", "key-1", data)

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    listed = http.get("/v1/payment_intents", headers=secret_headers()).json()
    assert len(listed["data"]) == 1


def test_sdk_retry_with_key_creates_once(client: stripe.StripeClient) -> None:
    options = {"idempotency_key": "top-up-7"}
    params = {"amount": 2000, "currency": "usd", "payment_method_types": ["card"]}

    first = client.v1.payment_intents.create(params=params, options=options)
    second = client.v1.payment_intents.create(params=params, options=options)

    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"


def test_same_key_other_params_rejected(client: stripe.StripeClient) -> None:
    options = {"idempotency_key": "top-up-8"}
    client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"]},
        options=options,
    )

    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.payment_intents.create(
            params={
                "amount": 3000,
                "currency": "usd",
                "payment_method_types": ["card"],
            },
            options=options,
        )

    assert raised.value.http_status == 400
    assert raised.value.error is not None
    assert raised.value.error.type == "idempotency_error"
    assert "top-up-8" in str(raised.value.user_message)


def test_same_key_other_path_rejected(http: httpx.Client) -> None:
    post(http, "/v1/customers", "key-2", {"email": "a@example.com"})

    response = post(http, "/v1/refunds", "key-2", {"email": "a@example.com"})

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "idempotency_error"


def test_card_error_replayed(http: httpx.Client) -> None:
    data = {
        "amount": "2000",
        "currency": "usd",
        "payment_method_types[]": "card",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": "true",
    }

    first = post(http, "/v1/payment_intents", "key-3", data)
    second = post(http, "/v1/payment_intents", "key-3", data)

    assert first.status_code == 402
    assert second.status_code == 402
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"


def test_validation_error_not_saved(http: httpx.Client) -> None:
    bad = post(http, "/v1/payment_intents", "key-4", {"currency": "usd"})
    good = post(
        http,
        "/v1/payment_intents",
        "key-4",
        {"amount": "2000", "currency": "usd", "payment_method_types[]": "card"},
    )

    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "parameter_missing"
    assert good.status_code == 200
    assert "Idempotent-Replayed" not in good.headers


def test_replay_sends_no_second_event(client: stripe.StripeClient) -> None:
    options = {"idempotency_key": "customer-1"}

    client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    client.v1.customers.create(params={"email": "a@example.com"}, options=options)

    events = client.v1.events.list(params={"type": "customer.created"})
    assert len(events.data) == 1
    assert events.data[0].request is not None
    assert events.data[0].request.idempotency_key == "customer-1"


def test_key_too_long_rejected(http: httpx.Client) -> None:
    response = post(http, "/v1/customers", "k" * 256, {})

    assert response.status_code == 400
    assert "255" in response.json()["error"]["message"]
