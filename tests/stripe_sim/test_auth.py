"""API keys, CORS and Stripe's error shape for unknown URLs."""

from __future__ import annotations

import base64

import httpx
import pytest
import stripe

from stripe_sim.testing import RunningSimulator
from tests.stripe_sim.helpers import PUBLISHABLE_KEY, SECRET_KEY


def test_bearer_secret_key_accepted(http: httpx.Client) -> None:
    response = http.get(
        "/v1/customers", headers={"Authorization": f"Bearer {SECRET_KEY}"}
    )

    assert response.status_code == 200
    assert response.json()["object"] == "list"
    assert response.headers["Request-Id"].startswith("req_")


def test_basic_auth_accepted(http: httpx.Client) -> None:
    token = base64.b64encode(f"{SECRET_KEY}:".encode()).decode()

    response = http.get("/v1/customers", headers={"Authorization": f"Basic {token}"})

    assert response.status_code == 200


def test_restricted_key_accepted(http: httpx.Client) -> None:
    response = http.get("/v1/customers", headers={"Authorization": "Bearer rk_test_1"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        {},
        {"Authorization": "Bearer sk_live_abcdefgh1234"},
        {"Authorization": "Bearer pk_live_abcdefgh1234"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer sk_test_"},
    ],
)
def test_bad_keys_rejected(http: httpx.Client, header: dict[str, str]) -> None:
    response = http.get("/v1/customers", headers=header)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "message" in error


def test_live_key_masked_in_error(http: httpx.Client) -> None:
    response = http.get(
        "/v1/customers", headers={"Authorization": "Bearer sk_live_abcdefgh1234"}
    )

    message = response.json()["error"]["message"]
    assert "sk_live_********1234" in message
    assert "abcdefgh" not in message


def test_sdk_raises_authentication_error(stripe_simulator: RunningSimulator) -> None:
    live = stripe.StripeClient(
        "sk_live_abcdefgh1234", base_addresses={"api": stripe_simulator.url}
    )

    with pytest.raises(stripe.AuthenticationError):
        live.v1.customers.list()


def test_publishable_key_rejected_on_server_call(http: httpx.Client) -> None:
    response = http.get("/v1/customers", params={"key": PUBLISHABLE_KEY})

    assert response.status_code == 401


def test_cors_preflight_allows_browser(http: httpx.Client) -> None:
    response = http.options(
        "/v1/payment_methods",
        headers={
            "Origin": "http://127.0.0.1:8000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_cors_header_on_response(http: httpx.Client) -> None:
    response = http.get(
        "/v1/customers",
        headers={
            "Origin": "http://127.0.0.1:8000",
            "Authorization": f"Bearer {SECRET_KEY}",
        },
    )

    assert response.headers["access-control-allow-origin"] == "*"
    assert "Request-Id" in response.headers["access-control-expose-headers"]


def test_unknown_url_in_stripe_shape(http: httpx.Client) -> None:
    response = http.get(
        "/v1/widgets", headers={"Authorization": f"Bearer {SECRET_KEY}"}
    )

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Unrecognized request URL (GET: /v1/widgets)")


def test_json_body_rejected(http: httpx.Client) -> None:
    response = http.post(
        "/v1/customers",
        json={"email": "a@example.com"},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )

    assert response.status_code == 400
    assert "form-encoded" in response.json()["error"]["message"]


def test_stripe_version_echoed(http: httpx.Client) -> None:
    response = http.get(
        "/v1/customers",
        headers={
            "Authorization": f"Bearer {SECRET_KEY}",
            "Stripe-Version": "2024-06-20",
        },
    )

    assert response.headers["Stripe-Version"] == "2024-06-20"
