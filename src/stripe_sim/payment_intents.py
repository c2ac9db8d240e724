"""PaymentIntents: create, retrieve, update, confirm, cancel, list and search.

Server code uses the secret key for every call. Stripe.js uses the publishable
key with the PaymentIntent's `client_secret` to retrieve and confirm it, and
receives only the fields that Stripe marks as retrievable with a publishable
key. Confirmation itself lives in `confirmation`.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from . import confirmation
from .api import Access, ApiCall, endpoint
from .currencies import check_amount, read_currency
from .customers import live_customer
from .errors import InvalidRequestError, missing_param, unexpected_state
from .events import emit
from .forms import (
    Params,
    check_known,
    get_bool,
    get_choice,
    get_int,
    get_map,
    get_metadata,
    get_str,
    get_str_list,
    merge_metadata,
    require_str,
)
from .ids import new_client_secret, new_id, now
from .lists import LIST_PARAMS, filter_created, paginate, search_result
from .payment_methods import resolve_payment_method
from .search import parse_query
from .store import snapshot

JSON = dict[str, Any]

# Fields of a PaymentIntent that Stripe returns to a publishable key.
PUBLISHABLE_FIELDS = frozenset(
    """id object amount automatic_payment_methods canceled_at cancellation_reason
    capture_method client_secret confirmation_method created currency description
    excluded_payment_method_types last_payment_error livemode next_action
    payment_method payment_method_configuration_details payment_method_types
    processing receipt_email setup_future_usage shipping status""".split()
)

CREATE_PARAMS = (
    "amount",
    "currency",
    "customer",
    "metadata",
    "description",
    "payment_method",
    "payment_method_data",
    "payment_method_types",
    "payment_method_options",
    "automatic_payment_methods",
    "confirm",
    "return_url",
    "receipt_email",
    "capture_method",
    "confirmation_method",
    "setup_future_usage",
    "off_session",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "use_stripe_sdk",
)
UPDATE_PARAMS = (
    "amount",
    "currency",
    "customer",
    "metadata",
    "description",
    "payment_method",
    "payment_method_types",
    "receipt_email",
    "setup_future_usage",
    "statement_descriptor",
    "statement_descriptor_suffix",
)
SEARCHABLE = ("amount", "currency", "customer", "status", "metadata", "created")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


def read_payment_method_types(params: Params) -> tuple[list[str], JSON | None]:
    """Return `payment_method_types` and `automatic_payment_methods`.

    Since API version 2023-08-16 a PaymentIntent created with neither uses the
    payment methods enabled in the Dashboard, which in the simulator is cards.
    """
    types = get_str_list(params, "payment_method_types")
    automatic = get_map(params, "automatic_payment_methods")
    if types is not None and automatic is not None:
        raise InvalidRequestError(
            "You may only specify one of these parameters: "
            "automatic_payment_methods, payment_method_types.",
            param="automatic_payment_methods",
        )
    if types is not None:
        return types, None
    enabled = get_bool(automatic or {}, "enabled", default=True)
    if not enabled:
        raise InvalidRequestError(
            "automatic_payment_methods[enabled] must be true when "
            "payment_method_types is not given.",
            param="automatic_payment_methods[enabled]",
        )
    redirects = get_choice(
        automatic or {}, "allow_redirects", ("always", "never"), default="always"
    )
    return ["card"], {"allow_redirects": redirects, "enabled": True}


def build_payment_intent(call: ApiCall) -> JSON:
    """Return a new PaymentIntent from validated create parameters."""
    params = call.params
    amount = get_int(params, "amount")
    if amount is None:
        raise missing_param("amount")
    currency = read_currency(require_str(params, "currency"))
    check_amount(amount, currency)
    customer_id = get_str(params, "customer")
    if customer_id is not None:
        live_customer(call.store, customer_id, "customer")
    types, automatic = read_payment_method_types(params)
    capture_method = get_choice(
        params, "capture_method", ("automatic", "automatic_async"), "automatic_async"
    )

    pi_id = new_id("pi")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": new_client_secret(pi_id),
        "confirmation_method": get_choice(
            params, "confirmation_method", ("automatic", "manual"), "automatic"
        ),
        "created": now(),
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "description": get_str(params, "description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": get_metadata(params) or {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": (
            {"id": "pmc_simulator_default", "parent": None} if automatic else None
        ),
        "payment_method_options": confirmation.read_payment_method_options(params),
        "payment_method_types": types,
        "processing": None,
        "receipt_email": get_str(params, "receipt_email"),
        "review": None,
        "setup_future_usage": confirmation.read_setup_future_usage(params),
        "shipping": None,
        "source": None,
        "statement_descriptor": get_str(params, "statement_descriptor"),
        "statement_descriptor_suffix": get_str(params, "statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def create_payment_intent(call: ApiCall) -> JSON:
    """POST /v1/payment_intents, confirming at once when `confirm=true`."""
    check_known(call.params, CREATE_PARAMS)
    pi = build_payment_intent(call)
    confirm = get_bool(call.params, "confirm")
    if not confirm:
        for name in ("return_url", "off_session", "use_stripe_sdk"):
            if name in call.params:
                raise InvalidRequestError(
                    f"{name} can only be used when confirm=true.", param=name
                )
    attempt = confirmation.prepare(call, pi) if confirm else None
    pm_id = get_str(call.params, "payment_method")
    if not confirm and pm_id is not None:
        pm = resolve_payment_method(call.store, pm_id, "payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"

    call.store.add(pi, {"return_url": None})
    emit(call, "payment_intent.created", pi)
    if attempt is not None:
        run_confirmation(call, pi, attempt)
    return view(call, pi)


def retrieve_payment_intent(call: ApiCall) -> JSON:
    """GET /v1/payment_intents/{id}, with a secret key or a client secret."""
    check_known(call.params, ("client_secret",))
    pi = call.store.get(call.path("id"), "payment_intent")
    check_client_secret(call, pi)
    return view(call, pi)


def confirm_payment_intent(call: ApiCall) -> JSON:
    """POST /v1/payment_intents/{id}/confirm"""
    check_known(call.params, confirmation.CONFIRM_PARAMS)
    pi = call.store.get(call.path("id"), "payment_intent")
    check_client_secret(call, pi)
    attempt = confirmation.prepare(call, pi)
    run_confirmation(call, pi, attempt)
    return view(call, pi)


def run_confirmation(call: ApiCall, pi: JSON, attempt: confirmation.Attempt) -> None:
    """Confirm `pi` and raise the card error, with the PaymentIntent, of a decline."""
    error = confirmation.confirm(call, pi, attempt)
    if error is not None:
        error.extra["payment_intent"] = view(call, pi)
        raise error


def update_payment_intent(call: ApiCall) -> JSON:
    """POST /v1/payment_intents/{id}"""
    check_known(call.params, UPDATE_PARAMS)
    pi = call.store.get(call.path("id"), "payment_intent")
    params = call.params
    locked = pi["status"] in ("succeeded", "canceled", "processing")
    money_fields = ("amount", "currency", "customer", "payment_method")
    if locked and any(
        name in params for name in (*money_fields, "payment_method_types")
    ):
        raise unexpected_state(
            f"You cannot update this PaymentIntent's amount, currency, customer or "
            f"payment method because it has a status of {pi['status']}."
        )

    currency = read_currency(get_str(params, "currency") or pi["currency"])
    amount = get_int(params, "amount")
    if amount is not None or currency != pi["currency"]:
        check_amount(amount if amount is not None else pi["amount"], currency)
    customer_id = get_str(params, "customer")
    if customer_id is not None:
        live_customer(call.store, customer_id, "customer")
    pm_id = get_str(params, "payment_method")
    pm = resolve_payment_method(call.store, pm_id, "payment_method") if pm_id else None

    pi["currency"] = currency
    if amount is not None:
        pi["amount"] = amount
    if customer_id is not None:
        pi["customer"] = customer_id
    if pm is not None:
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    for name in ("description", "receipt_email", "statement_descriptor"):
        if name in params:
            pi[name] = get_str(params, name)
    if "statement_descriptor_suffix" in params:
        pi["statement_descriptor_suffix"] = get_str(
            params, "statement_descriptor_suffix"
        )
    if "setup_future_usage" in params:
        pi["setup_future_usage"] = confirmation.read_setup_future_usage(params)
    if "payment_method_types" in params:
        pi["payment_method_types"] = get_str_list(params, "payment_method_types")
        pi["automatic_payment_methods"] = None
    metadata = get_metadata(params)
    if metadata is not None:
        pi["metadata"] = merge_metadata(pi["metadata"], metadata)
    return view(call, pi)


def cancel_payment_intent(call: ApiCall) -> JSON:
    """POST /v1/payment_intents/{id}/cancel"""
    check_known(call.params, ("cancellation_reason",))
    pi = call.store.get(call.path("id"), "payment_intent")
    reason = get_choice(
        call.params,
        "cancellation_reason",
        ("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
    )
    if pi["status"] not in CANCELABLE:
        raise unexpected_state(
            "You cannot cancel this PaymentIntent because it has a status of "
            f"{pi['status']}. Only a PaymentIntent with one of the following "
            f"statuses may be canceled: {', '.join(CANCELABLE)}."
        )

    pi.update(
        status="canceled",
        canceled_at=now(),
        cancellation_reason=reason,
        next_action=None,
    )
    emit(call, "payment_intent.canceled", pi)
    return view(call, pi)


def list_payment_intents(call: ApiCall) -> JSON:
    """GET /v1/payment_intents, optionally for one `customer`."""
    check_known(call.params, ("customer", *LIST_PARAMS))
    intents = filter_created(call.store.all("payment_intent"), call.params)
    customer_id = get_str(call.params, "customer")
    if customer_id is not None:
        intents = [pi for pi in intents if pi["customer"] == customer_id]
    return paginate(intents, call.params, "/v1/payment_intents")


def search_payment_intents(call: ApiCall) -> JSON:
    """GET /v1/payment_intents/search"""
    check_known(call.params, ("query", "limit", "page"))
    matches = parse_query(require_str(call.params, "query"), SEARCHABLE)
    found = [pi for pi in call.store.all("payment_intent") if matches(pi)]
    return search_result("/v1/payment_intents/search", found, call.params)


def check_client_secret(call: ApiCall, pi: JSON) -> None:
    """Reject a publishable-key call without the PaymentIntent's client secret."""
    if not call.publishable:
        return
    secret = get_str(call.params, "client_secret")
    if secret is None:
        raise missing_param("client_secret")
    if secret != pi["client_secret"]:
        raise InvalidRequestError(
            "The client_secret provided does not match the client_secret "
            "associated with the PaymentIntent.",
            param="client_secret",
        )


