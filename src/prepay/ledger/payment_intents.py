"""Event handlers for PaymentIntents: the top-up's way to COMPLETED or FAILED.

A PaymentIntent is matched to its top-up by id, or, when the top-up's row
never got the id (a crash between Stripe's response and our write), by the
transaction id that prepay put in its metadata. A PaymentIntent with no
prepay metadata, or whose metadata names another account, is kept for
review and credits nothing.

``settle`` applies a PaymentIntent's current state the same way, for the
sweep that queries Stripe for top-ups whose webhook never arrived.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from prepay.ledger import topups
from prepay.ledger.events import Handler, IncomingEvent, Outcome
from prepay.ledger.models import LedgerEntry
from prepay.money import Money, MoneyError, normalize_currency

# Metadata keys that prepay writes on every PaymentIntent it creates.
ACCOUNT_KEY = "prepay_account_id"
TRANSACTION_KEY = "prepay_transaction_id"
EMAIL_KEY = "prepay_user_email"

# PaymentIntent statuses that wait for the customer or the bank.
WAITING_STATUSES = (
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "processing",
)


def match_topup(
    session: Session, payment_intent: dict[str, Any]
) -> tuple[LedgerEntry | None, str | None]:
    """Find the top-up that ``payment_intent`` pays; return (entry, why not)."""
    metadata = payment_intent.get("metadata") or {}
    if not isinstance(metadata, dict):
        return None, f"PaymentIntent metadata is a {type(metadata).__name__}"
    account_id = metadata.get(ACCOUNT_KEY)
    transaction_id = metadata.get(TRANSACTION_KEY)
    if not account_id or not transaction_id:
        return None, "PaymentIntent has no prepay metadata"
    if not isinstance(account_id, str) or not isinstance(transaction_id, str):
        return None, "PaymentIntent's prepay metadata values are not strings"

    entry = topups.find_topup_by_payment_intent(session, payment_intent["id"])
    if entry is None:
        entry = session.get(LedgerEntry, transaction_id)
        if entry is None or entry.type != "CREDIT":
            return None, f"no top-up {transaction_id} for this PaymentIntent"
        if entry.stripe_payment_intent_id not in (None, payment_intent["id"]):
            return None, f"top-up {entry.id} belongs to another PaymentIntent"
        topups.attach_payment_intent(session, entry.id, payment_intent["id"])
    if entry.account_id != account_id:
        return None, (
            f"metadata names account {account_id} but top-up {entry.id} "
            f"belongs to {entry.account_id}"
        )
    return entry, None


def received_amount(
    stripe_object: dict[str, Any], field: str, entry: LedgerEntry
) -> Money | str:
    """Read ``field``, a positive amount in minor units, in the top-up's currency.

    Returns the amount, or the reason it cannot be used.
    """
    minor = stripe_object.get(field)
    if not isinstance(minor, int) or isinstance(minor, bool) or minor <= 0:
        return f"{field} {minor!r} is not a positive integer"
    try:
        currency = normalize_currency(stripe_object.get("currency"), "currency")
        received = Money.from_minor_units(currency, minor)
    except MoneyError as exc:
        return str(exc)
    if received.currency != entry.currency:
        return f"paid in {received.currency} but the top-up is in {entry.currency}"
    return received


def object_id(value: object) -> str | None:
    """Return the id from a field that is either an id or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def on_succeeded(session: Session, event: IncomingEvent) -> Outcome:
    return _succeeded(session, event.data)


def _succeeded(session: Session, payment_intent: dict[str, Any]) -> Outcome:
    entry, problem = match_topup(session, payment_intent)
    if entry is None:
        return Outcome("REVIEW", note=problem)
    received = received_amount(payment_intent, "amount_received", entry)
    if isinstance(received, str):
        return Outcome("REVIEW", entry.account_id, note=received)

    charge_id = object_id(payment_intent.get("latest_charge"))
    if topups.complete_topup(session, entry, received, charge_id):
        return Outcome("PROCESSED", entry.account_id)
    status = topups.current_status(session, entry.id)
    if status == "CANCELED":
        # Stripe took the money for a top-up that prepay had given up on.
        return Outcome(
            "REVIEW",
            entry.account_id,
            note=f"PaymentIntent succeeded but top-up {entry.id} is CANCELED; "
            "credit it with an adjustment or refund the payment",
        )
    return Outcome(
        "PROCESSED", entry.account_id, note=f"top-up {entry.id} was {status}"
    )


