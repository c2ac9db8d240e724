"""GET /metrics: request, debit and webhook counts, and unreconciled accounts.

Counters are shared by every app in the test process, so each test compares
a scrape before its requests with one after.
"""

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from prepay.db import transaction
from prepay.ledger.models import Account
from tests.conftest import Service
from tests.service.helpers import credit, deliver, event_body, money_json, sign

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(service: Service) -> Samples:
    with service.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def increase(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def debit_once(service: Service, token: str, key: str, amount: str) -> int:
    with service.client(token) as client:
        response = client.post(
            "/v1/billing/debits",
            json={
                "userEmail": "ada@example.com",
                "amount": money_json(amount),
                "idempotencyKey": key,
            },
        )
    return response.status_code


def test_metrics_count_debits_by_outcome(bare_service: Service) -> None:
    credit(bare_service, "ada@example.com", "1.00")
    token = bare_service.token("runner@example.com", "service")
    before = scrape(bare_service)

    assert debit_once(bare_service, token, "task-1", "0.40") == 200
    assert debit_once(bare_service, token, "task-1", "0.40") == 200
    assert debit_once(bare_service, token, "task-2", "0.70") == 402

    after = scrape(bare_service)
    debits = "prepay_debits_total"
    assert increase(before, after, debits, outcome="completed") == 1
    assert increase(before, after, debits, outcome="replayed") == 1
    assert increase(before, after, debits, outcome="insufficient_funds") == 1
    requests = "prepay_http_requests_total"
    route = {"method": "POST", "route": "/v1/billing/debits"}
    assert increase(before, after, requests, **route, status="200") == 2
    assert increase(before, after, requests, **route, status="402") == 1
    latency = "prepay_http_request_duration_seconds_count"
    assert increase(before, after, latency, **route) == 3


def test_metrics_count_webhook_events(bare_service: Service) -> None:
    before = scrape(bare_service)
    body = event_body("customer.created", {"id": "cus_1", "object": "customer"})

    assert deliver(bare_service, body).status_code == 200
    assert deliver(bare_service, body).status_code == 200
    with bare_service.client() as client:
        forged = client.post(
            "/v1/billing/webhook",
            content=body.encode(),
            headers={"Stripe-Signature": sign(body, "whsec_not_ours")},
        )
    assert forged.status_code == 400

    after = scrape(bare_service)
    events = "prepay_webhook_events_total"
    assert (
        increase(before, after, events, type="customer.created", status="ignored") == 1
    )
    assert (
        increase(before, after, events, type="customer.created", status="duplicate")
        == 1
    )
    assert increase(before, after, events, type="unverified", status="rejected") == 1


def test_metrics_gauge_unreconciled_accounts(bare_service: Service) -> None:
    credit(bare_service, "ada@example.com", "5.00")
    credit(bare_service, "bob@example.com", "5.00")
    with transaction(bare_service.services.sessions) as session:
        session.execute(
            update(Account)
            .where(Account.email == "bob@example.com")
            .values(balance_nanos=Account.balance_nanos + 1)
        )

    samples = scrape(bare_service)

    assert value(samples, "prepay_ledger_mismatched_accounts") == 1
    assert value(samples, "prepay_ledger_checked_timestamp_seconds") > 0
    assert value(samples, "process_resident_memory_bytes") > 0


def test_metrics_label_unmatched_paths(bare_service: Service) -> None:
    before = scrape(bare_service)

    with bare_service.client() as client:
        for index in range(3):
            assert client.get(f"/no-such-page-{index}").status_code == 404

    after = scrape(bare_service)
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert increase(before, after, "prepay_http_requests_total", **unmatched) == 3
    routes = {dict(labels).get("route") for _name, labels in after}
    assert not any(str(route).startswith("/no-such-page") for route in routes)


def test_metrics_name_money_errors_invalid(bare_service: Service) -> None:
    credit(bare_service, "ada@example.com", "1.00")
    token = bare_service.token("runner@example.com", "service")
    before = scrape(bare_service)

    with bare_service.client(token) as client:
        response = client.post(
            "/v1/billing/debits",
            json={
                "userEmail": "ada@example.com",
                "amount": {"currencyCode": "USD", "units": "1", "nanos": -5},
                "idempotencyKey": "task-1",
            },
        )

    assert response.status_code == 400
    after = scrape(bare_service)
    debits = "prepay_debits_total"
    assert increase(before, after, debits, outcome="invalid_argument") == 1
    assert increase(before, after, debits, outcome="internal") == 0
