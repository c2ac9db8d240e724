"""Tests for exact amounts, currencies and the google.type.Money wire format."""

import json
import pickle
from decimal import Decimal, localcontext

import pytest
from babel.numbers import get_currency_precision, is_currency
from hypothesis import given
from hypothesis import strategies as st

from prepay.money import (
    CURRENCY_EXPONENTS,
    INT64_MAX,
    INT64_MIN,
    NANOS_PER_UNIT,
    Money,
    MoneyError,
    currency_exponent,
    normalize_currency,
    to_stripe_currency,
)

USD = "USD"


def usd(amount: str) -> Money:
    return Money.from_decimal(USD, amount)


def parse(value: object) -> Money:
    return Money.from_json(value)


# --- currencies -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("CLP", 0),
        ("XOF", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
        # Stripe's special cases: ISK and UGX are sent with two decimals that
        # are always 00, and HUF and TWD are zero-decimal only for payouts.
        ("ISK", 2),
        ("UGX", 2),
        ("HUF", 2),
        ("TWD", 2),
    ],
)
def test_currency_exponent_table(code: str, exponent: int) -> None:
    assert currency_exponent(code) == exponent


def test_currency_exponent_rejects_unknown_and_lower_case() -> None:
    with pytest.raises(MoneyError, match="unsupported currency") as error:
        currency_exponent("XYZ")
    assert error.value.field == "currency"

    with pytest.raises(MoneyError, match="expected the upper-case code 'USD'"):
        currency_exponent("usd")


def test_currency_table_codes_are_iso_currencies_babel_knows() -> None:
    assert len(CURRENCY_EXPONENTS) > 130
    for code in CURRENCY_EXPONENTS:
        assert is_currency(code), code


def test_currency_table_omits_withdrawn_codes() -> None:
    for code in ["USDC", "EEK", "HRK", "LTL", "LVL", "MRO", "SLL", "SVC", "VEF"]:
        assert code not in CURRENCY_EXPONENTS


def test_currency_table_against_cldr_digits() -> None:
    # CLDR, through Babel, gives the digits people write. Stripe sends ISK and
    # UGX with two decimals, and CLDR writes the others below without decimals
    # although ISO 4217 and Stripe give them two.
    differing = {
        code
        for code, exponent in CURRENCY_EXPONENTS.items()
        if get_currency_precision(code) != exponent
    }
    assert differing == {"ISK", "UGX"} | {
        "AFN", "ALL", "LAK", "LBP", "MMK", "RSD", "SOS", "STD", "YER",
    }  # fmt: skip


@pytest.mark.parametrize("code", ["usd", "USD", "Usd"])
def test_normalize_currency_accepts_any_case(code: str) -> None:
    assert normalize_currency(code) == "USD"


@pytest.mark.parametrize(
    "code", ["XYZ", "US", "USDX", " usd", "usd\n", "ＵＳＤ", "", "U$D", "usdc"]
)
def test_normalize_currency_rejects_unknown(code: str) -> None:
    with pytest.raises(MoneyError, match='such as "USD"') as error:
        normalize_currency(code, "body.currencyCode")
    assert error.value.field == "body.currencyCode"
    assert "unsupported currency" in error.value.message


@pytest.mark.parametrize("code", [None, 840, 1.0, b"USD", ["USD"]])
def test_normalize_currency_rejects_non_strings(code: object) -> None:
    with pytest.raises(MoneyError, match="expected a three-letter ISO 4217 code"):
        normalize_currency(code)


def test_to_stripe_currency_is_lower_case() -> None:
    assert to_stripe_currency("USD") == "usd"
    assert to_stripe_currency("JPY") == "jpy"
    with pytest.raises(MoneyError):
        to_stripe_currency("XYZ")


def test_money_error_fields_and_str() -> None:
    error = MoneyError("amount.units", "overflow")
    assert error.field == "amount.units"
    assert error.message == "overflow"
    assert str(error) == "amount.units: overflow"
    assert isinstance(error, ValueError)

    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, copy.message) == ("amount.units", "overflow")


# --- minor units -------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "minor"),
    [("19.99", 1999), ("8.20", 820), ("8.29", 829), ("5.10", 510), ("0.01", 1)],
)
def test_usd_to_minor_units_is_exact(amount: str, minor: int) -> None:
    # float("8.29") * 100 is 828.9999999999999, which is the bug this avoids.
    assert usd(amount).to_minor_units() == minor
    assert Money.from_minor_units(USD, minor) == usd(amount)


