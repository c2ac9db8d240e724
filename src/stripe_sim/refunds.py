"""Refunds of succeeded charges, partial and repeated, never more than is left.

Each refund raises the charge's cumulative `amount_refunded`, and `refunded`
becomes true once the whole amount is refunded. Refunds of test cards succeed
at once. A charge under a chargeback cannot be refunded, as in Stripe.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from .api import ApiCall, endpoint
from .currencies import format_amount
from .errors import InvalidRequestError
from .events import emit
from .forms import (
    check_known,
    get_choice,
    get_int,
    get_metadata,
    get_str,
    merge_metadata,
)
from .ids import new_id, now
from .lists import LIST_PARAMS, filter_created, paginate
from .store import Store, snapshot

JSON = dict[str, Any]

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def build_refund(charge: JSON, amount: int, reason: str | None, metadata: JSON) -> JSON:
    """Return a new, succeeded refund of a charge."""
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def refundable_charge(store: Store, charge_id: str | None, pi_id: str | None) -> JSON:
    """Return the succeeded charge that a refund names directly or through its
    PaymentIntent."""
    if charge_id is None and pi_id is None:
        raise InvalidRequestError(
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
            code="parameter_missing",
        )
    if pi_id is not None:
        pi = store.get(pi_id, "payment_intent", param="payment_intent")
        if pi["status"] != "succeeded" or pi["latest_charge"] is None:
            raise InvalidRequestError(
                "This PaymentIntent does not have a successful charge to refund.",
                param="payment_intent",
            )
        if charge_id is not None and charge_id != pi["latest_charge"]:
            raise InvalidRequestError(
                f"The charge {charge_id} does not belong to PaymentIntent {pi_id}.",
                param="charge",
            )
        charge_id = pi["latest_charge"]
    assert charge_id is not None
    charge = store.get(charge_id, "charge", param="charge")
    if charge["status"] != "succeeded":
        raise InvalidRequestError(
            f"Charge {charge_id} has a status of {charge['status']}, so it cannot "
            "be refunded.",
            param="charge",
        )
    return charge


def check_not_charged_back(store: Store, charge: JSON) -> None:
    """Raise `charge_disputed` while a chargeback has the charge's funds."""
    for dispute in store.all("dispute"):
        chargeback = not dispute["is_charge_refundable"]
        if (
            dispute["charge"] == charge["id"]
            and chargeback
            and dispute["status"] != "won"
        ):
            raise InvalidRequestError(
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
                param="charge",
            )


def create_refund(call: ApiCall) -> JSON:
    """POST /v1/refunds"""
    check_known(
        call.params, ("charge", "payment_intent", "amount", "reason", "metadata")
    )
    charge = refundable_charge(
        call.store,
        get_str(call.params, "charge"),
        get_str(call.params, "payment_intent"),
    )
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining == 0:
        raise InvalidRequestError(
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param="charge",
        )
    check_not_charged_back(call.store, charge)
    amount = get_int(call.params, "amount", minimum=1)
    if amount is None:
        amount = remaining
    if amount > remaining:
        raise _amount_too_large(charge, amount, remaining)
    reason = get_choice(call.params, "reason", REASONS)
    metadata = get_metadata(call.params) or {}

    refund = call.store.add(build_refund(charge, amount, reason, metadata))
    previous = {
        "amount_refunded": charge["amount_refunded"],
        "refunded": charge["refunded"],
        "refunds": snapshot(charge["refunds"]),
    }
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    charge["refunds"]["data"].insert(0, snapshot(refund))
    charge["refunds"]["total_count"] += 1
    emit(call, "charge.refunded", charge, previous=previous)
    emit(call, "refund.created", refund)
    return snapshot(refund)


def _amount_too_large(charge: JSON, amount: int, remaining: int) -> InvalidRequestError:
    currency = charge["currency"]
    if charge["amount_refunded"] == 0:
        limit = f"charge amount ({format_amount(remaining, currency)})"
    else:
        limit = f"unrefunded amount on charge ({format_amount(remaining, currency)})"
    return InvalidRequestError(
        f"Refund amount ({format_amount(amount, currency)}) is greater than {limit}",
        code="amount_too_large",
        param="amount",
    )


def retrieve_refund(call: ApiCall) -> JSON:
    """GET /v1/refunds/{id}"""
    check_known(call.params, ())
    return snapshot(call.store.get(call.path("id"), "refund"))


def update_refund(call: ApiCall) -> JSON:
    """POST /v1/refunds/{id}, for metadata only, as in Stripe."""
    check_known(call.params, ("metadata",))
    refund = call.store.get(call.path("id"), "refund")
    metadata = get_metadata(call.params)
    if metadata is not None:
        previous = {"metadata": refund["metadata"]}
        refund["metadata"] = merge_metadata(refund["metadata"], metadata)
        emit(call, "refund.updated", refund, previous=previous)
    return snapshot(refund)


def list_refunds(call: ApiCall) -> JSON:
    """GET /v1/refunds, filtered by `charge` or `payment_intent`."""
    check_known(call.params, ("charge", "payment_intent", *LIST_PARAMS))
    refunds = filter_created(call.store.all("refund"), call.params)
    for name in ("charge", "payment_intent"):
        value = get_str(call.params, name)
        if value is not None:
            refunds = [refund for refund in refunds if refund[name] == value]
    return paginate(refunds, call.params, "/v1/refunds")


routes = [
    Route("/v1/refunds", endpoint(create_refund), methods=["POST"]),
    Route("/v1/refunds", endpoint(list_refunds), methods=["GET"]),
    Route("/v1/refunds/{id}", endpoint(retrieve_refund), methods=["GET"]),
    Route("/v1/refunds/{id}", endpoint(update_refund), methods=["POST"]),
]
