"""Top-ups through the Stripe simulator: PaymentIntent, confirm, webhook credit."""

import time
from typing import Any

import httpx
import pytest

from prepay.db import transaction
from prepay.ledger.models import Account
from tests.conftest import Service
from tests.service.helpers import account_state, money_json, usd


def top_up(
    client: httpx.Client, amount: dict[str, Any], key: str | None = "k1", **extra: Any
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/v1/billing/top-up", json={"amount": amount, **extra}, headers=headers
    )


def confirm_with_card(
    service: Service, body: dict[str, Any], number: str
) -> dict[str, Any]:
    """Pay the top-up at the simulator with the publishable key, as Stripe.js does."""
    key = service.settings.stripe_publishable_key
    with httpx.Client(base_url=service.simulator.url, timeout=15) as sim:
        method = sim.post(
            "/v1/payment_methods",
            data={
                "key": key,
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        assert method.status_code == 200, method.text
        confirmed = sim.post(
            f"/v1/payment_intents/{body['stripePaymentIntentId']}/confirm",
            data={
                "key": key,
                "client_secret": body["clientSecret"],
                "payment_method": method.json()["id"],
            },
        )
        result: dict[str, Any] = confirmed.json()
        return result


def wait_for_status(
    client: httpx.Client, transaction_id: str, seconds: float = 10
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        entry: dict[str, Any] = client.get(
            f"/v1/billing/transactions/{transaction_id}"
        ).json()
        if entry["status"] != "PENDING" or time.monotonic() > deadline:
            return entry
        time.sleep(0.1)


def test_top_up_with_4242_credits_50(service: Service) -> None:
    token = service.token("ada@example.com")
    with service.client(token) as client:
        response = top_up(client, money_json("50.00"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        assert body["clientSecret"].startswith(body["stripePaymentIntentId"])
        assert body["transaction"]["status"] == "PENDING"

        confirmed = confirm_with_card(service, body, "4242424242424242")
        assert confirmed["status"] == "succeeded"
        entry = wait_for_status(client, body["transaction"]["transactionId"])
        profile = client.get("/v1/billing/profile").json()

    assert entry["status"] == "COMPLETED"
    assert entry["balanceAfter"] == {"currencyCode": "USD", "units": "50", "nanos": 0}
    assert profile["availableBalance"] == {
        "currencyCode": "USD",
        "units": "50",
        "nanos": 0,
    }


def test_top_up_same_key_returns_same_payment_intent(service: Service) -> None:
    token = service.token("bea@example.com")
    with service.client(token) as client:
        first = top_up(client, money_json("25.00"), key="same").json()
        second = top_up(client, money_json("25.00"), key="same").json()
        other_amount = top_up(client, money_json("30.00"), key="same")

    assert second["stripePaymentIntentId"] == first["stripePaymentIntentId"]
    assert (
        second["transaction"]["transactionId"] == first["transaction"]["transactionId"]
    )
    assert other_amount.status_code == 409
    assert other_amount.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    _balance, entries = account_state(service, "bea@example.com")
    assert len(entries) == 1


def test_top_up_creates_customer_once(service: Service) -> None:
    token = service.token("cal@example.com")
    with service.client(token) as client:
        top_up(client, money_json("10.00"), key="a")
        top_up(client, money_json("10.00"), key="b")
    with transaction(service.services.sessions) as session:
        account = session.query(Account).filter_by(email="cal@example.com").one()
        customer = account.stripe_customer_id
    assert customer is not None and customer.startswith("cus_")


@pytest.mark.parametrize(
    ("amount", "key", "field"),
    [
        (money_json("9.99"), "k", "amount"),
        (money_json("10000.01"), "k", "amount"),
        ({"currencyCode": "USD", "units": "10", "nanos": 1_000_000}, "k", "amount"),
        ({"currencyCode": "USD", "units": 50.0}, "k", "amount.units"),
        ({"currencyCode": "EUR", "units": "50"}, "k", "amount.currencyCode"),
        ({"currencyCode": "ZZZ", "units": "50"}, "k", "amount.currencyCode"),
        ({"currencyCode": "USD", "units": "50", "cents": 1}, "k", "amount.cents"),
        (money_json("50.00"), None, "Idempotency-Key"),
    ],
)
def test_top_up_bad_input_names_field(
    service: Service, amount: dict[str, Any], key: str | None, field: str
) -> None:
    token = service.token("dot@example.com")
    with service.client(token) as client:
        response = top_up(client, amount, key=key)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert response.json()["error"]["message"].startswith(field), response.json()
    with transaction(service.services.sessions) as session:
        assert session.query(Account).filter_by(email="dot@example.com").count() == 0


def test_top_up_declined_card_fails_with_reason(service: Service) -> None:
    token = service.token("eli@example.com")
    with service.client(token) as client:
        body = top_up(client, money_json("20.00")).json()
        confirmed = confirm_with_card(service, body, "4000000000000002")
        entry = wait_for_status(client, body["transaction"]["transactionId"])

    assert confirmed["error"]["decline_code"] == "generic_decline"
    assert entry["status"] == "FAILED"
    assert entry["failureCode"] == "generic_decline"
    assert entry["failureMessage"]
    balance, _entries = account_state(service, "eli@example.com")
    assert balance == 0


def test_top_up_server_confirm_decline_is_reported(service: Service) -> None:
    token = service.token("fox@example.com")
    with service.client(token) as client:
        response = top_up(
            client,
            money_json("20.00"),
            paymentMethodId="pm_card_chargeDeclinedInsufficientFunds",
        )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is False
    assert body["clientSecret"] is None
    assert body["transaction"]["status"] == "FAILED"
    assert body["transaction"]["failureCode"] == "insufficient_funds"


def test_payments_disabled_keeps_debits(bare_service: Service) -> None:
    from prepay.api.app import create_app
    from tests.conftest import ServerThread, free_port, service_settings
    from tests.service.helpers import credit

    credit(bare_service, "gus@example.com", "10.00")
    settings = service_settings(
        bare_service.settings.database_url,
        bare_service.simulator.url,
        "whsec_x",
        STRIPE_ENABLED="false",
    )
    app = create_app(settings)
    port = free_port()
    user = bare_service.token("gus@example.com")
    runner = bare_service.token("runner@example.com", "service")
    with ServerThread(app, port):
        off = Service(
            f"http://127.0.0.1:{port}",
            settings,
            app.state.services,
            bare_service.simulator,
        )
        with off.client(user) as client:
            refused = top_up(client, money_json("20.00"))
            config = client.get("/v1/billing/config").json()
        with off.client(runner) as client:
            spent = client.post(
                "/v1/billing/debits",
                json={
                    "userEmail": "gus@example.com",
                    "amount": money_json("1.00"),
                    "idempotencyKey": "t",
                },
            )
    app.state.services.engine.dispose()

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "PAYMENTS_DISABLED"
    assert config["paymentsEnabled"] is False
    assert spent.status_code == 200, spent.text
    balance, _entries = account_state(bare_service, "gus@example.com")
    assert balance == usd("9.00").nanos


def test_old_unpaid_top_ups_do_not_block(service: Service) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from prepay.ledger.models import LedgerEntry, utcnow
    from prepay.payments import MAX_PENDING_TOPUPS, PENDING_WINDOW

    token = service.token("hal@example.com")
    with service.client(token) as client:
        for n in range(MAX_PENDING_TOPUPS):
            assert (
                top_up(client, money_json("10.00"), key=f"old-{n}").status_code == 200
            )
        blocked = top_up(client, money_json("10.00"), key="blocked")
        with transaction(service.services.sessions) as session:
            session.execute(
                update(LedgerEntry).values(
                    created_at=utcnow() - PENDING_WINDOW - timedelta(minutes=1)
                )
            )
        allowed = top_up(client, money_json("10.00"), key="after-an-hour")

    assert blocked.status_code == 429
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["transaction"]["status"] == "PENDING"


def test_top_up_bad_payment_method_is_400(service: Service) -> None:
    token = service.token("ida@example.com")
    with service.client(token) as client:
        malformed = top_up(client, money_json("20.00"), key="a", paymentMethodId="x")
        unknown = top_up(
            client, money_json("20.00"), key="b", paymentMethodId="pm_doesnotexist"
        )
        same_key = top_up(client, money_json("20.00"), key="b")

    assert malformed.status_code == 400
    assert malformed.json()["error"]["message"].startswith("paymentMethodId")
    assert unknown.status_code == 400, unknown.text
    assert unknown.json()["error"]["message"].startswith("paymentMethodId")
    assert same_key.status_code == 409
    assert same_key.json()["error"]["code"] == "ALREADY_EXISTS"
    _balance, entries = account_state(service, "ida@example.com")
    assert [entry.status for entry in entries] == ["CANCELED"]


def test_top_up_replay_after_completion(service: Service) -> None:
    token = service.token("jo@example.com")
    with service.client(token) as client:
        body = top_up(client, money_json("10.00"), key="paid").json()
        confirm_with_card(service, body, "4242424242424242")
        wait_for_status(client, body["transaction"]["transactionId"])
        again = top_up(client, money_json("10.00"), key="paid")

    assert again.status_code == 200
    assert again.json()["message"] == "top-up already completed"
    assert again.json()["clientSecret"] is None
    assert again.json()["stripePaymentIntentId"] == body["stripePaymentIntentId"]
    assert again.json()["transaction"]["status"] == "COMPLETED"
