"""PaymentMethods: card details from Stripe.js, and Stripe's test PaymentMethods.

Stripe.js creates a PaymentMethod with the publishable key from the card
number, expiry and CVC. Server code uses Stripe's test PaymentMethods such as
`pm_card_visa`, which Stripe turns into a new PaymentMethod, with its own id,
each time a call uses one. The full card number never leaves the simulator:
objects carry only `last4` and a fingerprint.
"""

from __future__ import annotations

import datetime
from typing import Any

from starlette.routing import Route

from .api import Access, ApiCall, endpoint
from .cards import CARDS_BY_NUMBER, TEST_PAYMENT_METHODS, TestCard, luhn_valid
from .customers import empty_address, live_customer
from .errors import (
    CardError,
    InvalidRequestError,
    ResourceMissingError,
    missing_param,
)
from .events import emit
from .forms import (
    Params,
    check_known,
    get_map,
    get_metadata,
    get_str,
    merge_metadata,
    require_str,
)
from .ids import new_id, now
from .lists import paginate
from .store import Store, snapshot

JSON = dict[str, Any]

LIVE_CARD_MESSAGE = (
    "Your card was declined. Your request was in test mode, but used a non test "
    "(live) card. For a list of valid test cards, visit: "
    "https://stripe.com/docs/testing."
)


def card_error(
    code: str, message: str, param: str, decline: str | None = None
) -> CardError:
    """Return the card error Stripe gives for invalid card details."""
    return CardError(message, code=code, param=param, decline_code=decline)


def read_card(
    details: Params, today: datetime.date | None = None
) -> tuple[TestCard, int, int]:
    """Validate card details and return the test card with its expiry month and year."""
    for name in ("number", "exp_month", "exp_year"):
        if get_str(details, name) is None:
            raise missing_param(f"card[{name}]")
    number = require_str(details, "number").replace(" ", "")
    if not luhn_valid(number):
        raise card_error("incorrect_number", "Your card number is incorrect.", "number")
    month = _read_expiry(details, "exp_month", "month")
    year = _read_expiry(details, "exp_year", "year")
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise card_error(
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
            "exp_month",
        )
    today = today or datetime.date.today()
    if year < today.year:
        raise card_error(
            "invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year"
        )
    if (year, month) < (today.year, today.month):
        raise card_error(
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
            "exp_month",
        )

    card = CARDS_BY_NUMBER.get(number)
    if card is None:
        raise card_error(
            "card_declined", LIVE_CARD_MESSAGE, "number", "test_mode_live_card"
        )
    cvc = get_str(details, "cvc")
    cvc_length = 4 if card.brand == "amex" else 3
    if cvc is not None and (not cvc.isdigit() or len(cvc) != cvc_length):
        raise card_error("invalid_cvc", "Your card's security code is invalid.", "cvc")
    return card, month, year


def _read_expiry(details: Params, name: str, label: str) -> int:
    text = require_str(details, name)
    if not text.isdigit():
        raise card_error(
            f"invalid_expiry_{label}",
            f"Your card's expiration {label} is invalid.",
            name,
        )
    return int(text)


def read_billing_details(params: Params) -> JSON:
    """Return `billing_details` with every field present."""
    fields = get_map(params, "billing_details") or {}
    address = empty_address()
    address_fields = get_map(fields, "address") or {}
    for key in address:
        address[key] = get_str(address_fields, key)
    return {
        "address": address,
        "email": get_str(fields, "email"),
        "name": get_str(fields, "name"),
        "phone": get_str(fields, "phone"),
        "tax_id": get_str(fields, "tax_id"),
    }


def build_payment_method(
    card: TestCard, month: int, year: int, billing_details: JSON, metadata: JSON
) -> JSON:
    """Return a new card PaymentMethod object."""
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details,
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked",
            },
            "country": card.country,
            "display_brand": card.brand,
            "exp_month": month,
            "exp_year": year,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": card.three_d_secure_supported},
            "wallet": None,
            "regulated_status": "unregulated",
        },
        "created": now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": metadata,
        "type": "card",
    }


def store_payment_method(store: Store, card: TestCard, pm: JSON) -> JSON:
    """Store a PaymentMethod with its card number kept private."""
    return store.add(pm, {"card_number": card.number})


def card_of(store: Store, pm: JSON) -> TestCard:
    """Return the test card behind a stored PaymentMethod."""
    return CARDS_BY_NUMBER[store.secret(pm["id"])["card_number"]]


def resolve_payment_method(store: Store, pm_id: str, param: str) -> JSON:
    """Return the stored PaymentMethod with this id, or a new one for a test id.

    A test id such as `pm_card_visa` gives a new PaymentMethod each time, with
    an expiry date in the future, as in Stripe.
    """
    number = TEST_PAYMENT_METHODS.get(pm_id)
    if number is None:
        return store.get(pm_id, "payment_method", param=param)
    card = CARDS_BY_NUMBER[number]
    expiry_year = datetime.date.today().year + 1
    pm = build_payment_method(card, 12, expiry_year, read_billing_details({}), {})
    return store_payment_method(store, card, pm)


