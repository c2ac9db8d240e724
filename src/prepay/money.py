"""Exact amounts of money and the currencies prepay accepts.

An amount is a signed 64-bit count of nanos (10^-9 of the currency's major
unit), which is the precision of google.type.Money. Sub-cent costs such as
0.00042 USD are exact and sums never round. No entry point accepts a float.
Stripe amounts are integers in the currency's minor unit, and one exponent
table serves both directions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from babel.numbers import format_currency

NANOS_PER_UNIT: Final = 10**9
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
NANOS_MAX: Final = NANOS_PER_UNIT - 1
_UNITS_MAX: Final = INT64_MAX // NANOS_PER_UNIT
# Nanos in one minor unit, by exponent: 0.01 USD is 10^7 nanos.
_NANOS_PER_MINOR: Final = {0: 10**9, 2: 10**7, 3: 10**6}

# Currencies Stripe accepts, from the list in its `invalid_currency` error
# message ("Stripe currently supports these currencies: usd, aed, ..."). USDC
# is left out because it is not an ISO 4217 currency, and EEK, HRK, LTL, LVL,
# MRO, SLL, SVC and VEF because other currencies replaced them before 2024.
# NOTE: this is a snapshot. Stripe still lists ANG, BGN and STD, although
# ISO 4217 has replaced them or is replacing them.
_STRIPE_CURRENCIES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB
    BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD
    EGP ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS
    INR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT LAK LBP LKR LRD LSL MAD
    MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR
    PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE
    SOS SRD STD SZL THB TJS TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VND VUV
    WST XAF XCD XOF XPF YER ZAR ZMW
""".split()

# The exponent of the minor unit in a Stripe `amount`, from "Supported
# currencies" at https://docs.stripe.com/currencies. Its zero-decimal list
# also names UGX, but its "Special cases" table states that UGX, like ISK, is
# sent with two decimals that are always 00 ("to charge 5 UGX, provide an
# amount value of 500"). The more specific rule wins, so UGX has exponent 2.
# HUF and TWD are zero-decimal only for payouts, which prepay does not make.
# The three-decimal currencies are the ISO 4217 ones in Stripe's list, which
# leaves out IQD and LYD.
_ZERO_DECIMAL = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF VND VUV XAF XOF XPF"
_THREE_DECIMAL = "BHD JOD KWD OMR TND"

CURRENCY_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {code: 2 for code in _STRIPE_CURRENCIES}
    | {code: 0 for code in _ZERO_DECIMAL.split()}
    | {code: 3 for code in _THREE_DECIMAL.split()}
)

# Stripe's rules for a charge beyond whole minor units, from the same page.
# The last digit of a three-decimal amount must be 0 (an earlier version of
# the page: "5.124 KWD must be rounded to 5120 or 5130"). ISK and UGX are
# charged in whole units, a multiple of 100 minor units. A card `amount` has
# at most 12 digits.
_LAST_DIGIT_ZERO = frozenset(_THREE_DECIMAL.split())
_WHOLE_UNITS_ONLY = frozenset({"ISK", "UGX"})
_STRIPE_MAX_AMOUNT = 999_999_999_999

_CODE_TEXT = re.compile(r"[A-Za-z]{3}")
_INTEGER_TEXT = re.compile(r"-?[0-9]+")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

# proto3 JSON parsers accept the lowerCamelCase name and the proto field name.
_JSON_FIELDS = {
    "currencyCode": "currencyCode",
    "currency_code": "currencyCode",
    "units": "units",
    "nanos": "nanos",
}


class MoneyError(ValueError):
    """An invalid amount or currency, with the field it arrived in."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[MoneyError], tuple[str, str]]:
        return type(self), (self.field, self.message)  # for pickle and copy


def _describe(value: object) -> str:
    """Name a received value's type and value, shortened for an error message."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _require_known(code: object, field: str) -> str:
    """Return an upper-case code from the table, or raise naming the field."""
    if isinstance(code, str) and code in CURRENCY_EXPONENTS:
        return code

    fixed = normalize_currency(code, field)
    raise MoneyError(field, f"expected the upper-case code {fixed!r}, got {code!r}")


