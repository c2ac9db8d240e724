"""Currencies: which ones the simulator takes, their minor units and charge limits.

Source: https://docs.stripe.com/currencies. Amounts are integers in the
currency's minor unit. Zero-decimal currencies have no minor unit, and
three-decimal currencies take amounts whose last digit is 0.
"""

from __future__ import annotations

from .errors import InvalidRequestError

ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

# Presentment currencies, from Stripe's list of supported currencies.
SUPPORTED = (
    ZERO_DECIMAL
    | THREE_DECIMAL
    | frozenset(
        """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl
    bsd bwp byn bzd cad cdf chf cny cop crc cve czk dkk dop dzd egp etb eur fjd fkp
    gbp gel gip gmd gtq gyd hkd hnl htg huf idr ils inr isk jmd kes kgs khr kyd kzt
    lak lbp lkr lrd lsl mad mdl mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio
    nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd scr sek sgd shp sle
    sos srd std szl thb tjs top try ttd twd tzs uah uyu uzs wst xcd yer zar zmw
    """.split()
    )
)

# Minimum charge amounts in minor units for the currencies whose minimum Stripe
# documents. Other currencies are checked against 1 unit only.
MINIMUM_AMOUNTS = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

# Stripe's amount fields take at most eight digits.
MAXIMUM_AMOUNT = 99_999_999


def exponent(currency: str) -> int:
    """Return how many decimal digits the currency's minor unit has."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount: int, currency: str) -> str:
    """Format minor units as a decimal amount, such as `0.50 usd`."""
    digits = exponent(currency)
    if digits == 0:
        text = str(amount)
    else:
        text = f"{amount // 10**digits}.{amount % 10**digits:0{digits}d}"
    symbol = "$" if currency == "usd" else ""
    return f"{symbol}{text} {currency}"


def read_currency(value: str) -> str:
    """Return a supported currency code in lower case, or raise."""
    currency = value.lower()
    if currency not in SUPPORTED:
        raise InvalidRequestError(
            f"Invalid currency: {value}. Stripe currently supports these currencies: "
            + ", ".join(sorted(SUPPORTED)),
            param="currency",
        )
    return currency


def check_amount(amount: int, currency: str) -> None:
    """Raise Stripe's error for an amount outside the currency's limits."""
    minimum = MINIMUM_AMOUNTS.get(currency, 1)
    if amount < minimum:
        raise InvalidRequestError(
            f"Amount must be at least {format_amount(minimum, currency)}",
            code="amount_too_small",
            param="amount",
        )
    if amount > MAXIMUM_AMOUNT:
        raise InvalidRequestError(
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)}",
            code="amount_too_large",
            param="amount",
        )
    # NOTE: Stripe requires a last digit of 0 for three-decimal currencies, but
    # the code and message of its error are not documented; these are ours.
    if currency in THREE_DECIMAL and amount % 10 != 0:
        raise InvalidRequestError(
            f"Invalid amount {amount} for {currency}: amounts in three-decimal "
            "currencies must end in 0.",
            param="amount",
        )
