"""Confirmation of a PaymentIntent: 3D Secure, authorization and its outcome.

`prepare()` validates a confirmation before anything changes, and `confirm()`
runs it. A card that needs 3D Secure leaves the PaymentIntent in
`requires_action` until the simulator's challenge page or its `/_sim/` control
calls `complete_authentication()`. Every other card is authorized at once. An
authorization succeeds or is declined as the test card defines, and creates a
charge either way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from . import disputes
from .api import ApiCall
from .cards import (
    AUTHENTICATION_REQUIRED,
    PROCESSING_ERROR,
    Authentication,
    Decline,
    TestCard,
)
from .charges import build_charge
from .errors import CardError, InvalidRequestError, StripeError, unexpected_state
from .events import emit
from .forms import Params, get_bool, get_choice, get_map, get_str, get_str_list
from .payment_methods import (
    card_of,
    payment_method_from_details,
    resolve_payment_method,
)
from .store import snapshot

JSON = dict[str, Any]

CONFIRM_PARAMS = (
    "client_secret",
    "payment_method",
    "payment_method_data",
    "payment_method_options",
    "payment_method_types",
    "return_url",
    "receipt_email",
    "setup_future_usage",
    "off_session",
    "use_stripe_sdk",
    "mandate_data",
)
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")

RETURN_URL_MESSAGE = (
    "A `return_url` must be specified because this Payment Intent is configured to "
    "automatically accept the payment methods enabled in the Dashboard, some of "
    "which may require a full page redirect to succeed. If you do not want to "
    "accept redirect-based payment methods, set `automatic_payment_methods[enabled]` "
    "to `true` and `automatic_payment_methods[allow_redirects]` to `never` when "
    "creating Setup Intents and Payment Intents."
)
AUTHENTICATION_FAILURE_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this "
    "PaymentIntent again."
)


@dataclass(frozen=True)
class Attempt:
    """A validated confirmation, ready to run."""

    pm: JSON
    card: TestCard
    return_url: str | None
    off_session: bool
    use_stripe_sdk: bool


def read_payment_method_options(params: Params) -> JSON:
    """Return `payment_method_options` with the card's 3D Secure request."""
    options = get_map(params, "payment_method_options") or {}
    card = get_map(options, "card") or {}
    request = get_choice(
        card, "request_three_d_secure", ("automatic", "any", "challenge"), "automatic"
    )
    return {
        "card": {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": request,
        }
    }


def read_setup_future_usage(params: Params) -> str | None:
    """Return `setup_future_usage`, which an empty string clears."""
    return get_choice(params, "setup_future_usage", ("on_session", "off_session"))


def prepare(call: ApiCall, pi: JSON) -> Attempt:
    """Validate a confirmation of `pi` with the call's parameters."""
    if pi["status"] == "succeeded":
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it has already "
            "succeeded after being previously confirmed."
        )
    if pi["status"] not in CONFIRMABLE:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it has a status of "
            f"{pi['status']}. Only a PaymentIntent with one of the following "
            f"statuses may be confirmed: {', '.join(CONFIRMABLE)}."
        )
    params = call.params
    pm = _payment_method_for(call, pi)
    types = get_str_list(params, "payment_method_types") or pi["payment_method_types"]
    if pm["type"] not in types:
        raise InvalidRequestError(
            f"The PaymentMethod provided ({pm['type']}) is not allowed for this "
            "PaymentIntent. Please attach a PaymentMethod of one of the following "
            f"types: {', '.join(types)}.",
            code="payment_intent_incompatible_payment_method",
            param="payment_method",
        )

    attempt = Attempt(
        pm=pm,
        card=card_of(call.store, pm),
        return_url=get_str(params, "return_url"),
        off_session=get_bool(params, "off_session"),
        use_stripe_sdk=get_bool(params, "use_stripe_sdk"),
    )
    automatic = pi["automatic_payment_methods"]
    redirects_allowed = automatic and automatic["allow_redirects"] != "never"
    # NOTE: Stripe.js handles 3D Secure in its own frame, so the simulator
    # exempts publishable-key and use_stripe_sdk confirmations from this rule.
    # Whether Stripe exempts them too is not documented.
    exempt = call.publishable or attempt.use_stripe_sdk
    if redirects_allowed and not attempt.return_url and not exempt:
        raise InvalidRequestError(RETURN_URL_MESSAGE, param="return_url")
    return attempt


def _payment_method_for(call: ApiCall, pi: JSON) -> JSON:
    params = call.params
    data = get_map(params, "payment_method_data")
    pm_id = get_str(params, "payment_method")
    if data is not None and pm_id is not None:
        raise InvalidRequestError(
            "You may only specify one of these parameters: payment_method, "
            "payment_method_data.",
            param="payment_method_data",
        )
    if data is not None:
        return payment_method_from_details(call, data, "payment_method_data")
    if pm_id is not None:
        return resolve_payment_method(call.store, pm_id, "payment_method")
    if pi["payment_method"] is not None:
        return call.store.get(pi["payment_method"], "payment_method")
    raise unexpected_state(
        "You cannot confirm this PaymentIntent because it's missing a payment "
        "method. You can either update the PaymentIntent with a payment method and "
        "then confirm it again, or confirm it again directly with a payment method."
    )


