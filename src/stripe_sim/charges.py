"""Charges: the authorization attempts behind a PaymentIntent.

A confirmed PaymentIntent creates one charge per attempt: `succeeded` with the
amount captured, or `failed` with Stripe's `failure_code`, `failure_message`
and `outcome`. The PaymentIntent's `latest_charge` is the id of the newest.
Refunds raise the charge's cumulative `amount_refunded`, and a dispute sets
`disputed`.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from .api import ApiCall, endpoint
from .cards import Decline, TestCard
from .forms import check_known, get_str
from .ids import new_id, now
from .lists import LIST_PARAMS, filter_created, paginate
from .store import snapshot

JSON = dict[str, Any]

APPROVED_OUTCOME: JSON = {
    "advice_code": None,
    "network_advice_code": None,
    "network_decline_code": None,
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "risk_score": 32,
    "seller_message": "Payment complete.",
    "type": "authorized",
}


def declined_outcome(decline: Decline) -> JSON:
    """Return the `outcome` of a charge that the issuer declined."""
    return {
        **APPROVED_OUTCOME,
        "network_status": "declined_by_network",
        "reason": decline.decline_code or decline.code,
        "seller_message": "The bank did not return any further details with "
        "this decline.",
        "type": "issuer_declined",
    }


def card_details(
    pm: JSON, card: TestCard, amount: int | None, three_d_secure: JSON | None
) -> JSON:
    """Return `payment_method_details` of a card charge."""
    pm_card = pm["card"]
    return {
        "card": {
            "amount_authorized": amount,
            "authorization_code": None,
            "brand": card.brand,
            "checks": dict(pm_card["checks"]),
            "country": card.country,
            "exp_month": pm_card["exp_month"],
            "exp_year": pm_card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card.last4,
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card.brand,
            "network_token": {"used": False},
            "network_transaction_id": None,
            "overcapture": {
                "maximum_amount_capturable": amount or 0,
                "status": "unavailable",
            },
            "regulated_status": "unregulated",
            "three_d_secure": three_d_secure,
            "transaction_link_id": None,
            "wallet": None,
        },
        "type": "card",
    }


def build_charge(
    pi: JSON,
    pm: JSON,
    card: TestCard,
    decline: Decline | None,
    three_d_secure: JSON | None,
) -> JSON:
    """Return a new charge for one authorization attempt of a PaymentIntent."""
    charge_id = new_id("ch")
    succeeded = decline is None
    amount = pi["amount"]
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn") if succeeded else None,
        "billing_details": snapshot(pm["billing_details"]),
        "calculated_statement_descriptor": pi["statement_descriptor"] or "SIMULATOR",
        "captured": succeeded,
        "created": now(),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "on_behalf_of": None,
        "outcome": declined_outcome(decline) if decline else dict(APPROVED_OUTCOME),
        "paid": succeeded,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": card_details(
            pm, card, amount if succeeded else None, three_d_secure
        ),
        "radar_options": {},
        "receipt_email": pi["receipt_email"],
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": pi["statement_descriptor"],
        "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def retrieve_charge(call: ApiCall) -> JSON:
    """GET /v1/charges/{id}"""
    check_known(call.params, ())
    return snapshot(call.store.get(call.path("id"), "charge"))


def list_charges(call: ApiCall) -> JSON:
    """GET /v1/charges, filtered by `payment_intent` or `customer`."""
    check_known(call.params, ("payment_intent", "customer", *LIST_PARAMS))
    charges = filter_created(call.store.all("charge"), call.params)
    for name in ("payment_intent", "customer"):
        value = get_str(call.params, name)
        if value is not None:
            charges = [charge for charge in charges if charge[name] == value]
    return paginate(charges, call.params, "/v1/charges")


def list_charge_refunds(call: ApiCall) -> JSON:
    """GET /v1/charges/{id}/refunds"""
    check_known(call.params, ("limit", "starting_after", "ending_before"))
    charge = call.store.get(call.path("id"), "charge")
    refunds = [r for r in call.store.all("refund") if r["charge"] == charge["id"]]
    return paginate(refunds, call.params, f"/v1/charges/{charge['id']}/refunds")


routes = [
    Route("/v1/charges", endpoint(list_charges), methods=["GET"]),
    Route("/v1/charges/{id}", endpoint(retrieve_charge), methods=["GET"]),
    Route("/v1/charges/{id}/refunds", endpoint(list_charge_refunds), methods=["GET"]),
]
