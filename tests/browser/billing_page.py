"""A page object for the billing page, so tests read as what a user does."""

import re
from dataclasses import dataclass

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.conftest import Service

SUCCEEDS = "4242424242424242"
GENERIC_DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
NEEDS_3DS = "4000002760003184"


@dataclass
class BillingPage:
    page: Page
    service: Service
    email: str

    @classmethod
    def sign_in(cls, page: Page, service: Service, email: str) -> "BillingPage":
        page.goto(f"{service.url}/billing")
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Sign in").click()
        billing = cls(page, service, email)
        billing.wait_until_ready()
        return billing

    def wait_until_ready(self) -> None:
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")

    def reload(self) -> None:
        self.page.reload()
        self.wait_until_ready()

    @property
    def balance(self) -> Locator:
        return self.page.locator("#balance-available")

    @property
    def dialog(self) -> Locator:
        return self.page.get_by_role("dialog", name="Add funds")

    @property
    def status(self) -> Locator:
        return self.page.locator("#pay-status")

    @property
    def pay_button(self) -> Locator:
        return self.page.locator("#pay-button")

    @property
    def history_rows(self) -> Locator:
        return self.page.locator("#history-table tbody tr")

    def open_add_funds(self) -> None:
        self.page.get_by_role("button", name="Add funds", exact=True).click()
        expect(self.dialog).to_be_visible()

    def fill_card(self, number: str, expiry: str = "12 / 34", cvc: str = "123") -> None:
        self.dialog.get_by_label("Card number").fill(number)
        self.dialog.get_by_label("Expiration date, MM / YY").fill(expiry)
        self.dialog.get_by_label("Security code (CVC)").fill(cvc)

    def choose_amount(self, amount: str) -> None:
        """Click the preset labelled ``amount`` ("$50"), or type it."""
        preset = self.dialog.get_by_role("button", name=amount, exact=True)
        if preset.count():
            preset.click()
        else:
            self.dialog.get_by_label("Other amount").fill(amount)

    def pay(self, amount: str, card: str) -> None:
        self.open_add_funds()
        self.choose_amount(amount)
        self.fill_card(card)
        self.pay_button.click()

    def expect_outcome(self, title: str, timeout: float = 15_000) -> None:
        expect(self.status.locator(".pay-status-title")).to_have_text(
            title, timeout=timeout
        )
        expect(self.pay_button).not_to_have_class(re.compile(r"\bis-busy\b"))
        expect(self.pay_button).to_have_attribute("aria-busy", "false")

    def complete_3ds(self, outcome: str = "Complete authentication") -> None:
        challenge = self.page.get_by_role(
            "dialog", name="3D Secure test authentication"
        )
        expect(challenge).to_be_visible()
        challenge.get_by_role("button", name=outcome).click()


def simulator_control(service: Service, path: str) -> None:
    """POST to one of the simulator's /_sim/ controls, such as deliveries/hold."""
    with httpx.Client(base_url=service.simulator.url, timeout=15) as client:
        response = client.post(f"/_sim/{path}")
    assert response.status_code == 200, response.text
