"""The billing page's own data over HTTP: the CSV download and spending per day."""

import csv
import io
import secrets
import xml.etree.ElementTree as ET

from prepay.api.spending_chart import axis_top
from prepay.csv_export import HEADER
from tests.conftest import Service
from tests.service.helpers import credit, money_json, usd

SVG = "{http://www.w3.org/2000/svg}"


def _debit(service: Service, email: str, amount: str, description: str) -> None:
    token = service.token("runner@example.com", "service")
    body = {
        "userEmail": email,
        "amount": money_json(amount),
        "idempotencyKey": "task-" + secrets.token_hex(6),
        "description": description,
    }
    with service.client(token) as client:
        response = client.post("/v1/billing/debits", json=body)
    assert response.status_code == 200, response.text


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_download_escapes_and_filters(bare_service: Service) -> None:
    email = "csv@example.com"
    credit(bare_service, email, "50.00")
    _debit(bare_service, email, "1.50", '=HYPERLINK("http://evil.example")')
    _debit(bare_service, email, "0.00042", "Code check of plan 12")

    with bare_service.client(bare_service.token(email)) as client:
        everything = client.get("/v1/billing/transactions.csv")
        debits = client.get("/v1/billing/transactions.csv", params={"type": "DEBIT"})

    assert everything.status_code == 200, everything.text
    assert everything.headers["content-type"] == "text/csv; charset=utf-8"
    assert everything.headers["content-disposition"].startswith("attachment;")
    rows = _rows(everything.text)
    assert list(rows[0]) == list(HEADER)
    assert [row["type"] for row in rows] == ["DEBIT", "DEBIT", "CREDIT"]
    assert rows[0]["amount"] == "-0.00042"
    assert rows[1]["description"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[2]["amount"] == "50.00"
    assert [row["type"] for row in _rows(debits.text)] == ["DEBIT", "DEBIT"]


def test_csv_download_spans_many_pages(bare_service: Service) -> None:
    email = "pages@example.com"
    credit(bare_service, email, "200.00")
    for number in range(105):
        _debit(bare_service, email, "0.01", f"task {number}")

    with bare_service.client(bare_service.token(email)) as client:
        response = client.get("/v1/billing/transactions.csv")

    rows = _rows(response.text)
    assert len(rows) == 106
    assert len({row["transaction_id"] for row in rows}) == 106


def test_csv_download_rejects_unknown_filter(bare_service: Service) -> None:
    with bare_service.client(bare_service.token("x@example.com")) as client:
        response = client.get("/v1/billing/transactions.csv", params={"type": "GIFT"})

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "type"


def test_csv_download_needs_sign_in(bare_service: Service) -> None:
    with bare_service.client() as client:
        response = client.get("/v1/billing/transactions.csv")

    assert response.status_code == 401


def test_spending_sums_today(bare_service: Service) -> None:
    email = "chart@example.com"
    credit(bare_service, email, "50.00")
    _debit(bare_service, email, "1.25", "Code check")
    _debit(bare_service, email, "0.00042", "Code check")

    with bare_service.client(bare_service.token(email)) as client:
        response = client.get("/v1/billing/spending", params={"timeZone": "UTC"})

    assert response.status_code == 200, response.text
    data = response.json()
    assert len(data["days"]) == 30
    today = data["days"][-1]
    assert today["spent"] == money_json("1.25042")
    assert today["added"] == money_json("50.00")
    assert today["topUps"] == 1
    assert data["totalSpent"] == money_json("1.25042")
    assert data["timeZone"] == "UTC"


def test_spending_of_new_user_is_zero(bare_service: Service) -> None:
    with bare_service.client(bare_service.token("new@example.com")) as client:
        response = client.get("/v1/billing/spending")

    assert response.status_code == 200, response.text
    assert response.json()["totalSpent"] == money_json("0")


def test_spending_rejects_unknown_zone(bare_service: Service) -> None:
    with bare_service.client(bare_service.token("x@example.com")) as client:
        response = client.get("/v1/billing/spending", params={"timeZone": "Mars/Base"})

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "timeZone"


def test_spending_chart_is_svg(bare_service: Service) -> None:
    email = "svg@example.com"
    credit(bare_service, email, "50.00")
    _debit(bare_service, email, "3.00", "Code check")

    with bare_service.client(bare_service.token(email)) as client:
        response = client.get(
            "/billing/spending.svg", headers={"Accept-Language": "de-DE,de;q=0.9"}
        )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    bars = [
        rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None
    ]
    assert len(bars) == 1
    assert "3,00" in (bars[0].findtext(f"{SVG}title") or "")
    markers = [
        path for path in root.iter(f"{SVG}path") if path.find(f"{SVG}title") is not None
    ]
    assert len(markers) == 1


def test_axis_top_rounds_up() -> None:
    assert axis_top(0) == usd("1").nanos
    assert axis_top(usd("3.25").nanos) == usd("4").nanos
    assert axis_top(usd("5.20").nanos) == usd("6").nanos
    assert axis_top(usd("8.01").nanos) == usd("10").nanos
    assert axis_top(usd("10").nanos) == usd("10").nanos
    assert axis_top(usd("11").nanos) == usd("12").nanos
    assert axis_top(usd("0.00042").nanos) == usd("0.0005").nanos
    assert axis_top(1) == 1
