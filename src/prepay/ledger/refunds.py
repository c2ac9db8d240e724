"""Refunds: money that Stripe gave back to the card, taken back from the balance.

``charge.refunded`` carries the charge's cumulative ``amount_refunded``. The
handler deducts what that total adds to the refunds already deducted for the
charge, so a repeated event deducts nothing and a stale one (a lower total
that arrives late) deducts nothing either. It never takes back more than the
top-up credited, counting what refunds and lost disputes of any charge of its
PaymentIntent took back, because Stripe withdraws no further funds for a
dispute once the charge is fully refunded.

A refund may take the balance below zero when the credit was spent. The
account is then RESTRICTED until a top-up brings it back to zero or more.
"""

import logging
from typing import Any

from sqlalchemy.orm import Session

from prepay.ledger import topups
from prepay.ledger.accounts import lock_account
from prepay.ledger.balance import move_balance
from prepay.ledger.events import Handler, IncomingEvent, Outcome
from prepay.ledger.models import LedgerEntry, new_id, utcnow
from prepay.ledger.payment_intents import object_id, received_amount
from prepay.money import Money

log = logging.getLogger(__name__)


def on_charge_refunded(session: Session, event: IncomingEvent) -> Outcome:
    charge = event.data
    charge_id = object_id(charge.get("id"))
    payment_intent_id = object_id(charge.get("payment_intent"))
    entry = topups.find_topup_for_charge(session, charge_id, payment_intent_id)
    if entry is None or charge_id is None:
        return Outcome(
            "REVIEW",
            note=f"no top-up for charge {charge_id} of PaymentIntent "
            f"{payment_intent_id}",
        )
    refunded = received_amount(charge, "amount_refunded", entry)
    if isinstance(refunded, str):
        return Outcome("REVIEW", entry.account_id, note=refunded)

    problem = _complete_first(session, entry, charge)
    if problem is not None:
        return Outcome("REVIEW", entry.account_id, note=problem)
    deducted = deduct_refund(session, entry, charge_id, refunded, event.id)
    note = None if deducted else "no refund beyond what was already deducted"
    return Outcome("PROCESSED", entry.account_id, note=note)


def _complete_first(
    session: Session, entry: LedgerEntry, charge: dict[str, Any]
) -> str | None:
    """Credit a top-up whose refund arrived before its payment_intent.succeeded.

    A refunded charge has succeeded, so its ``amount_captured`` is what the
    top-up received; the late succeeded event then finds it COMPLETED.
    Returns why the top-up cannot be completed, or None.
    """
    status = topups.current_status(session, entry.id)
    if status == "COMPLETED":
        return None
    if status == "CANCELED":
        return f"charge refunded but top-up {entry.id} is CANCELED"
    captured = received_amount(charge, "amount_captured", entry)
    if isinstance(captured, str):
        return captured
    topups.complete_topup(session, entry, captured, object_id(charge.get("id")))
    return None


def deduct_refund(
    session: Session,
    entry: LedgerEntry,
    charge_id: str,
    refunded: Money,
    event_id: str,
) -> int:
    """Deduct the part of ``refunded`` (cumulative) not deducted yet; return nanos."""
    lock_account(session, entry.account_id)
    already = topups.refunded_nanos(session, entry.account_id, charge_id)
    new_refund = refunded.nanos - already
    if new_refund <= 0:
        return 0
    taken_back = topups.taken_back_nanos(session, entry.account_id, entry.id)
    room = topups.topup_amount(session, entry.id) - taken_back
    amount = min(new_refund, room)
    if amount <= 0:
        log.info(
            "refund of charge %s not deducted: top-up %s was already taken back",
            charge_id,
            entry.id,
        )
        return 0

    before, after = move_balance(session, entry.account_id, -amount)
    now = utcnow()
    refund = LedgerEntry(
        id=new_id("txn"),
        account_id=entry.account_id,
        type="REFUND",
        status="COMPLETED",
        amount_nanos=-amount,
        currency=entry.currency,
        balance_before_nanos=before,
        balance_after_nanos=after,
        description=f"Refund of top-up {entry.id}",
        stripe_charge_id=charge_id,
        metadata_={"source": "stripe", "topUpId": entry.id, "eventId": event_id},
        created_at=now,
        completed_at=now,
    )
    session.add(refund)
    session.flush()
    log.info(
        "refund %s of top-up %s charge=%s account=%s nanos=%d balance_after=%d",
        refund.id,
        entry.id,
        charge_id,
        entry.account_id,
        amount,
        after,
    )
    return amount


def on_refund_updated(session: Session, event: IncomingEvent) -> Outcome:
    """Send a failed refund to review; other refund updates need no action.

    The ledger keeps the deduction of a failed refund, because a stale
    ``charge.refunded`` cannot be distinguished from a total that the failure
    lowered. An operator decides whether to credit it back.
    """
    refund = event.data
    if refund.get("status") != "failed" and event.type != "refund.failed":
        return Outcome("IGNORED", note=f"refund status {refund.get('status')}")
    charge_id = object_id(refund.get("charge"))
    payment_intent_id = object_id(refund.get("payment_intent"))
    entry = topups.find_topup_for_charge(session, charge_id, payment_intent_id)
    account_id = entry.account_id if entry is not None else None
    log.warning(
        "refund %s of charge %s failed reason=%s account=%s: review the deduction",
        refund.get("id"),
        charge_id,
        refund.get("failure_reason"),
        account_id,
    )
    return Outcome(
        "REVIEW",
        account_id,
        note=f"refund {refund.get('id')} failed ({refund.get('failure_reason')}); "
        "the balance still has its deduction",
    )


HANDLERS: dict[str, Handler] = {
    "charge.refunded": on_charge_refunded,
    "charge.refund.updated": on_refund_updated,
    "refund.updated": on_refund_updated,
    "refund.failed": on_refund_updated,
}
