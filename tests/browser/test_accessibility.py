"""Keyboard, screen reader and phone use: axe-core finds nothing serious, the
dialog keeps focus and closes with Escape, and nothing overflows a phone."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.billing_page import SUCCEEDS, BillingPage
from tests.conftest import Service, missing

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A tab that lets axe-core in: the page's CSP admits no injected script."""
    if not AXE.is_file():
        missing(f"{AXE} is missing; run 'npm ci' (make test does)")
    context = browser.new_context(locale="en-US", timezone_id="UTC", bypass_csp=True)
    yield context.new_page()
    context.close()


def serious_violations(page: Page, selector: str = "html") -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        "async (selector) => (await axe.run(selector)).violations", selector
    )
    return [
        f"{item['id']} ({item['impact']}): {[node['target'] for node in item['nodes']]}"
        for item in violations
        if item["impact"] in ("serious", "critical")
    ]


def test_axe_finds_nothing_serious_on_page(service: Service, axe_page: Page) -> None:
    billing = BillingPage.sign_in(axe_page, service, "ada@example.com")
    billing.pay("$50", SUCCEEDS)
    billing.expect_outcome("Payment complete")
    axe_page.keyboard.press("Escape")

    assert serious_violations(axe_page) == []


def test_axe_finds_nothing_serious_in_dialog(service: Service, axe_page: Page) -> None:
    billing = BillingPage.sign_in(axe_page, service, "ada@example.com")
    billing.pay("$50", "4000000000000002")
    billing.expect_outcome("Payment declined")

    assert serious_violations(axe_page, "#add-funds") == []


def test_axe_finds_nothing_serious_signed_out(service: Service, axe_page: Page) -> None:
    axe_page.goto(f"{service.url}/billing")

    assert serious_violations(axe_page) == []


def _focus_is_in_dialog(page: Page) -> bool:
    inside: bool = page.evaluate(
        "() => Boolean(document.activeElement.closest('#add-funds'))"
    )
    return inside


def test_dialog_keeps_focus_and_closes(billing: BillingPage) -> None:
    opener = billing.page.get_by_role("button", name="Add funds", exact=True)
    opener.focus()
    billing.page.keyboard.press("Enter")
    expect(billing.dialog).to_be_visible()

    for _ in range(25):
        billing.page.keyboard.press("Tab")
        assert _focus_is_in_dialog(billing.page)
    for _ in range(25):
        billing.page.keyboard.press("Shift+Tab")
        assert _focus_is_in_dialog(billing.page)
    billing.page.keyboard.press("Escape")

    expect(billing.dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_top_up_by_keyboard_alone(billing: BillingPage) -> None:
    keyboard = billing.page.keyboard
    billing.page.get_by_role("button", name="Add funds", exact=True).focus()
    keyboard.press("Enter")
    expect(billing.dialog.get_by_role("button", name="$25", exact=True)).to_be_focused()

    keyboard.press("Tab")
    keyboard.press("Space")
    expect(
        billing.dialog.get_by_role("button", name="$50", exact=True)
    ).to_have_attribute("aria-pressed", "true")
    card_number = billing.dialog.get_by_label("Card number")
    for _ in range(8):
        keyboard.press("Tab")
        if card_number.evaluate("(input) => input === document.activeElement"):
            break
    keyboard.type(SUCCEEDS)
    keyboard.type("1234")
    keyboard.type("123")
    keyboard.press("Enter")

    billing.expect_outcome("Payment complete")
    expect(billing.balance).to_have_text("$50.00")


def test_phone_width_fits(service: Service, browser: Browser) -> None:
    context = browser.new_context(
        locale="en-US", timezone_id="UTC", viewport=PHONE, has_touch=True
    )
    try:
        page = context.new_page()
        billing = BillingPage.sign_in(page, service, "ada@example.com")
        width = "() => document.documentElement.scrollWidth"
        assert page.evaluate(width) <= PHONE["width"]

        billing.pay("$50", SUCCEEDS)
        billing.expect_outcome("Payment complete")
        box = billing.dialog.bounding_box()
        assert box is not None
        assert box["width"] <= PHONE["width"]
        assert billing.pay_button.is_visible()
        page.keyboard.press("Escape")
        expect(billing.balance).to_have_text("$50.00")
        assert page.evaluate(width) <= PHONE["width"]
    finally:
        context.close()