def create_payment_method(call: ApiCall) -> JSON:
    """POST /v1/payment_methods, from card details sent with the publishable key."""
    check_known(call.params, ("type", "card", "billing_details", "metadata"))
    pm = payment_method_from_details(call, call.params, "")
    return snapshot(pm)


def payment_method_from_details(call: ApiCall, params: Params, prefix: str) -> JSON:
    """Create and store a card PaymentMethod from `type`, `card[...]` and
    `billing_details[...]`, as sent directly or as `payment_method_data`.

    `prefix` names the enclosing parameter in error messages.
    """
    pm_type = get_str(params, "type")
    if pm_type is None:
        raise missing_param(f"{prefix}type")
    if pm_type != "card":
        raise InvalidRequestError(
            f"The simulator supports PaymentMethods of type card only, got {pm_type}.",
            param=f"{prefix}type",
        )
    details = get_map(params, "card")
    if details is None:
        raise missing_param(f"{prefix}card")
    if not call.publishable:
        raise InvalidRequestError(
            "Sending card numbers from a server needs raw card data access, which "
            "the simulator does not grant. Create the PaymentMethod with the "
            "publishable key, as Stripe.js does, or use a test PaymentMethod such "
            "as pm_card_visa.",
            param=f"{prefix}card",
        )

    card, month, year = read_card(details)
    billing_details = read_billing_details(params)
    metadata = get_metadata(params) or {}
    pm = build_payment_method(card, month, year, billing_details, metadata)
    return store_payment_method(call.store, card, pm)


def retrieve_payment_method(call: ApiCall) -> JSON:
    """GET /v1/payment_methods/{id}"""
    check_known(call.params, ())
    return snapshot(call.store.get(call.path("id"), "payment_method"))


def update_payment_method(call: ApiCall) -> JSON:
    """POST /v1/payment_methods/{id}, for metadata and billing details."""
    check_known(call.params, ("metadata", "billing_details"))
    pm = call.store.get(call.path("id"), "payment_method")
    metadata = get_metadata(call.params)
    if metadata is not None:
        pm["metadata"] = merge_metadata(pm["metadata"], metadata)
    if "billing_details" in call.params:
        pm["billing_details"] = read_billing_details(call.params)
    emit(call, "payment_method.updated", pm)
    return snapshot(pm)


def attach_payment_method(call: ApiCall) -> JSON:
    """POST /v1/payment_methods/{id}/attach"""
    check_known(call.params, ("customer",))
    pm = resolve_payment_method(call.store, call.path("id"), "payment_method")
    customer = live_customer(
        call.store, require_str(call.params, "customer"), "customer"
    )
    pm["customer"] = customer["id"]
    emit(call, "payment_method.attached", pm)
    return snapshot(pm)


def detach_payment_method(call: ApiCall) -> JSON:
    """POST /v1/payment_methods/{id}/detach"""
    check_known(call.params, ())
    pm = call.store.get(call.path("id"), "payment_method")
    if pm["customer"] is None:
        raise InvalidRequestError(
            f"The payment method {pm['id']} is not attached to a customer.",
            code="payment_method_unexpected_state",
        )
    pm["customer"] = None
    emit(call, "payment_method.detached", pm)
    return snapshot(pm)


def list_payment_methods(call: ApiCall) -> JSON:
    """GET /v1/payment_methods?customer=cus_..."""
    check_known(
        call.params, ("customer", "type", "limit", "starting_after", "ending_before")
    )
    customer_id = require_str(call.params, "customer")
    if call.store.find(customer_id) is None:
        raise ResourceMissingError("customer", customer_id, param="customer")
    found = [
        pm for pm in call.store.all("payment_method") if pm["customer"] == customer_id
    ]
    return paginate(found, call.params, "/v1/payment_methods")


routes = [
    Route(
        "/v1/payment_methods",
        endpoint(create_payment_method, Access.ANY_KEY),
        methods=["POST"],
    ),
    Route("/v1/payment_methods", endpoint(list_payment_methods), methods=["GET"]),
    Route(
        "/v1/payment_methods/{id}", endpoint(retrieve_payment_method), methods=["GET"]
    ),
    Route(
        "/v1/payment_methods/{id}", endpoint(update_payment_method), methods=["POST"]
    ),
    Route(
        "/v1/payment_methods/{id}/attach",
        endpoint(attach_payment_method),
        methods=["POST"],
    ),
    Route(
        "/v1/payment_methods/{id}/detach",
        endpoint(detach_payment_method),
        methods=["POST"],
    ),
]
