"""POST /v1/billing/adjustments: manual credits and debits by an admin."""

from typing import Any

import pytest

from tests.conftest import Service
from tests.service.helpers import account_state, credit, money_json, usd


def adjustment(email: str, amount: str, **fields: Any) -> dict[str, Any]:
    body = {"userEmail": email, "amount": money_json(amount), "reason": "goodwill"}
    return body | fields


def test_admin_adjustment_recorded_with_who_and_why(bare_service: Service) -> None:
    credit(bare_service, "ada@example.com", "20.00")
    token = bare_service.token("grace@example.com", "admin")

    with bare_service.client(token) as client:
        response = client.post(
            "/v1/billing/adjustments",
            json=adjustment(
                "Ada@Example.com", "-2.50", reason="task ran twice on our side"
            ),
        )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["replayed"] is False
    assert body["transaction"]["type"] == "ADJUSTMENT"
    assert body["transaction"]["amount"] == money_json("-2.50")
    assert body["transaction"]["balanceAfter"] == money_json("17.50")
    assert body["transaction"]["description"] == "task ran twice on our side"
    balance, entries = account_state(bare_service, "ada@example.com")
    assert balance == usd("17.50").nanos
    [entry] = [e for e in entries if e.type == "ADJUSTMENT"]
    assert entry.actor == "grace@example.com"
    assert entry.metadata_ == {"source": "api"}


@pytest.mark.parametrize("scope", ["user", "service"])
def test_adjustment_needs_admin_token(bare_service: Service, scope: str) -> None:
    credit(bare_service, "bob@example.com", "20.00")
    token = bare_service.token("bob@example.com", scope)

    with bare_service.client(token) as client:
        response = client.post(
            "/v1/billing/adjustments", json=adjustment("bob@example.com", "100.00")
        )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    balance, _entries = account_state(bare_service, "bob@example.com")
    assert balance == usd("20.00").nanos


def test_adjustment_without_token_is_401(bare_service: Service) -> None:
    with bare_service.client() as client:
        response = client.post(
            "/v1/billing/adjustments", json=adjustment("bob@example.com", "1.00")
        )

    assert response.status_code == 401


def test_negative_adjustment_not_covered(bare_service: Service) -> None:
    credit(bare_service, "cy@example.com", "10.00")
    token = bare_service.token("grace@example.com", "admin")

    with bare_service.client(token) as client:
        rejected = client.post(
            "/v1/billing/adjustments", json=adjustment("cy@example.com", "-10.01")
        )
        allowed = client.post(
            "/v1/billing/adjustments",
            json=adjustment("cy@example.com", "-10.01", allowNegative=True),
        )
        profile_token = bare_service.token("cy@example.com")
        with bare_service.client(profile_token) as user:
            profile = user.get("/v1/billing/profile").json()

    assert rejected.status_code == 402
    assert rejected.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    assert allowed.status_code == 200, allowed.text
    assert profile["availableBalance"] == money_json("-0.01")
    assert profile["status"] == "RESTRICTED"
    balance, entries = account_state(bare_service, "cy@example.com")
    assert balance == usd("-0.01").nanos
    assert [e.type for e in entries].count("ADJUSTMENT") == 1


def test_adjustment_key_replays(bare_service: Service) -> None:
    credit(bare_service, "dee@example.com", "10.00")
    token = bare_service.token("grace@example.com", "admin")
    body = adjustment("dee@example.com", "3.00", idempotencyKey="ticket-12")

    with bare_service.client(token) as client:
        first = client.post("/v1/billing/adjustments", json=body)
        second = client.post("/v1/billing/adjustments", json=body)
        other = client.post(
            "/v1/billing/adjustments",
            json=body | {"amount": money_json("4.00")},
        )

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json()["replayed"] is True
    assert (
        second.json()["transaction"]["transactionId"]
        == first.json()["transaction"]["transactionId"]
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    balance, _entries = account_state(bare_service, "dee@example.com")
    assert balance == usd("13.00").nanos


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"reason": ""}, 400, "reason"),
        ({"reason": "   "}, 400, "reason"),
        ({"amount": money_json("0.00")}, 400, "amount"),
        ({"amount": money_json("1.00", "EUR")}, 400, "amount.currencyCode"),
        ({"amount": {"currencyCode": "USD", "units": 1.5}}, 400, "amount.units"),
        ({"userEmail": "nobody@example.com"}, 404, None),
    ],
)
def test_bad_adjustment_names_field(
    bare_service: Service,
    changes: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    credit(bare_service, "eve@example.com", "10.00")
    token = bare_service.token("grace@example.com", "admin")

    with bare_service.client(token) as client:
        response = client.post(
            "/v1/billing/adjustments",
            json=adjustment("eve@example.com", "1.00") | changes,
        )

    assert response.status_code == status, response.text
    if field is not None:
        # startswith: the validation handler names the member of a union
        # that failed last, as in "amount.units.str".
        assert response.json()["error"]["details"]["field"].startswith(field)
    balance, _entries = account_state(bare_service, "eve@example.com")
    assert balance == usd("10.00").nanos
