"""Every way a payment can end has its own words, and none leaves the pay
button spinning."""

import pytest
from playwright.sync_api import Request, Route, expect

from tests.browser.billing_page import (
    GENERIC_DECLINE,
    NEEDS_3DS,
    SUCCEEDS,
    BillingPage,
    simulator_control,
)
from tests.service.helpers import account_state

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("card", "title", "words"),
    [
        (GENERIC_DECLINE, "Payment declined", "without giving a reason"),
        ("4000000000009995", "Not enough funds", "does not have enough funds"),
        ("4000000000009987", "Payment declined", "Your bank declined the payment."),
        ("4000000000009979", "Payment declined", "Your bank declined the payment."),
        ("4000000000000069", "Card expired", "Your card has expired."),
        ("4000000000000127", "Security code is incorrect", "security code (CVC)"),
        ("4000000000000119", "The bank could not process the payment", "Try again"),
        ("4000000000006975", "Payment declined", "reached its limit"),
    ],
)
def test_decline_shows_reason(
    billing: BillingPage, card: str, title: str, words: str
) -> None:
    billing.pay("$50", card)

    billing.expect_outcome(title)
    expect(billing.status).to_contain_text(words)
    expect(billing.status).to_contain_text("No money was taken")
    expect(billing.balance).to_have_text("$0.00")


def test_decline_then_other_card_succeeds(billing: BillingPage) -> None:
    billing.pay("$50", GENERIC_DECLINE)
    billing.expect_outcome("Payment declined")

    billing.fill_card(SUCCEEDS)
    billing.pay_button.click()

    billing.expect_outcome("Payment complete")
    expect(billing.balance).to_have_text("$50.00")
    billing.page.keyboard.press("Escape")
    expect(billing.history_rows).to_have_count(2)
    expect(billing.history_rows.nth(0)).to_contain_text("Completed")
    expect(billing.history_rows.nth(1)).to_contain_text("Failed")
    expect(billing.history_rows.nth(1)).to_contain_text("Declined by the bank")


def test_3ds_failed_keeps_balance(billing: BillingPage) -> None:
    billing.pay("$50", NEEDS_3DS)

    billing.complete_3ds("Fail authentication")

    billing.expect_outcome("Authentication failed")
    expect(billing.status).to_contain_text("no money was taken")
    expect(billing.balance).to_have_text("$0.00")


def test_3ds_closed_with_escape(billing: BillingPage) -> None:
    billing.pay("$50", NEEDS_3DS)
    challenge = billing.page.get_by_role("dialog", name="3D Secure test authentication")
    expect(challenge).to_be_visible()

    billing.page.keyboard.press("Escape")

    billing.expect_outcome("Authentication failed")
    expect(billing.dialog).to_be_visible()
    expect(billing.balance).to_have_text("$0.00")


def test_lost_response_retry_charges_once(billing: BillingPage) -> None:
    keys: list[str] = []

    def lose_first_response(route: Route, request: Request) -> None:
        keys.append(request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server creates the top-up...
            route.abort("connectionreset")  # ...but its response never arrives
        else:
            route.continue_()

    billing.page.route("**/v1/billing/top-up", lose_first_response)
    billing.pay("$50", SUCCEEDS)
    billing.expect_outcome("Connection problem")
    expect(billing.pay_button).to_have_text("Try again")

    billing.pay_button.click()

    billing.expect_outcome("Payment complete")
    expect(billing.balance).to_have_text("$50.00")
    assert len(keys) == 2
    assert keys[0] == keys[1]
    balance, entries = account_state(billing.service, billing.email)
    assert balance == 50_000_000_000
    assert [entry.type for entry in entries] == ["CREDIT"]


def test_lost_confirm_response_charges_once(billing: BillingPage) -> None:
    confirms: list[str] = []

    def lose_first_response(route: Route) -> None:
        confirms.append(route.request.url)
        if len(confirms) == 1:
            route.fetch()  # Stripe confirms the payment...
            route.abort("connectionreset")  # ...but the page never gets the response
        else:
            route.continue_()

    billing.page.route("**/v1/payment_intents/*/confirm", lose_first_response)
    billing.pay("$50", SUCCEEDS)
    billing.expect_outcome("Connection problem")

    billing.pay_button.click()

    billing.expect_outcome("Payment complete")
    expect(billing.balance).to_have_text("$50.00")
    assert len(confirms) == 1
    balance, _entries = account_state(billing.service, billing.email)
    assert balance == 50_000_000_000


def test_slow_webhook_says_to_wait(billing: BillingPage) -> None:
    billing.page.clock.install()
    billing.reload()
    simulator_control(billing.service, "deliveries/hold")

    billing.pay("$50", SUCCEEDS)

    billing.expect_outcome("Payment received")
    expect(billing.status).to_contain_text("waiting for the final confirmation")
    expect(billing.balance).to_have_text("$0.00")
    billing.page.clock.fast_forward("01:05")
    billing.expect_outcome("Payment received, confirmation is slow")
    expect(billing.status).to_contain_text("you can close this page")
    expect(billing.pay_button).to_have_attribute("aria-disabled", "false")

    simulator_control(billing.service, "deliveries/release")
    billing.page.clock.fast_forward("00:20")

    billing.expect_outcome("Payment complete")
    expect(billing.balance).to_have_text("$50.00")


def test_closed_dialog_reports_on_page(billing: BillingPage) -> None:
    billing.page.clock.install()
    billing.reload()
    simulator_control(billing.service, "deliveries/hold")
    billing.pay("$50", SUCCEEDS)
    billing.expect_outcome("Payment received")

    billing.page.keyboard.press("Escape")
    expect(billing.dialog).to_be_hidden()
    simulator_control(billing.service, "deliveries/release")
    billing.page.clock.fast_forward("00:05")

    notice = billing.page.locator("#page-notice")
    expect(notice).to_contain_text("Payment complete")
    expect(notice).to_contain_text("Your balance is now $50.00")
    expect(billing.balance).to_have_text("$50.00")


def test_amount_limits_shown_and_checked(billing: BillingPage) -> None:
    billing.open_add_funds()
    limits = billing.dialog.locator("#amount-limits")
    error = billing.dialog.locator("#amount-error")
    amount = billing.dialog.get_by_label("Other amount")

    expect(limits).to_have_text("Any amount from $10.00 to $10,000.00.")
    amount.fill("5")
    billing.fill_card(SUCCEEDS)
    billing.pay_button.click()
    expect(error).to_have_text("The smallest amount you can add is $10.00.")
    expect(amount).to_be_focused()
    amount.fill("10000.01")
    billing.pay_button.click()
    expect(error).to_have_text("The largest amount you can add at once is $10,000.00.")
    amount.fill("12.345")
    billing.pay_button.click()
    expect(error).to_have_text("Use at most 2 decimal places for USD.")
    amount.fill("1,234.5")
    expect(billing.pay_button).to_have_text("Pay $1,234.50")
    expect(error).to_be_empty()


def test_incomplete_card_is_named(billing: BillingPage) -> None:
    billing.open_add_funds()
    billing.choose_amount("$25")
    billing.dialog.get_by_label("Card number").fill("4242 4242")

    billing.pay_button.click()

    expect(billing.dialog.locator("#card-error")).to_have_text(
        "Your card number is incomplete."
    )
    expect(billing.status).to_be_hidden()