def test_jpy_minor_unit_is_one_yen() -> None:
    yen = Money.from_decimal("JPY", 5000)
    assert yen.to_minor_units() == 5000
    assert Money.from_minor_units("JPY", 5000) == yen
    assert yen.nanos == 5000 * NANOS_PER_UNIT


def test_kwd_has_three_decimals() -> None:
    dinar = Money.from_decimal("KWD", "1.230")
    assert dinar.to_minor_units() == 1230
    assert Money.from_minor_units("KWD", 1230) == dinar
    dinar.check_chargeable()

    odd = Money.from_decimal("KWD", "1.235")
    assert odd.to_minor_units() == 1235
    with pytest.raises(MoneyError, match="last digit of a KWD amount") as error:
        odd.check_chargeable("topUp.amount")
    assert error.value.field == "topUp.amount"


def test_to_minor_units_rejects_fractions_of_a_cent() -> None:
    with pytest.raises(MoneyError, match="multiple of 0.01") as error:
        usd("0.00042").to_minor_units("cost")
    assert error.value.field == "cost"

    with pytest.raises(MoneyError, match="multiple of 1$"):
        Money.from_decimal("JPY", "0.5").to_minor_units()


def test_from_minor_units_rejects_floats_and_overflow() -> None:
    with pytest.raises(TypeError, match="minor must be an int"):
        Money.from_minor_units(USD, 1999.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.from_minor_units(USD, True)
    with pytest.raises(MoneyError, match="overflow") as error:
        Money.from_minor_units("JPY", 10**10)
    assert error.value.field == "amount"


# --- chargeable amounts ------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount"),
    [
        ("USD", "0.50"),
        ("JPY", "5000"),
        ("KWD", "5.120"),
        ("ISK", "5"),
        ("UGX", "5000"),
        ("HUF", "10.45"),
        ("TWD", "800.45"),
    ],
)
def test_check_chargeable_accepts(currency: str, amount: str) -> None:
    Money.from_decimal(currency, amount).check_chargeable()


@pytest.mark.parametrize(
    ("currency", "amount", "message"),
    [
        ("USD", "0", "expected a positive amount"),
        ("USD", "-5.00", "expected a positive amount"),
        ("USD", "5.001", "not a whole number of minor units"),
        ("JPY", "5000.5", "not a whole number of minor units"),
        ("KWD", "5.124", "last digit of a KWD amount to be 0"),
        ("ISK", "5.50", "ISK in whole units only"),
        ("UGX", "5000.01", "UGX in whole units only"),
        # Only a three-decimal currency reaches 13 digits within int64 nanos.
        ("KWD", "1000000000", "12 digits"),
    ],
)
def test_check_chargeable_rejects(currency: str, amount: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message) as error:
        Money.from_decimal(currency, amount).check_chargeable("amount")
    assert error.value.field == "amount"


# --- sub-cent amounts --------------------------------------------------------


def test_sub_cent_costs_add_up_exactly() -> None:
    balance = usd("5.00")
    cost = usd("0.0042")
    for _ in range(500):
        balance -= cost

    assert balance == usd("2.90")
    assert balance.to_decimal() == Decimal("2.90")
    assert balance.to_minor_units() == 290


def test_sub_cent_amount_is_exact() -> None:
    cost = usd("0.00042")
    assert cost.nanos == 420_000
    assert cost.to_decimal() == Decimal("0.00042")
    assert str(cost.to_decimal()) == "0.00042"
    assert cost.to_json() == {"currencyCode": "USD", "units": "0", "nanos": 420_000}
    assert str(cost) == "0.00042 USD"


def test_to_decimal_keeps_the_currency_decimals() -> None:
    assert str(usd("50").to_decimal()) == "50.00"
    assert str(Money.from_decimal("JPY", 5000).to_decimal()) == "5000"
    assert str(Money.from_decimal("KWD", "1.2").to_decimal()) == "1.200"
    assert str(Money(USD, 1)) == "0.000000001 USD"
    assert str(Money(USD, -1_500_000_000)) == "-1.50 USD"


# --- constructor and from_decimal --------------------------------------------


@pytest.mark.parametrize("nanos", [1.0, 0.0, True, False, Decimal("1"), "1", None])
def test_money_rejects_non_int_nanos(nanos: object) -> None:
    with pytest.raises(TypeError, match="nanos must be an int"):
        Money(USD, nanos)  # type: ignore[arg-type]


