"""A screenshot of the billing page after a month of use, for the docs.

The test always takes the screenshot. It replaces docs/billing-page.png only
when UPDATE_SCREENSHOTS=1, so an ordinary test run leaves the docs alone.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from prepay.db import transaction
from prepay.ledger.models import LedgerEntry, utcnow
from tests.browser.billing_page import SUCCEEDS, BillingPage
from tests.conftest import Service
from tests.service.helpers import credit, money_json

pytestmark = pytest.mark.browser

DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "billing-page.png"
# (days ago, cost) of the tasks run since the first top-up, oldest first.
TASKS = [
    (26, "2.40"), (25, "0.85"), (23, "3.10"), (22, "1.25"), (20, "4.80"),
    (19, "0.42"), (17, "2.05"), (15, "3.60"), (14, "1.15"), (12, "2.75"),
    (10, "0.95"), (9, "5.20"), (7, "1.80"), (6, "2.30"), (4, "3.45"),
    (3, "0.60"), (2, "1.90"), (1, "2.15"), (0, "0.00042"),
]  # fmt: skip
DESCRIPTIONS = ["Code check of plan", "Egress width review", "Fire rating lookup"]


def _backdate(service: Service, entry_id: str, days_ago: int) -> None:
    when = utcnow() - timedelta(days=days_ago, hours=2)
    with transaction(service.services.sessions) as session:
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.id == entry_id)
            .values(created_at=when, completed_at=when)
        )


def _run_task(service: Service, email: str, cost: str, number: int) -> str:
    token = service.token("runner@example.com", "service")
    body = {
        "userEmail": email,
        "amount": money_json(cost),
        "idempotencyKey": "task-" + secrets.token_hex(6),
        "description": f"{DESCRIPTIONS[number % 3]} {number + 101}",
    }
    with service.client(token) as client:
        response = client.post("/v1/billing/debits", json=body)
    assert response.status_code == 200, response.text
    transaction_id: str = response.json()["transaction"]["transactionId"]
    return transaction_id


def test_screenshot_of_billing_page(
    service: Service, page: Page, tmp_path: Path
) -> None:
    email = "ada@example.com"
    first = credit(service, email, "100.00")
    _backdate(service, first.id, 27)
    for number, (days_ago, cost) in enumerate(TASKS):
        _backdate(service, _run_task(service, email, cost, number), days_ago)

    billing = BillingPage.sign_in(page, service, email)
    billing.pay("$50", SUCCEEDS)
    billing.expect_outcome("Payment complete")
    page.keyboard.press("Escape")
    expect(billing.balance).to_have_text("$109.27958")
    expect(page.locator("#spending-chart")).to_have_js_property("complete", True)

    update_docs = os.environ.get("UPDATE_SCREENSHOTS") == "1"
    path = DOCS_PNG if update_docs else tmp_path / "billing-page.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")
