"""Top-ups per account: a request rate limit and a bound on unpaid top-ups."""

import httpx

from prepay.payments import MAX_PENDING_TOPUPS
from tests.conftest import Service
from tests.service.helpers import account_state, money_json

RATE_LIMIT = 10


def top_up(client: httpx.Client, key: str) -> httpx.Response:
    return client.post(
        "/v1/billing/top-up",
        json={"amount": money_json("20.00")},
        headers={"Idempotency-Key": key},
    )


def test_top_up_requests_rate_limited(service: Service) -> None:
    with service.client(service.token("ann@example.com")) as client:
        # Replays of one key create nothing new, but each one calls Stripe.
        allowed = [top_up(client, "same-key") for _ in range(RATE_LIMIT)]
        limited = top_up(client, "same-key")
    with service.client(service.token("ben@example.com")) as client:
        other_account = top_up(client, "ben-key")

    assert [r.status_code for r in allowed] == [200] * RATE_LIMIT
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert f"at most {RATE_LIMIT} every 600 seconds" in error["message"]
    assert 1 <= error["details"]["retryAfterSeconds"] <= 600
    assert limited.headers["retry-after"] == str(error["details"]["retryAfterSeconds"])
    assert other_account.status_code == 200, other_account.text


def test_pending_top_ups_bounded(service: Service) -> None:
    with service.client(service.token("cat@example.com")) as client:
        opened = [top_up(client, f"key-{n}") for n in range(MAX_PENDING_TOPUPS)]
        refused = top_up(client, "one-too-many")

    assert [r.status_code for r in opened] == [200] * MAX_PENDING_TOPUPS
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert "waiting for payment" in refused.json()["error"]["message"]
    _balance, entries = account_state(service, "cat@example.com")
    assert len(entries) == MAX_PENDING_TOPUPS
    assert {entry.status for entry in entries} == {"PENDING"}


def test_malformed_requests_do_not_count(service: Service) -> None:
    bad = {"amount": {"currencyCode": "USD", "units": 50.0}}
    with service.client(service.token("dan@example.com")) as client:
        rejected = [
            client.post(
                "/v1/billing/top-up", json=bad, headers={"Idempotency-Key": "x"}
            )
            for _ in range(RATE_LIMIT + 2)
        ]
        valid = top_up(client, "after-mistakes")

    assert {r.status_code for r in rejected} == {400}
    assert valid.status_code == 200, valid.text
