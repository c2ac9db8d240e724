"""Debits through the HTTP API: exactly once, never below zero, clear errors."""

import pytest

from tests.conftest import Service
from tests.service.helpers import account_state, credit, money_json, usd


def debit_body(email: str, amount: object, key: str = "task-1") -> dict[str, object]:
    return {
        "userEmail": email,
        "amount": amount,
        "idempotencyKey": key,
        "description": "Code check of plan 12",
        "metadata": {"taskId": "task-1"},
    }


def test_debit_same_key_twice_charges_once(bare_service: Service) -> None:
    credit(bare_service, "ada@example.com", "50.00")
    token = bare_service.token("runner@example.com", "service")

    with bare_service.client(token) as client:
        first = client.post(
            "/v1/billing/debits",
            json=debit_body("ada@example.com", money_json("12.34")),
        )
        second = client.post(
            "/v1/billing/debits",
            json=debit_body("ada@example.com", money_json("12.34")),
        )

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert first.json()["replayed"] is False
    assert second.json()["replayed"] is True
    assert (
        second.json()["transaction"]["transactionId"]
        == first.json()["transaction"]["transactionId"]
    )
    balance, entries = account_state(bare_service, "ada@example.com")
    assert balance == usd("37.66").nanos
    assert [e.type for e in entries].count("DEBIT") == 1
    assert first.json()["transaction"]["balanceAfter"] == {
        "currencyCode": "USD",
        "units": "37",
        "nanos": 660000000,
    }


def test_debit_same_key_other_amount_is_mismatch(bare_service: Service) -> None:
    credit(bare_service, "bob@example.com", "20.00")
    token = bare_service.token("runner@example.com", "service")

    with bare_service.client(token) as client:
        client.post(
            "/v1/billing/debits", json=debit_body("bob@example.com", money_json("1.00"))
        )
        again = client.post(
            "/v1/billing/debits", json=debit_body("bob@example.com", money_json("2.00"))
        )

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    balance, _entries = account_state(bare_service, "bob@example.com")
    assert balance == usd("19.00").nanos


def test_debit_not_covered_writes_nothing(bare_service: Service) -> None:
    credit(bare_service, "cy@example.com", "10.00")
    token = bare_service.token("runner@example.com", "service")

    with bare_service.client(token) as client:
        response = client.post(
            "/v1/billing/debits", json=debit_body("cy@example.com", money_json("10.01"))
        )

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    balance, entries = account_state(bare_service, "cy@example.com")
    assert balance == usd("10.00").nanos
    assert [e.type for e in entries] == ["CREDIT"]


def test_debit_sub_cent_cost_is_exact(bare_service: Service) -> None:
    credit(bare_service, "dee@example.com", "10.00")
    token = bare_service.token("runner@example.com", "service")
    cost = {"currencyCode": "USD", "units": "0", "nanos": 420000}

    with bare_service.client(token) as client:
        for task in range(3):
            response = client.post(
                "/v1/billing/debits",
                json=debit_body("dee@example.com", cost, f"t{task}"),
            )
            assert response.status_code == 200, response.text

    balance, _entries = account_state(bare_service, "dee@example.com")
    assert balance == usd("10.00").nanos - 3 * 420000


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ({"currencyCode": "USD", "units": 1.5, "nanos": 0}, "amount.units"),
        ({"currencyCode": "USD", "units": "1", "nanos": 0.5}, "amount.nanos"),
        ({"currencyCode": "USD", "units": "1.5"}, "amount.units"),
        ({"currencyCode": "XYZ", "units": "1"}, "amount.currencyCode"),
        ({"currencyCode": "USD", "units": "1", "nanos": -5}, "amount.nanos"),
        ({"currencyCode": "USD", "units": "1", "nanos": 1_000_000_000}, "amount.nanos"),
        ({"currencyCode": "EUR", "units": "1"}, "amount.currencyCode"),
        ({"currencyCode": "USD", "units": "0"}, "amount"),
        ("12.34", "amount"),
    ],
)
def test_debit_bad_money_names_field(
    bare_service: Service, amount: object, field: str
) -> None:
    credit(bare_service, "eve@example.com", "10.00")
    token = bare_service.token("runner@example.com", "service")

    with bare_service.client(token) as client:
        response = client.post(
            "/v1/billing/debits", json=debit_body("eve@example.com", amount)
        )

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["message"].startswith(field), error["message"]
    balance, entries = account_state(bare_service, "eve@example.com")
    assert balance == usd("10.00").nanos
    assert len(entries) == 1


def test_debit_needs_service_token(bare_service: Service) -> None:
    credit(bare_service, "fay@example.com", "10.00")
    user_token = bare_service.token("fay@example.com", "user")
    body = debit_body("fay@example.com", money_json("1.00"))

    with bare_service.client(user_token) as client:
        as_user = client.post("/v1/billing/debits", json=body)
    with bare_service.client("prepay_not-a-real-token") as client:
        bad_token = client.post("/v1/billing/debits", json=body)
    with bare_service.client() as client:
        no_token = client.post("/v1/billing/debits", json=body)

    assert as_user.status_code == 403
    assert as_user.json()["error"]["code"] == "PERMISSION_DENIED"
    assert bad_token.status_code == 401
    assert no_token.status_code == 401
    balance, _entries = account_state(bare_service, "fay@example.com")
    assert balance == usd("10.00").nanos