def currency_exponent(code: str) -> int:
    """Return the number of decimals in a Stripe amount: 0, 2 or 3."""
    return CURRENCY_EXPONENTS[_require_known(code, "currency")]


def normalize_currency(code: object, field: str = "currencyCode") -> str:
    """Convert a currency code in either case to its upper-case ISO 4217 form."""
    if not isinstance(code, str):
        raise MoneyError(
            field,
            f'expected a three-letter ISO 4217 code such as "USD", '
            f"got {_describe(code)}",
        )

    upper = code.upper()
    if not _CODE_TEXT.fullmatch(code) or upper not in CURRENCY_EXPONENTS:
        raise MoneyError(
            field,
            f"unsupported currency {_describe(code)}; expected an ISO 4217 code "
            f'that Stripe accepts, such as "USD" or "EUR"',
        )
    return upper


def to_stripe_currency(code: str) -> str:
    """Convert an upper-case ISO code to the lower-case form Stripe requires."""
    return _require_known(code, "currency").lower()


def _check_int64(nanos: int, field: str) -> int:
    if not INT64_MIN <= nanos <= INT64_MAX:
        raise MoneyError(field, f"overflow: {nanos} nanos does not fit in int64")
    return nanos


def _to_decimal(nanos: int, min_places: int) -> Decimal:
    """Convert nanos exactly, keeping at least min_places decimals."""
    places = 9
    while places > min_places and nanos % 10 == 0:
        nanos //= 10
        places -= 1

    digits = tuple(int(digit) for digit in str(abs(nanos)))
    # A tuple builds the Decimal without the context, so nothing rounds.
    return Decimal((int(nanos < 0), digits, -places))


def _decimal_to_nanos(amount: Decimal, field: str) -> int:
    """Convert a Decimal to nanos exactly, or raise if that would round."""
    if not amount.is_finite():
        raise MoneyError(field, f"expected a finite amount, got {amount}")

    # Integer arithmetic on the digits, because Decimal arithmetic rounds
    # to the context's precision.
    sign, digit_tuple, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    digits = list(digit_tuple)
    while digits and digits[-1] == 0:
        digits.pop()
        exponent += 1
    if not digits:
        return 0

    if exponent < -9:
        raise MoneyError(field, f"{amount} has more than 9 decimal places, the limit")
    if len(digits) + exponent + 9 > 19:
        raise MoneyError(field, f"overflow: {amount} does not fit in int64 nanos")

    nanos = int("".join(map(str, digits))) * 10 ** (exponent + 9)
    return _check_int64(-nanos if sign else nanos, field)


