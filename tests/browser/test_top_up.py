"""Adding funds in the browser: the card form, Stripe.js, 3D Secure and the
webhook that credits the balance."""

import pytest
from playwright.sync_api import expect

from tests.browser.billing_page import (
    GENERIC_DECLINE,
    NEEDS_3DS,
    SUCCEEDS,
    BillingPage,
)

pytestmark = pytest.mark.browser


def test_top_up_50_shows_new_balance(billing: BillingPage) -> None:
    expect(billing.balance).to_have_text("$0.00")

    billing.pay("$50", SUCCEEDS)

    billing.expect_outcome("Payment complete")
    expect(billing.status).to_contain_text("$50.00 was added")
    expect(billing.balance).to_have_text("$50.00")
    expect(billing.history_rows.first).to_contain_text("Completed")


def test_top_up_with_3ds_completed(billing: BillingPage) -> None:
    billing.pay("$25", NEEDS_3DS)

    billing.complete_3ds()

    billing.expect_outcome("Payment complete")
    expect(billing.balance).to_have_text("$25.00")


def test_declined_card_keeps_balance(billing: BillingPage) -> None:
    billing.pay("$50", GENERIC_DECLINE)

    billing.expect_outcome("Payment declined")
    expect(billing.status).to_contain_text("declined the payment")
    expect(billing.status).to_contain_text("Try another card")
    expect(billing.balance).to_have_text("$0.00")