def test_money_rejects_nanos_outside_int64() -> None:
    assert Money(USD, INT64_MAX).nanos == INT64_MAX
    assert Money(USD, INT64_MIN).nanos == INT64_MIN
    for nanos in [INT64_MAX + 1, INT64_MIN - 1, 10**30]:
        with pytest.raises(MoneyError, match="overflow") as error:
            Money(USD, nanos)
        assert error.value.field == "amount"


def test_money_requires_a_known_upper_case_currency() -> None:
    with pytest.raises(MoneyError, match="expected the upper-case code 'USD'"):
        Money("usd", 1)
    with pytest.raises(MoneyError, match="unsupported currency"):
        Money("XYZ", 1)
    with pytest.raises(TypeError, match="currency must be a str"):
        Money(None, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [19.99, 0.0, float("nan"), True])
def test_from_decimal_rejects_floats_and_bools(amount: object) -> None:
    with pytest.raises(TypeError, match="float cannot hold"):
        Money.from_decimal(USD, amount)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "amount", ["", "1.", ".5", "+1", " 1", "1 ", "1e3", "1_000", "NaN", "٣", "1,5"]
)
def test_from_decimal_rejects_malformed_strings(amount: str) -> None:
    with pytest.raises(MoneyError, match='expected a decimal number such as "19.99"'):
        Money.from_decimal(USD, amount, "price")


@pytest.mark.parametrize(
    "amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_from_decimal_rejects_non_finite(amount: Decimal) -> None:
    with pytest.raises(MoneyError, match="finite"):
        Money.from_decimal(USD, amount)


def test_from_decimal_rejects_more_than_nine_decimals() -> None:
    with pytest.raises(MoneyError, match="more than 9 decimal places") as error:
        Money.from_decimal(USD, "0.0000000001", "cost")
    assert error.value.field == "cost"
    with pytest.raises(MoneyError, match="more than 9 decimal places"):
        Money.from_decimal(USD, Decimal("1E-999999"))


def test_from_decimal_accepts_exact_values_in_any_notation() -> None:
    assert Money.from_decimal(USD, "1.0000000000").nanos == NANOS_PER_UNIT
    assert Money.from_decimal(USD, Decimal("5E+3")) == Money.from_decimal(USD, 5000)
    assert Money.from_decimal(USD, Decimal("0E-30")).nanos == 0
    assert Money.from_decimal(USD, "-0.5").nanos == -500_000_000
    assert Money.from_decimal("usd", 1).currency == "USD"


def test_from_decimal_ignores_context_precision() -> None:
    with localcontext() as context:
        context.prec = 3
        money = Money.from_decimal(USD, Decimal("1234567.891234567"))
        assert money.nanos == 1_234_567_891_234_567
        assert money.to_decimal() == Decimal("1234567.891234567")


def test_from_decimal_rejects_overflow() -> None:
    largest = Decimal("9223372036.854775807")
    assert Money.from_decimal(USD, largest).nanos == INT64_MAX
    assert Money.from_decimal(USD, -largest - Decimal("1E-9")).nanos == INT64_MIN
    for amount in [largest + Decimal("1E-9"), Decimal("1E+999999999"), 10**10]:
        with pytest.raises(MoneyError, match="overflow") as error:
            Money.from_decimal(USD, amount, "credit")
        assert error.value.field == "credit"


# --- arithmetic --------------------------------------------------------------


def test_arithmetic_and_comparisons() -> None:
    assert usd("1.25") + usd("0.75") == usd("2")
    assert usd("1.25") - usd("2") == usd("-0.75")
    assert -usd("1.25") == usd("-1.25")
    assert abs(usd("-1.25")) == usd("1.25")
    assert usd("1") < usd("2")
    assert usd("2") <= usd("2")
    assert usd("3") > usd("2")
    assert usd("2") >= usd("2")
    assert Money.zero("usd") == Money(USD, 0)
    assert sorted([usd("3"), usd("-1"), usd("2")]) == [usd("-1"), usd("2"), usd("3")]


def test_mixing_currencies_raises() -> None:
    euros = Money.from_decimal("EUR", 1)
    with pytest.raises(MoneyError, match="currency mismatch: USD and EUR") as error:
        usd("1") + euros
    assert error.value.field == "currency"
    with pytest.raises(MoneyError, match="currency mismatch"):
        usd("1") - euros
    with pytest.raises(MoneyError, match="currency mismatch"):
        assert usd("1") < euros
    with pytest.raises(MoneyError, match="currency mismatch"):
        assert usd("1") >= euros
    assert usd("1") != euros


def test_arithmetic_with_numbers_raises_type_error() -> None:
    with pytest.raises(TypeError):
        usd("1") + 1.0  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("1") - Decimal("1")  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert usd("1") < 2  # type: ignore[operator]


def test_arithmetic_overflow_raises() -> None:
    top = Money(USD, INT64_MAX)
    bottom = Money(USD, INT64_MIN)
    with pytest.raises(MoneyError, match="overflow"):
        top + Money(USD, 1)
    with pytest.raises(MoneyError, match="overflow"):
        bottom - Money(USD, 1)
    with pytest.raises(MoneyError, match="overflow"):
        _ = -bottom
    with pytest.raises(MoneyError, match="overflow"):
        abs(bottom)
    assert -top == Money(USD, -INT64_MAX)


# --- format ------------------------------------------------------------------


def test_format_uses_babel_and_the_currency_digits() -> None:
    assert usd("50").format() == "$50.00"
    assert Money.from_decimal("JPY", 5000).format() == "¥5,000"
    # Babel 2.18 puts a no-break space between the number and the euro sign.
    assert Money.from_decimal("EUR", 50).format("de_DE") == "50,00\xa0€"
    assert Money.from_decimal("KWD", "1.23").format() == "KWD1.230"
    assert usd("-1.5").format() == "-$1.50"


def test_format_keeps_sub_minor_unit_digits() -> None:
    assert usd("0.00042").format() == "$0.00042"
    assert Money(USD, 1).format() == "$0.000000001"
    assert Money.from_decimal("JPY", "5000.5").format() == "¥5,000.5"
    assert usd("1234567.891").format("de_DE") == "1.234.567,891\xa0$"


# --- proto3 JSON -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "nanos"),
    [
        ({"currencyCode": "USD", "units": "50", "nanos": 0}, 50 * NANOS_PER_UNIT),
        ({"currencyCode": "USD", "units": 50, "nanos": 0}, 50 * NANOS_PER_UNIT),
        ({"currencyCode": "usd", "units": "19", "nanos": 990_000_000}, 19_990_000_000),
        ({"currencyCode": "USD", "units": "-3", "nanos": -500_000_000}, -3_500_000_000),
        ({"currencyCode": "USD", "units": "0", "nanos": -420_000}, -420_000),
        ({"currencyCode": "USD", "units": "-0"}, 0),
        ({"currencyCode": "USD", "units": "007"}, 7 * NANOS_PER_UNIT),
        ({"currencyCode": "USD", "nanos": 5}, 5),
        ({"currencyCode": "USD", "nanos": "-5"}, -5),
        ({"currencyCode": "USD"}, 0),
        ({"currencyCode": "USD", "units": None, "nanos": None}, 0),
        ({"currency_code": "USD", "units": "1"}, NANOS_PER_UNIT),
    ],
)
def test_from_json_accepts(value: dict[str, object], nanos: int) -> None:
    assert parse(value) == Money(USD, nanos)


