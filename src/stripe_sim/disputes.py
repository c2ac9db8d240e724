"""Disputes: opened by Stripe's dispute test cards, won or lost with test evidence.

A chargeback opens in `needs_response` and takes the disputed amount and a
dispute fee from the balance at once (`charge.dispute.funds_withdrawn`). An
inquiry opens in `warning_needs_response` and moves no money. Stripe's test
mode decides the outcome from the evidence's `uncategorized_text`
(https://docs.stripe.com/testing#disputes):

- `winning_evidence` closes a chargeback as `won`, which reinstates the funds,
  and an inquiry as `warning_closed`;
- `losing_evidence` closes a chargeback as `lost`, and an inquiry as
  `warning_closed` without escalation;
- `escalate_inquiry_evidence` turns an inquiry into a chargeback.

The update that submits evidence returns the dispute under review, and the
outcome follows at once as later events such as `charge.dispute.closed`. Any
other submitted evidence leaves the dispute under review.
Closing a dispute through the API accepts the loss.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from .api import Access, ApiCall, endpoint
from .cards import DisputeSpec
from .errors import InvalidRequestError
from .events import emit
from .forms import (
    check_known,
    get_bool,
    get_choice,
    get_int,
    get_map,
    get_metadata,
    get_str,
    merge_metadata,
)
from .ids import new_id, now
from .lists import LIST_PARAMS, filter_created, paginate
from .store import snapshot

JSON = dict[str, Any]

EVIDENCE_FIELDS = (
    "access_activity_log billing_address cancellation_policy "
    "cancellation_policy_disclosure cancellation_rebuttal customer_communication "
    "customer_email_address customer_name customer_purchase_ip customer_signature "
    "duplicate_charge_documentation duplicate_charge_explanation duplicate_charge_id "
    "product_description receipt refund_policy refund_policy_disclosure "
    "refund_refusal_explanation service_date service_documentation shipping_address "
    "shipping_carrier shipping_date shipping_documentation shipping_tracking_number "
    "uncategorized_file uncategorized_text"
).split()

REASONS = (
    "bank_cannot_process credit_not_processed customer_initiated debit_not_authorized "
    "duplicate fraudulent general incorrect_account_details insufficient_funds "
    "noncompliant product_not_received product_unacceptable subscription_canceled "
    "unrecognized"
).split()

OPEN_STATUSES = ("needs_response", "warning_needs_response")
CLOSED_STATUSES = ("won", "lost", "warning_closed")
EVIDENCE_DUE_SECONDS = 7 * 24 * 60 * 60

# Stripe's dispute fee in the United States is 15.00 USD. The simulator takes
# 1500 minor units in every currency.
DISPUTE_FEE = 1500


def build_dispute(charge: JSON, spec: DisputeSpec, amount: int) -> JSON:
    """Return a new dispute of a charge."""
    inquiry = spec.case_type == "inquiry"
    card = charge["payment_method_details"]["card"]
    return {
        "id": new_id("du"),
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": now() + EVIDENCE_DUE_SECONDS,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": inquiry,
        "livemode": False,
        "metadata": {},
        "network_reason_code": spec.network_reason_code,
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": card["brand"],
                "case_type": spec.case_type,
                "network": card["network"],
                "network_reason_code": spec.network_reason_code,
            },
            "type": "card",
        },
        "reason": spec.reason,
        "status": "warning_needs_response" if inquiry else "needs_response",
    }


def balance_transaction(dispute: JSON, withdrawal: bool) -> JSON:
    """Return the balance transaction that withdraws or reinstates disputed funds."""
    sign = -1 if withdrawal else 1
    fee = DISPUTE_FEE if withdrawal else -DISPUTE_FEE
    action = "withdrawal" if withdrawal else "reversal"
    created = now()
    return {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": sign * dispute["amount"],
        "available_on": created,
        "created": created,
        "currency": dispute["currency"],
        "description": f"Chargeback {action} for {dispute['charge']}",
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "application": None,
                "currency": dispute["currency"],
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ],
        "net": sign * dispute["amount"] - fee,
        "reporting_category": "dispute" if withdrawal else "dispute_reversal",
        "source": dispute["id"],
        "status": "available",
        "type": "adjustment",
    }


def open_dispute(
    call: ApiCall,
    charge: JSON,
    spec: DisputeSpec,
    amount: int | None = None,
    *,
    from_request: bool = False,
) -> JSON:
    """Open a dispute of a succeeded charge, as the card's issuer would."""
    if amount is None:
        amount = charge["amount"] - charge["amount_refunded"]
    dispute = call.store.add(build_dispute(charge, spec, amount))
    charge["disputed"] = True
    emit(call, "charge.dispute.created", dispute, from_request=from_request)
    if spec.case_type == "chargeback":
        _withdraw(call, dispute, from_request)
    return dispute


