"""The balance of a restricted account, of one with money on hold, and with
payments switched off."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.billing_page import SUCCEEDS, BillingPage
from tests.conftest import Service
from tests.service.stripe_objects import (
    charge,
    completed_topup,
    dispute,
    new_dispute_id,
    send,
    spend,
)

pytestmark = pytest.mark.browser


def test_restricted_account_banner(service: Service, page: Page) -> None:
    email = "rex@example.com"
    topup = completed_topup(service, email, "10.00")
    assert spend(service, email, "9.50").status_code == 200
    send(service, "charge.refunded", charge(topup, "10.00"))

    billing = BillingPage.sign_in(page, service, email)

    banner = page.get_by_role("region", name="Your account is restricted")
    expect(banner).to_be_visible()
    expect(billing.balance).to_have_text("-$9.50")
    expect(banner).to_contain_text("$10.00 was refunded to your card")
    expect(banner).to_contain_text("Add at least $9.50 to restore it.")
    expect(banner).to_contain_text("The smallest top-up is $10.00.")
    banner.get_by_role("button", name="Add $10.00").click()
    expect(billing.dialog).to_be_visible()
    expect(billing.dialog.get_by_label("Other amount")).to_have_value("10")
    billing.fill_card(SUCCEEDS)
    billing.pay_button.click()
    billing.expect_outcome("Payment complete")
    expect(billing.balance).to_have_text("$0.50")
    expect(banner).to_be_hidden()


def test_held_amount_shown_apart(service: Service, page: Page) -> None:
    email = "dora@example.com"
    topup = completed_topup(service, email, "50.00")
    opened = dispute(topup, "needs_response", "20.00", new_dispute_id())
    send(service, "charge.dispute.created", opened)

    billing = BillingPage.sign_in(page, service, email)

    expect(billing.balance).to_have_text("$30.00")
    held = page.locator("#balance-held")
    expect(held).to_contain_text("On hold: $20.00")
    expect(held).to_contain_text("disputed payment")
    expect(billing.history_rows.nth(0)).to_contain_text("Open")
    expect(billing.history_rows.nth(0)).to_contain_text("on hold")
    expect(billing.history_rows.nth(1)).to_contain_text("Disputed: under review")


def test_payments_off_keeps_balance_and_history(
    payments_off_service: Service, page: Page
) -> None:
    email = "pat@example.com"
    completed_topup(payments_off_service, email, "50.00")
    assert spend(payments_off_service, email, "1.25").status_code == 200

    billing = BillingPage.sign_in(page, payments_off_service, email)

    notice = page.get_by_role("region", name="Adding funds is paused")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Your balance and history below are up to date")
    expect(page.get_by_role("button", name="Add funds", exact=True)).to_be_hidden()
    expect(billing.balance).to_have_text("$48.75")
    expect(billing.history_rows).to_have_count(2)
    expect(billing.history_rows.nth(0)).to_contain_text("-$1.25")