def test_from_json_limits_of_int64() -> None:
    top = {"currencyCode": "USD", "units": "9223372036", "nanos": 854_775_807}
    bottom = {"currencyCode": "USD", "units": "-9223372036", "nanos": -854_775_808}
    assert parse(top).nanos == INT64_MAX
    assert parse(bottom).nanos == INT64_MIN
    assert parse(Money(USD, INT64_MIN).to_json()).nanos == INT64_MIN


def invalid(field: str, value: object, message: str) -> tuple[str, object, str]:
    return field, value, message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        invalid("amount", None, "expected a JSON object"),
        invalid("amount", [], "expected a JSON object"),
        invalid("amount", "50 USD", "expected a JSON object"),
        invalid("amount.currencyCode", {"units": "5"}, "missing"),
        invalid("amount.currencyCode", {"currencyCode": None}, "missing"),
        invalid("amount.currencyCode", {"currencyCode": "XYZ"}, "unsupported"),
        invalid("amount.currencyCode", {"currencyCode": 840}, "three-letter"),
        invalid("amount.amount", {"currencyCode": "USD", "amount": 5}, "unknown"),
        invalid(
            "amount.currencyCode",
            {"currencyCode": "USD", "currency_code": "USD"},
            "set twice",
        ),
    ],
)
def test_from_json_rejects_shape(field: str, value: object, message: str) -> None:
    with pytest.raises(MoneyError, match=message) as error:
        parse(value)
    assert error.value.field == field


