"""billing-money.js in Chromium: exact amounts with BigInt and decimal strings."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import Service

pytestmark = pytest.mark.browser

CALL = """async ([name, args]) => {
  const money = await import("/static/billing-money.js");
  const revive = (value) => typeof value === "string" && value.endsWith("n")
    ? BigInt(value.slice(0, -1)) : value;
  const result = money[name](...args.map(revive));
  return JSON.parse(JSON.stringify(result, (key, value) =>
    typeof value === "bigint" ? `${value}n` : value));
}"""


def _page(browser: Browser, service: Service, locale: str) -> Iterator[Page]:
    context = browser.new_context(locale=locale, timezone_id="UTC")
    page = context.new_page()
    page.goto(f"{service.url}/billing")
    yield page
    context.close()


@pytest.fixture
def english(browser: Browser, payments_off_service: Service) -> Iterator[Page]:
    yield from _page(browser, payments_off_service, "en-US")


@pytest.fixture
def german(browser: Browser, payments_off_service: Service) -> Iterator[Page]:
    yield from _page(browser, payments_off_service, "de-DE")


def call(page: Page, name: str, *args: Any) -> Any:
    """Call an export of billing-money.js; BigInts travel as "123n" strings."""
    return page.evaluate(CALL, [name, list(args)])


def test_format_is_exact_past_2_to_53(english: Page) -> None:
    huge = {"currencyCode": "USD", "units": "9007199254740993", "nanos": 0}
    small = {"currencyCode": "USD", "units": "0", "nanos": 420000}
    negative = {"currencyCode": "USD", "units": "-1", "nanos": -500000000}
    yen = {"currencyCode": "JPY", "units": "5000", "nanos": 0}

    assert call(english, "formatMoney", huge) == "$9,007,199,254,740,993.00"
    assert call(english, "formatMoney", small) == "$0.00042"
    assert call(english, "formatMoney", negative) == "-$1.50"
    assert call(english, "formatMoney", yen) == "¥5,000"


def test_nanos_round_trip(english: Page) -> None:
    assert call(english, "fromNanos", "-1500000000n", "USD") == {
        "currencyCode": "USD",
        "units": "-1",
        "nanos": -500000000,
    }
    assert call(english, "toNanos", {"units": "-1", "nanos": -500000000}) == (
        "-1500000000n"
    )
    assert call(english, "decimalString", "9223372036854775807n") == (
        "9223372036.854775807"
    )
    assert call(english, "roundUpToMinorUnit", "9500000001n", "USD") == "9510000000n"


@pytest.mark.parametrize(
    ("typed", "nanos"),
    [
        ("50", "50000000000n"),
        ("1,234.56", "1234560000000n"),
        (" 10.5 ", "10500000000n"),
    ],
)
def test_parse_english_amounts(english: Page, typed: str, nanos: str) -> None:
    assert call(english, "parseAmount", typed, "USD") == {"nanos": nanos}


@pytest.mark.parametrize(
    ("typed", "currency", "error"),
    [
        ("12.345", "USD", "Use at most 2 decimal places for USD."),
        ("1e3", "USD", "Enter the amount as a number, such as 50 or 50.25."),
        ("12,34", "USD", "Enter the amount as a number, such as 50 or 50.25."),
        ("-5", "USD", "Enter the amount as a number, such as 50 or 50.25."),
        ("", "USD", "Enter an amount."),
        ("5000.5", "JPY", "Use whole units for JPY."),
    ],
)
def test_parse_rejects_with_reason(
    english: Page, typed: str, currency: str, error: str
) -> None:
    assert call(english, "parseAmount", typed, currency) == {"error": error}


def test_parse_and_format_in_german(german: Page) -> None:
    amount = {"currencyCode": "USD", "units": "1234", "nanos": 560000000}

    assert call(german, "parseAmount", "1.234,56", "USD") == {"nanos": "1234560000000n"}
    assert call(german, "parseAmount", "12,5", "USD") == {"nanos": "12500000000n"}
    assert "error" in call(german, "parseAmount", "50.5", "USD")
    assert call(german, "formatMoney", amount) == "1.234,56\xa0$"
    assert call(german, "inputText", "12500000000n", "USD") == "12,50"