def confirm(call: ApiCall, pi: JSON, attempt: Attempt) -> StripeError | None:
    """Run a prepared confirmation; return the card error of a declined payment."""
    params = call.params
    pi["payment_method"] = attempt.pm["id"]
    if "receipt_email" in params:
        pi["receipt_email"] = get_str(params, "receipt_email")
    if "setup_future_usage" in params:
        pi["setup_future_usage"] = read_setup_future_usage(params)
    if "payment_method_options" in params:
        pi["payment_method_options"] = read_payment_method_options(params)
    call.store.secret(pi["id"])["return_url"] = attempt.return_url

    requested = pi["payment_method_options"]["card"]["request_three_d_secure"]
    challenge = _needs_challenge(attempt.card, requested)
    if challenge is None:
        return authorize(call, pi, attempt.pm, PROCESSING_ERROR, None)
    if challenge and attempt.off_session:
        return authorize(call, pi, attempt.pm, AUTHENTICATION_REQUIRED, None)
    if challenge:
        pi.update(
            status="requires_action",
            next_action=_next_action(call, pi, attempt),
            last_payment_error=None,
        )
        emit(call, "payment_intent.requires_action", pi)
        return None
    return authorize(call, pi, attempt.pm, attempt.card.decline, None)


def _needs_challenge(card: TestCard, requested: str) -> bool | None:
    """Return whether 3D Secure challenges the cardholder, or None when the
    3D Secure lookup fails."""
    # NOTE: Stripe documents that these cards fail with processing_error. That
    # the failure creates a declined charge, as here, is not documented.
    if card.authentication is Authentication.LOOKUP_ERROR:
        return None
    challenge_requested = (
        requested in ("any", "challenge") and card.three_d_secure_supported
    )
    if card.authentication is Authentication.OPTIONAL_ERROR:
        return None if challenge_requested else False
    return card.authentication is Authentication.REQUIRED or challenge_requested


def _next_action(call: ApiCall, pi: JSON, attempt: Attempt) -> JSON:
    url = (
        f"{call.settings.base_url}/_sim/three_d_secure/{pi['id']}"
        f"?client_secret={pi['client_secret']}"
    )
    if attempt.return_url and not attempt.use_stripe_sdk:
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": attempt.return_url, "url": url},
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": url,
            "source": f"src_{pi['id'][3:]}",
        },
    }


def complete_authentication(call: ApiCall, pi: JSON, succeeded: bool) -> None:
    """Finish the 3D Secure challenge of a PaymentIntent in `requires_action`.

    A completed challenge goes on to authorize the card, which may still be
    declined. A failed challenge returns the PaymentIntent to
    `requires_payment_method` without a charge, as in Stripe.
    """
    if pi["status"] != "requires_action":
        raise unexpected_state(
            "This PaymentIntent has no 3D Secure challenge to complete: its status "
            f"is {pi['status']}, not requires_action."
        )
    pm = call.store.get(pi["payment_method"], "payment_method")
    if succeeded:
        card = card_of(call.store, pm)
        authorize(call, pi, pm, card.decline, _three_d_secure_result(card))
        return

    error = StripeError(
        AUTHENTICATION_FAILURE_MESSAGE,
        code="payment_intent_authentication_failure",
        extra={"payment_method": snapshot(pm)},
    )
    pi.update(
        status="requires_payment_method",
        last_payment_error=error.to_json()["error"],
        payment_method=None,
        next_action=None,
    )
    emit(call, "payment_intent.payment_failed", pi)


def _three_d_secure_result(card: TestCard) -> JSON:
    return {
        "authentication_flow": "challenge",
        "electronic_commerce_indicator": "02" if card.brand == "mastercard" else "05",
        "exemption_indicator": None,
        "result": "authenticated",
        "result_reason": None,
        "transaction_id": str(uuid.uuid4()),
        "version": "2.2.0",
    }


def authorize(
    call: ApiCall,
    pi: JSON,
    pm: JSON,
    decline: Decline | None,
    three_d_secure: JSON | None,
) -> CardError | None:
    """Create the charge of one authorization; return its card error if declined."""
    card = card_of(call.store, pm)
    charge = call.store.add(build_charge(pi, pm, card, decline, three_d_secure))
    if decline is not None:
        return _decline(call, pi, pm, charge, decline)

    pi.update(
        status="succeeded",
        amount_received=pi["amount"],
        latest_charge=charge["id"],
        last_payment_error=None,
        next_action=None,
    )
    emit(call, "charge.succeeded", charge)
    emit(call, "payment_intent.succeeded", pi)
    if pi["setup_future_usage"] and pi["customer"] and pm["customer"] is None:
        pm["customer"] = pi["customer"]
        emit(call, "payment_method.attached", pm)
    if card.dispute is not None:
        disputes.open_dispute(call, charge, card.dispute)
    return None


def _decline(
    call: ApiCall, pi: JSON, pm: JSON, charge: JSON, decline: Decline
) -> CardError:
    error = CardError(
        decline.message,
        code=decline.code,
        param=decline.param,
        decline_code=decline.decline_code,
        extra={"charge": charge["id"], "payment_method": snapshot(pm)},
    )
    pi.update(
        status="requires_payment_method",
        last_payment_error=error.to_json()["error"],
        latest_charge=charge["id"],
        payment_method=None,
        next_action=None,
    )
    emit(call, "charge.failed", charge)
    emit(call, "payment_intent.payment_failed", pi)
    return error