@pytest.mark.parametrize(
    "units",
    [1.0, 1.5, 0.0, True, "1.0", "1.5", "1e3", "1E3", " 1", "1 ", "+1", "", "-", "٣",
     "1_000", "0x10", "1\n", [], {}],
)  # fmt: skip
def test_from_json_rejects_bad_units(units: object) -> None:
    with pytest.raises(MoneyError, match='string of digits such as "50"') as error:
        parse({"currencyCode": "USD", "units": units})
    assert error.value.field == "amount.units"


@pytest.mark.parametrize(
    "nanos", [0.0, 5e8, 1.5, True, False, "5e8", "0.5", " 5", "+5", [], {}]
)
def test_from_json_rejects_bad_nanos(nanos: object) -> None:
    with pytest.raises(MoneyError, match="expected an integer from") as error:
        parse({"currencyCode": "USD", "units": "1", "nanos": nanos})
    assert error.value.field == "amount.nanos"


@pytest.mark.parametrize("nanos", [1_000_000_000, -1_000_000_000, 10**20])
def test_from_json_rejects_nanos_out_of_range(nanos: int) -> None:
    with pytest.raises(MoneyError, match=f"got {nanos}") as error:
        parse({"currencyCode": "USD", "nanos": nanos})
    assert error.value.field == "amount.nanos"


@pytest.mark.parametrize(("units", "nanos"), [("1", -1), ("-1", 1), (5, "-5")])
def test_from_json_rejects_mixed_signs(units: object, nanos: object) -> None:
    with pytest.raises(MoneyError, match="sign mismatch") as error:
        parse({"currencyCode": "USD", "units": units, "nanos": nanos})
    assert error.value.field == "amount.nanos"


@pytest.mark.parametrize(
    "units", ["9223372037", "-9223372037", "9223372036854775808", "9" * 5000]
)
def test_from_json_rejects_units_overflow(units: str) -> None:
    with pytest.raises(MoneyError, match="overflow") as error:
        parse({"currencyCode": "USD", "units": units})
    assert error.value.field == "amount.units"


def test_from_json_rejects_total_overflow() -> None:
    over = {"currencyCode": "USD", "units": "9223372036", "nanos": 854_775_808}
    with pytest.raises(MoneyError, match="overflow") as error:
        Money.from_json(over, "topUp.amount")
    assert error.value.field == "topUp.amount"

    under = {"currencyCode": "USD", "units": "-9223372036", "nanos": -854_775_809}
    with pytest.raises(MoneyError, match="overflow"):
        parse(under)


def test_from_json_names_the_caller_field() -> None:
    with pytest.raises(MoneyError) as error:
        Money.from_json({"currencyCode": "USD", "nanos": 0.5}, "debit.cost")
    assert error.value.field == "debit.cost.nanos"
    assert str(error.value).startswith("debit.cost.nanos: expected an integer")
    assert "got float 0.5" in error.value.message


def test_to_json_signed_string_units() -> None:
    assert usd("50").to_json() == {"currencyCode": "USD", "units": "50", "nanos": 0}
    assert usd("-3.5").to_json() == {
        "currencyCode": "USD",
        "units": "-3",
        "nanos": -500_000_000,
    }
    assert usd("-0.5").to_json()["units"] == "0"


# --- properties --------------------------------------------------------------

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
int64s = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
amounts = st.builds(Money, currencies, int64s)


@given(amounts)
def test_json_round_trip(money: Money) -> None:
    wire = json.loads(json.dumps(money.to_json()))
    assert Money.from_json(wire) == money

    units = int(wire["units"])
    assert -NANOS_PER_UNIT < wire["nanos"] < NANOS_PER_UNIT
    assert units * wire["nanos"] >= 0


@given(amounts)
def test_decimal_round_trip(money: Money) -> None:
    exact = money.to_decimal()
    assert Money.from_decimal(money.currency, exact) == money
    assert Money.from_decimal(money.currency, f"{exact:f}") == money
    assert exact * NANOS_PER_UNIT == money.nanos


@given(currencies, st.integers(min_value=-(10**9), max_value=10**9))
def test_minor_units_round_trip(currency: str, minor: int) -> None:
    money = Money.from_minor_units(currency, minor)
    assert money.to_minor_units() == minor


@given(amounts, amounts)
def test_addition_is_exact_or_raises(first: Money, second: Money) -> None:
    second = Money(first.currency, second.nanos)
    total = first.nanos + second.nanos
    if INT64_MIN <= total <= INT64_MAX:
        assert (first + second).nanos == total
        assert (first + second - second) == first
    else:
        with pytest.raises(MoneyError, match="overflow"):
            first + second
