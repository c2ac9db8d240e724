"""Fixtures for the billing page's browser tests: Debian's Chromium driven by
Playwright, against the service and its Stripe simulator.

The page's logic is the same on both databases and the API tests cover
PostgreSQL, so these tests run on SQLite only.
"""

import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from prepay.api.app import create_app
from tests.browser.billing_page import BillingPage
from tests.conftest import (
    ServerThread,
    Service,
    Simulator,
    free_port,
    service_settings,
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every request of the page must stay on this machine.
_NOT_LOOPBACK = re.compile(r"^(?!https?://(127\.0\.0\.1|\[::1\])[:/])")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _refuse(route: Route) -> None:
    route.abort("blockedbyclient")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        locale="en-US",
        timezone_id="UTC",
        viewport={"width": 1024, "height": 900},
        accept_downloads=True,
    )
    context.route(_NOT_LOOPBACK, _refuse)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A tab that fails the test on any uncaught script error or CSP breach."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and _unexpected(message.text)
            else None
        ),
    )
    yield page
    assert not problems, "\n".join(problems)


def _unexpected(text: str) -> bool:
    # Chromium logs every HTTP error response, which some tests cause on purpose.
    return "Failed to load resource" not in text


@pytest.fixture
def billing(service: Service, page: Page) -> BillingPage:
    """The billing page, signed in as a user with no account yet."""
    return BillingPage.sign_in(page, service, "ada@example.com")


@pytest.fixture
def payments_off_service(database_url: str) -> Iterator[Service]:
    """The service with STRIPE_ENABLED=false: no top-ups, webhooks still verified.

    No simulator runs; tests credit the balance with signed events of their own.
    """
    port = free_port()
    secret = "whsec_" + secrets.token_hex(16)
    dead = f"http://127.0.0.1:{free_port()}"
    settings = service_settings(database_url, dead, secret, STRIPE_ENABLED="false")
    app = create_app(settings)
    placeholder = Simulator(dead, secret, None)  # type: ignore[arg-type]
    try:
        with ServerThread(app, port):
            yield Service(
                f"http://127.0.0.1:{port}", settings, app.state.services, placeholder
            )
    finally:
        app.state.services.engine.dispose()