def view(call: ApiCall, pi: JSON) -> JSON:
    """Return a copy of the PaymentIntent as the caller's key may see it."""
    return publishable_view(pi) if call.publishable else snapshot(pi)


def publishable_view(pi: JSON) -> JSON:
    """Return a copy of the fields of a PaymentIntent that Stripe.js may see."""
    copy = snapshot(pi)
    return {name: value for name, value in copy.items() if name in PUBLISHABLE_FIELDS}


routes = [
    Route("/v1/payment_intents", endpoint(create_payment_intent), methods=["POST"]),
    Route("/v1/payment_intents", endpoint(list_payment_intents), methods=["GET"]),
    Route(
        "/v1/payment_intents/search",
        endpoint(search_payment_intents),
        methods=["GET"],
    ),
    Route(
        "/v1/payment_intents/{id}",
        endpoint(retrieve_payment_intent, Access.ANY_KEY),
        methods=["GET"],
    ),
    Route(
        "/v1/payment_intents/{id}",
        endpoint(update_payment_intent),
        methods=["POST"],
    ),
    Route(
        "/v1/payment_intents/{id}/confirm",
        endpoint(confirm_payment_intent, Access.ANY_KEY),
        methods=["POST"],
    ),
    Route(
        "/v1/payment_intents/{id}/cancel",
        endpoint(cancel_payment_intent),
        methods=["POST"],
    ),
]