def on_payment_failed(session: Session, event: IncomingEvent) -> Outcome:
    return _failed(session, event.data)


def _failed(session: Session, payment_intent: dict[str, Any]) -> Outcome:
    entry, problem = match_topup(session, payment_intent)
    if entry is None:
        return Outcome("REVIEW", note=problem)

    # The top-up's failure code and message are what the billing page shows.
    error = payment_intent.get("last_payment_error") or {}
    if not isinstance(error, dict):
        return Outcome(
            "REVIEW",
            entry.account_id,
            note=f"last_payment_error is a {type(error).__name__}, not an object",
        )
    code = str(error.get("decline_code") or error.get("code") or "payment_failed")
    message = str(error.get("message") or "The payment failed.")
    if topups.fail_topup(session, entry, code, message):
        return Outcome("PROCESSED", entry.account_id)
    return _left_as_it_is(session, entry)


def on_canceled(session: Session, event: IncomingEvent) -> Outcome:
    return _canceled(session, event.data)


def _canceled(session: Session, payment_intent: dict[str, Any]) -> Outcome:
    entry, problem = match_topup(session, payment_intent)
    if entry is None:
        return Outcome("REVIEW", note=problem)
    reason = str(payment_intent.get("cancellation_reason") or "canceled")
    if topups.cancel_topup(session, entry, reason):
        return Outcome("PROCESSED", entry.account_id)
    return _left_as_it_is(session, entry)


def _left_as_it_is(session: Session, entry: LedgerEntry) -> Outcome:
    status = topups.current_status(session, entry.id)
    note = f"top-up {entry.id} was {status}; left as it is"
    return Outcome("PROCESSED", entry.account_id, note=note)


def on_status_detail(session: Session, event: IncomingEvent) -> Outcome:
    """Record processing or requires_action on the top-up; no money moves."""
    return _status_detail(session, event.data)


def _status_detail(session: Session, payment_intent: dict[str, Any]) -> Outcome:
    entry, problem = match_topup(session, payment_intent)
    if entry is None:
        return Outcome("REVIEW", note=problem)
    if entry.status == "PENDING":
        detail = {"stripeStatus": payment_intent.get("status")}
        topups.note_status(session, entry, detail)
    return Outcome("PROCESSED", entry.account_id)


def _waiting(session: Session, payment_intent: dict[str, Any]) -> Outcome:
    # A declined attempt leaves the PaymentIntent in requires_payment_method
    # with the decline in last_payment_error, as payment_failed reports it.
    if payment_intent.get("last_payment_error"):
        return _failed(session, payment_intent)
    return _status_detail(session, payment_intent)


_SETTLE_BY_STATUS: dict[str, Callable[[Session, dict[str, Any]], Outcome]] = {
    "succeeded": _succeeded,
    "canceled": _canceled,
    **{status: _waiting for status in WAITING_STATUSES},
}


def settle(session: Session, payment_intent: dict[str, Any]) -> Outcome:
    """Apply a PaymentIntent's current state, as retrieved from Stripe."""
    status = str(payment_intent.get("status"))
    settle_status = _SETTLE_BY_STATUS.get(status)
    if settle_status is None:
        return Outcome("REVIEW", note=f"PaymentIntent status {status!r} is unknown")
    return settle_status(session, payment_intent)


HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": on_succeeded,
    "payment_intent.payment_failed": on_payment_failed,
    "payment_intent.canceled": on_canceled,
    "payment_intent.processing": on_status_detail,
    "payment_intent.requires_action": on_status_detail,
}
