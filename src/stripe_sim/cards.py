"""Stripe's test card numbers and test PaymentMethods, with the outcome of each.

The numbers and outcomes follow Stripe's testing documentation
(https://docs.stripe.com/testing): the declined-payment table, the 3D Secure
and authentication tables, and the dispute table. Any other number that passes
the Luhn check is treated as a real card and declined, as Stripe does in test
mode.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Decline:
    """The card error that a declined authorization returns."""

    code: str
    message: str
    decline_code: str | None = None
    param: str | None = None


class Authentication(Enum):
    """Outcome of 3D Secure for an on-session payment with the card."""

    NONE = "none"  # not enrolled, or 3D Secure not requested
    REQUIRED = "required"  # the issuer always requires a challenge
    LOOKUP_ERROR = "lookup_error"  # required, but the lookup fails
    OPTIONAL_ERROR = "optional_error"  # fails only when a challenge is requested


@dataclass(frozen=True)
class DisputeSpec:
    """The dispute that the card's issuer opens after a successful payment."""

    reason: str
    case_type: str  # "chargeback" or "inquiry"
    network_reason_code: str


@dataclass(frozen=True)
class TestCard:
    """A test card number and what happens when it pays."""

    __test__ = False  # not a pytest test class, despite the name

    number: str
    brand: str
    funding: str = "credit"
    country: str = "US"
    decline: Decline | None = None
    authentication: Authentication = Authentication.NONE
    three_d_secure_supported: bool = True
    dispute: DisputeSpec | None = None

    @property
    def last4(self) -> str:
        """Return the last four digits, the only part of the number Stripe returns."""
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        """Return a stable fingerprint of the number, as Stripe's `card.fingerprint`."""
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]


GENERIC_DECLINE = Decline(
    "card_declined", "Your card was declined.", decline_code="generic_decline"
)
INSUFFICIENT_FUNDS = Decline(
    "card_declined",
    "Your card has insufficient funds.",
    decline_code="insufficient_funds",
)
LOST_CARD = Decline(
    "card_declined", "Your card was declined.", decline_code="lost_card"
)
STOLEN_CARD = Decline(
    "card_declined", "Your card was declined.", decline_code="stolen_card"
)
EXPIRED_CARD = Decline("expired_card", "Your card has expired.", param="exp_month")
INCORRECT_CVC = Decline(
    "incorrect_cvc", "Your card's security code is incorrect.", param="cvc"
)
PROCESSING_ERROR = Decline(
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)
VELOCITY_EXCEEDED = Decline(
    "card_declined",
    "Your card was declined for making repeated attempts too frequently or "
    "exceeding its amount limit.",
    decline_code="card_velocity_exceeded",
)
AUTHENTICATION_REQUIRED = Decline(
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
    decline_code="authentication_required",
)

_CARDS = [
    # Successful payments by brand.
    TestCard("4242424242424242", "visa"),
    TestCard("4000056655665556", "visa", funding="debit"),
    TestCard("5555555555554444", "mastercard"),
    TestCard("2223003122003222", "mastercard"),
    TestCard("5200828282828210", "mastercard", funding="debit"),
    TestCard("5105105105105100", "mastercard", funding="prepaid"),
    TestCard("378282246310005", "amex", three_d_secure_supported=False),
    TestCard("371449635398431", "amex"),
    TestCard("6011111111111117", "discover"),
    TestCard("3056930009020004", "diners"),
    TestCard("36227206271667", "diners"),
    TestCard("3566002020360505", "jcb", country="JP"),
    TestCard("6200000000000005", "unionpay", country="CN"),
    # Declined payments.
    TestCard("4000000000000002", "visa", decline=GENERIC_DECLINE),
    TestCard("4000000000009995", "visa", decline=INSUFFICIENT_FUNDS),
    TestCard("4000000000009987", "visa", decline=LOST_CARD),
    TestCard("4000000000009979", "visa", decline=STOLEN_CARD),
    TestCard("4000000000000069", "visa", decline=EXPIRED_CARD),
    TestCard("4000000000000127", "visa", decline=INCORRECT_CVC),
    TestCard("4000000000000119", "visa", decline=PROCESSING_ERROR),
    TestCard("4000000000006975", "visa", decline=VELOCITY_EXCEEDED),
    # Attaching to a Customer succeeds, but every charge fails.
    TestCard("4000000000000341", "visa", decline=GENERIC_DECLINE),
    # 3D Secure and authentication.
    TestCard(
        "4000002500003155", "visa", country="FR", authentication=Authentication.REQUIRED
    ),
    TestCard(
        "4000002760003184", "visa", country="DE", authentication=Authentication.REQUIRED
    ),
    TestCard(
        "4000008260003178",
        "visa",
        country="GB",
        authentication=Authentication.REQUIRED,
        decline=INSUFFICIENT_FUNDS,
    ),
    TestCard("4000000000003220", "visa", authentication=Authentication.REQUIRED),
    TestCard("4000000000003063", "visa", authentication=Authentication.REQUIRED),
    TestCard(
        "4000008400001629",
        "visa",
        authentication=Authentication.REQUIRED,
        decline=GENERIC_DECLINE,
    ),
    TestCard("4000008400001280", "visa", authentication=Authentication.LOOKUP_ERROR),
    TestCard("4000000000003055", "visa"),
    TestCard("4000000000003097", "visa", authentication=Authentication.OPTIONAL_ERROR),
    # Disputes, opened right after the payment succeeds.
    TestCard(
        "4000000000000259",
        "visa",
        dispute=DisputeSpec("fraudulent", "chargeback", "10.4"),
    ),
    TestCard(
        "4000000000002685",
        "visa",
        dispute=DisputeSpec("product_not_received", "chargeback", "13.1"),
    ),
    TestCard(
        "4000000000001976", "visa", dispute=DisputeSpec("fraudulent", "inquiry", "10")
    ),
]

CARDS_BY_NUMBER = {card.number: card for card in _CARDS}

# Stripe's test PaymentMethod ids. Where Stripe's documentation and older
# integrations use two spellings, both are accepted.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_mastercard_prepaid": "5105105105105100",
    "pm_card_amex": "371449635398431",
    "pm_card_discover": "6011111111111117",
    "pm_card_diners": "3056930009020004",
    "pm_card_jcb": "3566002020360505",
    "pm_card_unionpay": "6200000000000005",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_visa_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": "4000008260003178",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_threeDSecureRequiredChargeDeclined": "4000008400001629",
    "pm_card_threeDSecureRequiredProcessingError": "4000008400001280",
    "pm_card_threeDSecureOptional": "4000000000003055",
    "pm_card_threeDSecureOptionalProcessingError": "4000000000003097",
    "pm_card_amex_threeDSecureNotSupported": "378282246310005",
    "pm_card_createDispute": "4000000000000259",
    "pm_card_createDisputeProductNotReceived": "4000000000002685",
    "pm_card_createDisputeInquiry": "4000000000001976",
}


def luhn_valid(number: str) -> bool:
    """Return whether a card number passes the Luhn checksum."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def brand_of(number: str) -> str:
    """Return the card brand that a number's prefix belongs to."""
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3]) <= 649:
        return "discover"
    if number.startswith(("36", "38", "39")) or 300 <= int(number[:3]) <= 305:
        return "diners"
    if number.startswith("35"):
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"
