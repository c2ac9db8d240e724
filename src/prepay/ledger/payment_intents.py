"""Event handlers for PaymentIntents: the top-up's way to COMPLETED or FAILED.

A PaymentIntent is matched to its top-up by id, or, when the top-up's row
never got the id (a crash between Stripe's answer and our write), by the
transaction id that prepay put in its metadata. A PaymentIntent with no
prepay metadata, or whose metadata names another account, is kept for
review and credits nothing.
"""

from typing import Any

from sqlalchemy.orm import Session

from prepay.ledger import topups
from prepay.ledger.events import IncomingEvent, Outcome
from prepay.ledger.models import LedgerEntry
from prepay.money import Money, MoneyError, normalize_currency

# Metadata keys that prepay writes on every PaymentIntent it creates.
ACCOUNT_KEY = "prepay_account_id"
TRANSACTION_KEY = "prepay_transaction_id"
EMAIL_KEY = "prepay_user_email"


def match_topup(
    session: Session, payment_intent: dict[str, Any]
) -> tuple[LedgerEntry | None, str | None]:
    """Find the top-up that ``payment_intent`` pays; return (entry, why not)."""
    metadata = payment_intent.get("metadata") or {}
    account_id = metadata.get(ACCOUNT_KEY)
    transaction_id = metadata.get(TRANSACTION_KEY)
    if not account_id or not transaction_id:
        return None, "PaymentIntent has no prepay metadata"

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


def _received(payment_intent: dict[str, Any], entry: LedgerEntry) -> Money | str:
    try:
        currency = normalize_currency(payment_intent.get("currency"), "currency")
        minor = payment_intent.get("amount_received")
        if not isinstance(minor, int) or isinstance(minor, bool) or minor <= 0:
            return f"amount_received {minor!r} is not a positive integer"
        received = Money.from_minor_units(currency, minor)
    except MoneyError as exc:
        return str(exc)
    if received.currency != entry.currency:
        return f"paid in {received.currency} but the top-up is in {entry.currency}"
    return received


def _charge_id(payment_intent: dict[str, Any]) -> str | None:
    charge = payment_intent.get("latest_charge")
    if isinstance(charge, dict):
        return str(charge.get("id"))
    return charge if isinstance(charge, str) else None


def on_succeeded(session: Session, event: IncomingEvent) -> Outcome:
    entry, problem = match_topup(session, event.data)
    if entry is None:
        return Outcome("REVIEW", note=problem)
    received = _received(event.data, entry)
    if isinstance(received, str):
        return Outcome("REVIEW", entry.account_id, note=received)

    credited = topups.complete_topup(session, entry, received, _charge_id(event.data))
    note = None if credited else f"top-up {entry.id} was already {entry.status}"
    return Outcome("PROCESSED", entry.account_id, note=note)


def on_payment_failed(session: Session, event: IncomingEvent) -> Outcome:
    entry, problem = match_topup(session, event.data)
    if entry is None:
        return Outcome("REVIEW", note=problem)

    error = event.data.get("last_payment_error") or {}
    code = str(error.get("decline_code") or error.get("code") or "payment_failed")
    message = str(error.get("message") or "The payment failed.")
    failed = topups.fail_topup(session, entry, code, message)
    note = None if failed else f"top-up {entry.id} was {entry.status}; left as it is"
    return Outcome("PROCESSED", entry.account_id, note=note)


def on_canceled(session: Session, event: IncomingEvent) -> Outcome:
    entry, problem = match_topup(session, event.data)
    if entry is None:
        return Outcome("REVIEW", note=problem)
    reason = str(event.data.get("cancellation_reason") or "canceled")
    canceled = topups.cancel_topup(session, entry, reason)
    note = None if canceled else f"top-up {entry.id} was {entry.status}; left as it is"
    return Outcome("PROCESSED", entry.account_id, note=note)


def on_status_detail(session: Session, event: IncomingEvent) -> Outcome:
    """Record processing or requires_action on the top-up; no money moves."""
    entry, problem = match_topup(session, event.data)
    if entry is None:
        return Outcome("REVIEW", note=problem)
    if entry.status == "PENDING":
        topups.note_status(session, entry, {"stripeStatus": event.data.get("status")})
    return Outcome("PROCESSED", entry.account_id)


HANDLERS = {
    "payment_intent.succeeded": on_succeeded,
    "payment_intent.payment_failed": on_payment_failed,
    "payment_intent.canceled": on_canceled,
    "payment_intent.processing": on_status_detail,
    "payment_intent.requires_action": on_status_detail,
}