def _parse_int(value: object, field: str, expected: str) -> int:
    """Read a proto3 JSON integer given as a JSON number or a string of digits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MoneyError(field, f"expected {expected}, got {_describe(value)}")
    if isinstance(value, int):
        return int(value)

    if not _INTEGER_TEXT.fullmatch(value):
        raise MoneyError(field, f"expected {expected}, got {_describe(value)}")
    try:
        return int(value)
    except ValueError:
        # Python refuses to convert strings of more than 4300 digits.
        raise MoneyError(field, f"overflow: {_describe(value)} is too long") from None


def _read_json_fields(value: Mapping[object, object], field: str) -> dict[str, object]:
    """Map each JSON key to its field name, treating null as absent."""
    fields: dict[str, object] = {}
    for key, item in value.items():
        name = _JSON_FIELDS.get(key) if isinstance(key, str) else None
        if name is None:
            raise MoneyError(
                f"{field}.{str(key)[:40]}",
                "unknown field; expected only currencyCode, units and nanos",
            )
        if name in fields:
            raise MoneyError(
                f"{field}.{name}",
                "set twice; send currencyCode or currency_code, not both",
            )
        if item is not None:
            fields[name] = item
    return fields


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: a known currency and signed int64 nanos of its unit.

    Equality compares currency and nanos, so amounts in different currencies
    are unequal. Ordering and arithmetic across currencies raise MoneyError,
    because prepay never converts between currencies.
    """

    currency: str
    nanos: int

    def __post_init__(self) -> None:
        if not isinstance(self.currency, str):
            raise TypeError(f"currency must be a str, got {_describe(self.currency)}")
        _require_known(self.currency, "currency")

        if isinstance(self.nanos, bool) or not isinstance(self.nanos, int):
            raise TypeError(
                f"nanos must be an int count of 10^-9 units, "
                f"got {_describe(self.nanos)}; use Money.from_decimal for decimals"
            )
        _check_int64(self.nanos, "amount")
        if type(self.nanos) is not int:
            object.__setattr__(self, "nanos", int(self.nanos))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(normalize_currency(currency, "currency"), 0)

    @classmethod
    def from_json(cls, value: object, field: str = "amount") -> Money:
        """Parse a google.type.Money in proto3 JSON.

        ``currencyCode`` (or the proto field name ``currency_code``) is a code
        from the table in either case. ``units`` is an int64 as a string of
        ASCII digits with an optional leading "-", or as a JSON integer.
        ``nanos`` is an integer, and, as proto3 JSON allows for int32, may also
        be a string of digits. A missing or null ``units`` or ``nanos`` is 0.
        Raises MoneyError naming the field, such as "amount.nanos", for
        anything else, unknown keys included.
        """
        if not isinstance(value, Mapping):
            raise MoneyError(
                field,
                f"expected a JSON object with currencyCode, units and nanos, "
                f"got {_describe(value)}",
            )
        fields = _read_json_fields(value, field)

        if "currencyCode" not in fields:
            raise MoneyError(
                f"{field}.currencyCode", 'missing; expected an ISO code such as "USD"'
            )
        currency = normalize_currency(fields["currencyCode"], f"{field}.currencyCode")

        units = _parse_int(
            fields.get("units", 0),
            f"{field}.units",
            'an int64 as a string of digits such as "50" or "-3", or an integer',
        )
        if abs(units) > _UNITS_MAX:
            raise MoneyError(
                f"{field}.units",
                f"overflow: {units} units do not fit in int64 nanos, which hold "
                f"at most {_UNITS_MAX} units either side of zero",
            )

        nanos_field = f"{field}.nanos"
        nanos = _parse_int(
            fields.get("nanos", 0),
            nanos_field,
            "an integer from -999999999 to 999999999",
        )
        if not -NANOS_MAX <= nanos <= NANOS_MAX:
            raise MoneyError(
                nanos_field,
                f"expected an integer from -999999999 to 999999999, got {nanos}",
            )
        if (units > 0 and nanos < 0) or (units < 0 and nanos > 0):
            raise MoneyError(
                nanos_field,
                f"sign mismatch: nanos {nanos} and units {units}; when units is "
                f"not zero, nanos must be 0 or have the same sign",
            )

        return cls(currency, _check_int64(units * NANOS_PER_UNIT + nanos, field))

    def to_json(self) -> dict[str, object]:
        """Build google.type.Money in proto3 JSON, with units as a string."""
        units, nanos = divmod(abs(self.nanos), NANOS_PER_UNIT)
        if self.nanos < 0:
            units, nanos = -units, -nanos
        return {"currencyCode": self.currency, "units": str(units), "nanos": nanos}

    @classmethod
    def from_decimal(
        cls, currency: str, amount: Decimal | str | int, field: str = "amount"
    ) -> Money:
        """Convert a decimal amount of major units exactly.

        A string must be plain decimal notation such as "19.99" or "-0.5".
        Raises TypeError for a float or bool, and MoneyError naming the field
        when the amount needs more than 9 decimal places or overflows int64.
        """
        code = normalize_currency(currency, "currency")
        if isinstance(amount, bool) or not isinstance(amount, Decimal | str | int):
            raise TypeError(
                f"{field} must be a Decimal, str or int, got {_describe(amount)}; "
                f"a float cannot hold most decimal amounts exactly"
            )

        if isinstance(amount, int):
            return cls(code, _check_int64(int(amount) * NANOS_PER_UNIT, field))
        if isinstance(amount, str):
            if not _DECIMAL_TEXT.fullmatch(amount):
                expected = 'expected a decimal number such as "19.99"'
                raise MoneyError(field, f"{expected}, got {_describe(amount)}")
            amount = Decimal(amount)
        return cls(code, _decimal_to_nanos(amount, field))

    def to_decimal(self) -> Decimal:
        """Return the exact amount, with at least the currency's decimals."""
        return _to_decimal(self.nanos, CURRENCY_EXPONENTS[self.currency])

    @classmethod
    def from_minor_units(cls, currency: str, minor: int) -> Money:
        """Convert a Stripe `amount` (an integer of minor units)."""
        code = normalize_currency(currency, "currency")
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(f"minor must be an int, got {_describe(minor)}")

        scale = _NANOS_PER_MINOR[CURRENCY_EXPONENTS[code]]
        return cls(code, int(minor) * scale)

    def to_minor_units(self, field: str = "amount") -> int:
        """Convert to a Stripe `amount`, raising if part of a minor unit remains."""
        exponent = CURRENCY_EXPONENTS[self.currency]
        minor, remainder = divmod(self.nanos, _NANOS_PER_MINOR[exponent])
        if remainder:
            smallest = _to_decimal(_NANOS_PER_MINOR[exponent], exponent)
            raise MoneyError(
                field,
                f"{self} is not a whole number of minor units; a {self.currency} "
                f"amount for Stripe must be a multiple of {smallest}",
            )
        return minor

    def check_chargeable(self, field: str = "amount") -> None:
        """Raise MoneyError unless Stripe accepts this amount for a charge."""
        minor = self.to_minor_units(field)
        if minor <= 0:
            raise MoneyError(field, f"expected a positive amount, got {self}")
        if self.currency in _LAST_DIGIT_ZERO and minor % 10:
            raise MoneyError(
                field,
                f"Stripe requires the last digit of a {self.currency} amount to "
                f"be 0, got {self} ({minor} minor units); round it to a multiple "
                f"of 0.01 {self.currency}",
            )
        if self.currency in _WHOLE_UNITS_ONLY and minor % 100:
            whole = f"Stripe charges {self.currency} in whole units only"
            raise MoneyError(field, f"{whole}, got {self}")
        if minor > _STRIPE_MAX_AMOUNT:
            raise MoneyError(
                field,
                f"{self} is {minor} minor units, more than the 12 digits "
                f"Stripe accepts in an amount",
            )

    def _check_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(
                "currency",
                f"currency mismatch: {self.currency} and {other.currency} "
                f"amounts cannot be combined, because prepay never converts",
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return Money(self.currency, self.nanos + other.nanos)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return Money(self.currency, self.nanos - other.nanos)

    def __neg__(self) -> Money:
        return Money(self.currency, -self.nanos)

    def __abs__(self) -> Money:
        return Money(self.currency, abs(self.nanos))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return self.nanos < other.nanos

    def __str__(self) -> str:
        return f"{self.to_decimal():f} {self.currency}"

    def format(self, locale: str = "en_US") -> str:
        """Format for display with Babel, such as "$50.00" or "50,00 €".

        Babel pads to the currency's CLDR digits ("¥5,000", "ISK5,000"), and
        digits below that are kept, so a 0.00042 USD cost shows as "$0.00042".
        """
        exact = _to_decimal(self.nanos, 0)
        return format_currency(
            exact, self.currency, locale=locale, decimal_quantization=False
        )