def _withdraw(call: ApiCall, dispute: JSON, from_request: bool) -> None:
    dispute["balance_transactions"].append(balance_transaction(dispute, True))
    emit(call, "charge.dispute.funds_withdrawn", dispute, from_request=from_request)


def update_dispute(call: ApiCall) -> JSON:
    """POST /v1/disputes/{id}: save evidence and, unless `submit=false`, submit it."""
    check_known(call.params, ("evidence", "metadata", "submit"))
    dispute = call.store.get(call.path("id"), "dispute")
    evidence = get_map(call.params, "evidence") or {}
    for name in evidence:
        if name not in EVIDENCE_FIELDS:
            raise InvalidRequestError(
                f"Received unknown parameter: evidence[{name}]",
                code="parameter_unknown",
                param=f"evidence[{name}]",
            )
    submit = get_bool(call.params, "submit", default=True)
    if evidence and dispute["status"] not in OPEN_STATUSES:
        raise InvalidRequestError(
            f"This dispute has a status of {dispute['status']}, so its evidence can "
            "no longer be updated. Evidence is accepted in: "
            f"{', '.join(OPEN_STATUSES)}.",
            param="evidence",
        )

    previous = _apply_evidence(call, dispute, evidence, submit)
    if previous:
        emit(call, "charge.dispute.updated", dispute, previous=previous)
    # Stripe decides test disputes asynchronously, so the response shows the
    # dispute under review, and the decision follows as later events.
    reviewed = snapshot(dispute)
    if submit and evidence:
        _decide(call, dispute, get_str(evidence, "uncategorized_text"))
    return reviewed


def _apply_evidence(call: ApiCall, dispute: JSON, evidence: JSON, submit: bool) -> JSON:
    previous: JSON = {}
    metadata = get_metadata(call.params)
    if metadata is not None:
        previous["metadata"] = dispute["metadata"]
        dispute["metadata"] = merge_metadata(dispute["metadata"], metadata)
    if not evidence:
        return previous

    previous["evidence"] = snapshot(dispute["evidence"])
    previous["evidence_details"] = snapshot(dispute["evidence_details"])
    for name in evidence:
        dispute["evidence"][name] = get_str(evidence, name)
    details = dispute["evidence_details"]
    details["has_evidence"] = True
    if submit:
        details["submission_count"] += 1
        previous["status"] = dispute["status"]
        inquiry = dispute["status"] == "warning_needs_response"
        dispute["status"] = "warning_under_review" if inquiry else "under_review"
    return previous


def _decide(call: ApiCall, dispute: JSON, text: str | None) -> None:
    """Apply Stripe's test-mode outcome of submitted evidence."""
    inquiry = dispute["status"] == "warning_under_review"
    if text == "escalate_inquiry_evidence" and inquiry:
        _escalate(call, dispute)
    elif text == "winning_evidence":
        _close(call, dispute, "warning_closed" if inquiry else "won")
    elif text == "losing_evidence":
        _close(call, dispute, "warning_closed" if inquiry else "lost")


