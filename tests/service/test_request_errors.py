"""Malformed requests get errors that name what to fix, in the client's terms."""

import pytest

from prepay.csv_export import escape_cell
from tests.conftest import Service
from tests.service.helpers import money_json


def test_non_json_body_says_so(bare_service: Service) -> None:
    token = bare_service.token("runner@example.com", "service")
    with bare_service.client(token) as client:
        broken = client.post(
            "/v1/billing/debits",
            content=b'{"userEmail": ',
            headers={"Content-Type": "application/json"},
        )
        as_text = client.post(
            "/v1/billing/debits",
            content=b'{"userEmail": "a@example.com"}',
            headers={"Content-Type": "text/plain"},
        )

    assert broken.status_code == 400
    assert broken.json()["error"]["message"].startswith("body: is not valid JSON")
    assert as_text.status_code == 400
    assert "Content-Type: application/json" in as_text.json()["error"]["message"]


def test_header_named_as_sent(bare_service: Service) -> None:
    with bare_service.client(bare_service.token("ann@example.com")) as client:
        response = client.post(
            "/v1/billing/top-up",
            json={"amount": money_json("20.00")},
            headers={"Idempotency-Key": "k" * 300},
        )

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Idempotency-Key:")


@pytest.mark.parametrize(
    "email",
    [
        "\x1b[2j\x1b[31mowned@example.com",
        "a\u202eb@example.com",
        "a\u200bb@example.com",
    ],
)
def test_email_with_control_characters_rejected(
    bare_service: Service, email: str
) -> None:
    token = bare_service.token("runner@example.com", "service")
    body = {"userEmail": email, "amount": money_json("1.00"), "idempotencyKey": "k"}
    with bare_service.client(token) as client:
        response = client.post("/v1/billing/debits", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "userEmail: contains control or invisible characters"
    )


@pytest.mark.parametrize(
    "cell", [" =1+1", "\u200f=1+1", "\ufeff=1+1", "\uff1d1+1", "\u3000@SUM(A1)"]
)
def test_csv_formula_behind_filler_escaped(cell: str) -> None:
    assert escape_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "task\x00one"),
        ("idempotencyKey", "key\x00"),
        ("metadata", {"taskId": "a\x00b"}),
        ("metadata", {"task\x00Id": "a"}),
    ],
)
def test_nul_in_debit_is_400(bare_service: Service, field: str, value: object) -> None:
    from tests.service.helpers import credit

    credit(bare_service, "nul@example.com", "10.00")
    body: dict[str, object] = {
        "userEmail": "nul@example.com",
        "amount": money_json("1.00"),
        "idempotencyKey": "k",
        field: value,
    }
    token = bare_service.token("runner@example.com", "service")
    with bare_service.client(token) as client:
        response = client.post("/v1/billing/debits", json=body)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(field)
    assert "NUL" in response.json()["error"]["message"]


def test_nul_in_url_is_400(bare_service: Service) -> None:
    with bare_service.client(bare_service.token("ann@example.com")) as client:
        in_path = client.get("/v1/billing/transactions/txn_%00x")
        in_query = client.get("/v1/billing/transactions?pageToken=a%00b")

    assert in_path.status_code == 400
    assert in_query.status_code == 400
    assert in_query.json()["error"]["code"] == "INVALID_ARGUMENT"


def test_nanos_as_string_accepted(bare_service: Service) -> None:
    from tests.service.helpers import credit

    credit(bare_service, "str@example.com", "10.00")
    amount = {"currencyCode": "USD", "units": "1", "nanos": "250000000"}
    body = {"userEmail": "str@example.com", "amount": amount, "idempotencyKey": "k"}
    token = bare_service.token("runner@example.com", "service")
    with bare_service.client(token) as client:
        response = client.post("/v1/billing/debits", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["transaction"]["balanceAfter"]["units"] == "8"
