"""The history: newest first, paged, filtered, escaped, and downloadable as CSV."""

import csv
import io
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.billing_page import BillingPage
from tests.conftest import Service
from tests.service.helpers import (
    credit,
    money_json,
    open_pending_topup,
    payment_intent,
)
from tests.service.stripe_objects import (
    charge,
    completed_topup,
    dispute,
    new_dispute_id,
    send,
)

pytestmark = pytest.mark.browser


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


def test_history_pages_newest_first(service: Service, page: Page) -> None:
    email = "ivy@example.com"
    credit(service, email, "100.00")
    for number in range(1, 26):
        _debit(service, email, "0.10", f"Code check {number}")

    billing = BillingPage.sign_in(page, service, email)
    rows = billing.history_rows
    older = page.get_by_role("button", name="Older")
    newer = page.get_by_role("button", name="Newer")

    expect(rows).to_have_count(20)
    expect(rows.first).to_contain_text("Code check 25")
    expect(rows.first).to_contain_text("-$0.10")
    expect(rows.first).to_contain_text("$97.50")
    expect(newer).to_be_disabled()
    older.click()
    expect(page.locator("#history-page")).to_have_text("Page 2")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("Code check 5")
    expect(rows.last).to_contain_text("Top-up")
    expect(rows.last).to_contain_text("+$100.00")
    expect(older).to_be_disabled()
    newer.click()
    expect(rows.first).to_contain_text("Code check 25")


def test_history_filters_by_type_and_status(service: Service, page: Page) -> None:
    email = "flo@example.com"
    credit(service, email, "50.00")
    _debit(service, email, "1.00", "Code check")

    billing = BillingPage.sign_in(page, service, email)
    billing.page.get_by_label("Type").select_option(label="Top-ups")

    expect(billing.history_rows).to_have_count(1)
    expect(billing.history_rows.first).to_contain_text("Top-up")
    csv_link = page.get_by_role("link", name="Download CSV")
    expect(csv_link).to_have_attribute(
        "href", "/v1/billing/transactions.csv?type=CREDIT"
    )
    billing.page.get_by_label("Status").select_option(label="Failed")
    expect(billing.history_rows).to_have_count(0)
    expect(page.locator("#history-empty")).to_have_text(
        "No transactions match these filters."
    )
    expect(csv_link).to_have_attribute(
        "href", "/v1/billing/transactions.csv?type=CREDIT&status=FAILED"
    )


def test_history_shows_markup_as_text(service: Service, page: Page) -> None:
    email = "eve@example.com"
    credit(service, email, "50.00")
    hostile = '<img src=x onerror="document.title=1">&amp;'
    _debit(service, email, "1.00", hostile)

    billing = BillingPage.sign_in(page, service, email)

    expect(billing.history_rows.first.locator(".description .text")).to_have_text(
        hostile
    )
    expect(page.locator("#history-table img")).to_have_count(0)
    expect(page).to_have_title("Billing")


def test_csv_download_matches_filters(service: Service, page: Page) -> None:
    email = "cas@example.com"
    credit(service, email, "50.00")
    _debit(service, email, "1.50", '=HYPERLINK("http://evil.example")')
    _debit(service, email, "0.00042", "Code check")

    billing = BillingPage.sign_in(page, service, email)
    page.get_by_label("Type").select_option(label="Tasks")
    expect(billing.history_rows).to_have_count(2)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    text = download.path().read_text(encoding="utf-8")

    assert download.suggested_filename.startswith("transactions-")
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["type"] for row in rows] == ["DEBIT", "DEBIT"]
    assert [row["amount"] for row in rows] == ["-0.00042", "-1.50"]
    assert rows[1]["description"] == '\'=HYPERLINK("http://evil.example")'


def test_topup_statuses_in_history(service: Service, page: Page) -> None:
    email = "tia@example.com"
    refunded = completed_topup(service, email, "30.00")
    send(service, "charge.refunded", charge(refunded, "5.00"))
    disputed = completed_topup(service, email, "20.00")
    dispute_id = new_dispute_id()
    send(
        service,
        "charge.dispute.created",
        dispute(disputed, "needs_response", "20.00", dispute_id),
    )
    send(
        service, "charge.dispute.closed", dispute(disputed, "lost", "20.00", dispute_id)
    )
    failed = open_pending_topup(service, email, "40.00")
    declined = {
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }
    body = payment_intent(
        failed, "requires_payment_method", last_payment_error=declined
    )
    send(service, "payment_intent.payment_failed", body)
    open_pending_topup(service, email, "25.00")

    billing = BillingPage.sign_in(page, service, email)
    rows = billing.history_rows

    expect(rows).to_have_count(6)
    expect(rows.nth(0)).to_contain_text("Pending")
    expect(rows.nth(0)).to_contain_text("Waiting for the payment")
    expect(rows.nth(1)).to_contain_text("Failed")
    expect(rows.nth(1)).to_contain_text("Not enough funds on the card")
    expect(rows.nth(2)).to_contain_text("Dispute")
    expect(rows.nth(2)).to_contain_text("Lost")
    expect(rows.nth(2)).to_contain_text("-$20.00")
    expect(rows.nth(3)).to_contain_text("Dispute lost")
    expect(rows.nth(3)).to_contain_text("+$20.00")
    expect(rows.nth(4)).to_contain_text("Refund")
    expect(rows.nth(4)).to_contain_text("-$5.00")
    expect(rows.nth(5)).to_contain_text("Refunded $5.00")
    expect(billing.balance).to_have_text("$25.00")