def _escalate(call: ApiCall, dispute: JSON) -> None:
    previous = {"status": dispute["status"], "is_charge_refundable": True}
    dispute["status"] = "needs_response"
    dispute["is_charge_refundable"] = False
    dispute["payment_method_details"]["card"]["case_type"] = "chargeback"
    emit(call, "charge.dispute.updated", dispute, previous=previous, from_request=False)
    _withdraw(call, dispute, False)


def _close(call: ApiCall, dispute: JSON, status: str) -> None:
    previous = {"status": dispute["status"]}
    dispute["status"] = status
    emit(call, "charge.dispute.closed", dispute, previous=previous)
    if status == "won":
        dispute["balance_transactions"].append(balance_transaction(dispute, False))
        emit(call, "charge.dispute.funds_reinstated", dispute)


def close_dispute(call: ApiCall) -> JSON:
    """POST /v1/disputes/{id}/close: accept the dispute as lost."""
    check_known(call.params, ())
    dispute = call.store.get(call.path("id"), "dispute")
    if dispute["status"] in CLOSED_STATUSES:
        raise InvalidRequestError(
            f"This dispute is already closed with a status of {dispute['status']}."
        )
    inquiry = dispute["status"].startswith("warning_")
    _close(call, dispute, "warning_closed" if inquiry else "lost")
    return snapshot(dispute)


def retrieve_dispute(call: ApiCall) -> JSON:
    """GET /v1/disputes/{id}"""
    check_known(call.params, ())
    return snapshot(call.store.get(call.path("id"), "dispute"))


def list_disputes(call: ApiCall) -> JSON:
    """GET /v1/disputes, filtered by `charge` or `payment_intent`."""
    check_known(call.params, ("charge", "payment_intent", *LIST_PARAMS))
    disputes = filter_created(call.store.all("dispute"), call.params)
    for name in ("charge", "payment_intent"):
        value = get_str(call.params, name)
        if value is not None:
            disputes = [d for d in disputes if d[name] == value]
    return paginate(disputes, call.params, "/v1/disputes")


def simulate_dispute(call: ApiCall) -> JSON:
    """POST /_sim/charges/{id}/dispute: open a dispute of any succeeded charge."""
    check_known(call.params, ("reason", "case_type", "amount", "network_reason_code"))
    charge = call.store.get(call.path("id"), "charge")
    if charge["status"] != "succeeded":
        raise InvalidRequestError(
            f"Only a succeeded charge can be disputed; {charge['id']} has a status "
            f"of {charge['status']}."
        )
    reason = get_choice(call.params, "reason", REASONS, "fraudulent")
    case_type = get_choice(
        call.params, "case_type", ("chargeback", "inquiry"), "chargeback"
    )
    code = get_str(call.params, "network_reason_code") or "10.4"
    refundable = charge["amount"] - charge["amount_refunded"]
    amount = get_int(call.params, "amount", minimum=1)
    if amount is not None and amount > refundable:
        raise InvalidRequestError(
            f"Invalid amount {amount}: at most {refundable} of {charge['id']} is "
            "not yet refunded.",
            param="amount",
        )

    assert reason is not None and case_type is not None
    spec = DisputeSpec(reason, case_type, code)
    return snapshot(open_dispute(call, charge, spec, amount, from_request=True))


routes = [
    Route("/v1/disputes", endpoint(list_disputes), methods=["GET"]),
    Route("/v1/disputes/{id}", endpoint(retrieve_dispute), methods=["GET"]),
    Route("/v1/disputes/{id}", endpoint(update_dispute), methods=["POST"]),
    Route("/v1/disputes/{id}/close", endpoint(close_dispute), methods=["POST"]),
    Route(
        "/_sim/charges/{id}/dispute",
        endpoint(simulate_dispute, Access.OPEN),
        methods=["POST"],
    ),
]
