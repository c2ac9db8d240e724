"""Disputes: a hold while the card's issuer decides, a deduction if it is lost.

Each dispute has one DISPUTE entry at most, unique by (account, dispute id).
While the dispute is open the entry is PENDING and its amount is part of the
account's ``held_nanos``, so it cannot be spent. When the dispute closes the
hold is released, and the entry becomes COMPLETED with the amount deducted
(lost) or CANCELED with nothing deducted (won, an inquiry that closed, or a
charge already refunded).

Every ``charge.dispute.*`` event carries the dispute as it was, so the
handler acts on its ``status``, not on the event type: an open status holds,
a closed one settles. Once settled, the entry does not change again, so
events that arrive late or twice change nothing, and a closing event that
arrives before the opening one settles at once and leaves nothing to hold.
NOTE: this assumes that Stripe never reopens a closed dispute under the
same id; an escalated inquiry that did would not be held again.

A lost dispute deducts no more than the top-up credited less what refunds
and lost disputes of any charge of its PaymentIntent already took back, so
the same money is never deducted twice.
"""

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prepay.ledger import topups
from prepay.ledger.accounts import lock_account
from prepay.ledger.balance import move_balance
from prepay.ledger.events import Handler, IncomingEvent, Outcome
from prepay.ledger.models import Account, LedgerEntry, new_id, utcnow
from prepay.ledger.payment_intents import object_id, received_amount

log = logging.getLogger(__name__)

OPEN_STATUSES = (
    "warning_needs_response",
    "warning_under_review",
    "needs_response",
    "under_review",
)
LOST_STATUSES = ("lost",)
# Closed with the money kept. NOTE: a prevented dispute is treated as kept,
# and a refund that goes with it arrives as its own charge.refunded.
KEPT_STATUSES = ("won", "warning_closed", "prevented")


@dataclass(frozen=True)
class Dispute:
    """A dispute's fields that the ledger uses, matched to its top-up."""

    id: str
    status: str
    charge_id: str
    amount_nanos: int
    reason: str
    topup: LedgerEntry


def on_dispute_event(session: Session, event: IncomingEvent) -> Outcome:
    dispute, problem = _read_dispute(session, event.data)
    if dispute is None:
        return Outcome("REVIEW", note=problem)
    account_id = dispute.topup.account_id
    if dispute.status in OPEN_STATUSES:
        return Outcome("PROCESSED", account_id, note=hold_dispute(session, dispute))
    if dispute.status in LOST_STATUSES + KEPT_STATUSES:
        return Outcome("PROCESSED", account_id, note=settle_dispute(session, dispute))
    return Outcome(
        "REVIEW", account_id, note=f"dispute status {dispute.status!r} is unknown"
    )


def _read_dispute(
    session: Session, data: dict[str, Any]
) -> tuple[Dispute | None, str | None]:
    dispute_id = object_id(data.get("id"))
    charge_id = object_id(data.get("charge"))
    payment_intent_id = object_id(data.get("payment_intent"))
    entry = topups.find_topup_for_charge(session, charge_id, payment_intent_id)
    if dispute_id is None or charge_id is None or entry is None:
        return None, (
            f"no top-up for dispute {dispute_id} of charge {charge_id} "
            f"and PaymentIntent {payment_intent_id}"
        )
    amount = received_amount(data, "amount", entry)
    if isinstance(amount, str):
        return None, f"dispute {dispute_id}: {amount}"
    dispute = Dispute(
        id=dispute_id,
        status=str(data.get("status")),
        charge_id=charge_id,
        amount_nanos=amount.nanos,
        reason=str(data.get("reason") or ""),
        topup=entry,
    )
    return dispute, None


def find_dispute_entry(
    session: Session, account_id: str, dispute_id: str
) -> LedgerEntry | None:
    statement = (
        select(LedgerEntry)
        .where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.stripe_dispute_id == dispute_id,
        )
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).first()


def _room(session: Session, dispute: Dispute) -> int:
    """Return the nanos of the top-up that no refund or lost dispute took back."""
    account_id = dispute.topup.account_id
    taken_back = topups.taken_back_nanos(session, account_id, dispute.topup.id)
    return topups.topup_amount(session, dispute.topup.id) - taken_back


def hold_dispute(session: Session, dispute: Dispute) -> str | None:
    """Hold the disputed amount and flag the account; return a note or None."""
    account_id = dispute.topup.account_id
    lock_account(session, account_id)
    existing = find_dispute_entry(session, account_id, dispute.id)
    if existing is not None:
        return f"dispute {dispute.id} already has entry {existing.id} {existing.status}"

    held = min(dispute.amount_nanos, _room(session, dispute))
    _flag(session, dispute, _opened_reason(dispute))
    log.warning(
        "dispute %s opened charge=%s top-up=%s account=%s reason=%s held=%d: "
        "review the account",
        dispute.id,
        dispute.charge_id,
        dispute.topup.id,
        account_id,
        dispute.reason,
        max(held, 0),
    )
    if held <= 0:
        return "nothing to hold: the charge was already taken back"

    _add_entry(session, dispute, "PENDING", -held)
    _change_held(session, account_id, held)
    return None


def settle_dispute(session: Session, dispute: Dispute) -> str | None:
    """Release the hold, and deduct if the dispute was lost; return a note or None."""
    account_id = dispute.topup.account_id
    lock_account(session, account_id)
    entry = find_dispute_entry(session, account_id, dispute.id)
    if entry is not None and entry.status != "PENDING":
        return f"dispute {dispute.id} was already settled as {entry.status}"
    if entry is not None:
        _change_held(session, account_id, entry.amount_nanos)

    lost = dispute.status in LOST_STATUSES
    amount = min(dispute.amount_nanos, _room(session, dispute)) if lost else 0
    if amount > 0:
        before, after = move_balance(session, account_id, -amount)
        entry = _complete(session, dispute, entry, -amount, before, after)
    else:
        entry = _cancel(session, dispute, entry)
    _unflag_or_keep(session, dispute, lost)
    log.log(
        logging.WARNING if lost else logging.INFO,
        "dispute %s closed %s charge=%s top-up=%s account=%s deducted=%d",
        dispute.id,
        dispute.status,
        dispute.charge_id,
        dispute.topup.id,
        account_id,
        amount,
    )
    if lost and amount == 0:
        return "lost, but the charge was already taken back: nothing deducted"
    return None


def _add_entry(
    session: Session,
    dispute: Dispute,
    status: str,
    amount_nanos: int,
    balances: tuple[int, int] | None = None,
) -> LedgerEntry:
    now = utcnow()
    entry = LedgerEntry(
        id=new_id("txn"),
        account_id=dispute.topup.account_id,
        type="DISPUTE",
        status=status,
        amount_nanos=amount_nanos,
        currency=dispute.topup.currency,
        balance_before_nanos=balances[0] if balances else None,
        balance_after_nanos=balances[1] if balances else None,
        description=f"Dispute of top-up {dispute.topup.id}",
        stripe_charge_id=dispute.charge_id,
        stripe_dispute_id=dispute.id,
        metadata_={
            "source": "stripe",
            "topUpId": dispute.topup.id,
            "disputeStatus": dispute.status,
            "disputeReason": dispute.reason,
        },
        created_at=now,
        completed_at=now if status != "PENDING" else None,
    )
    session.add(entry)
    session.flush()
    return entry


def _complete(
    session: Session,
    dispute: Dispute,
    entry: LedgerEntry | None,
    amount_nanos: int,
    before: int,
    after: int,
) -> LedgerEntry:
    if entry is None:
        return _add_entry(session, dispute, "COMPLETED", amount_nanos, (before, after))
    entry.status = "COMPLETED"
    entry.amount_nanos = amount_nanos
    entry.balance_before_nanos = before
    entry.balance_after_nanos = after
    entry.completed_at = utcnow()
    entry.metadata_ = {**entry.metadata_, "disputeStatus": dispute.status}
    session.flush()
    return entry


def _cancel(
    session: Session, dispute: Dispute, entry: LedgerEntry | None
) -> LedgerEntry:
    # A closing event that comes first still leaves an entry, so that a late
    # opening event finds the dispute settled and places no hold.
    if entry is None:
        return _add_entry(session, dispute, "CANCELED", -dispute.amount_nanos)
    entry.status = "CANCELED"
    entry.completed_at = utcnow()
    entry.metadata_ = {**entry.metadata_, "disputeStatus": dispute.status}
    session.flush()
    return entry


def _change_held(session: Session, account_id: str, delta_nanos: int) -> None:
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(held_nanos=Account.held_nanos + delta_nanos, updated_at=utcnow())
    )


def _flag(session: Session, dispute: Dispute, reason: str) -> None:
    detail = {"disputeId": dispute.id, "disputeStatus": dispute.status}
    topups.note_status(session, dispute.topup, detail)
    session.execute(
        update(Account)
        .where(Account.id == dispute.topup.account_id)
        .values(review_reason=reason, updated_at=utcnow())
    )


def _unflag_or_keep(session: Session, dispute: Dispute, lost: bool) -> None:
    """Keep a lost dispute flagged for review; clear the flag of a kept one."""
    if lost:
        _flag(
            session, dispute, f"dispute {dispute.id} lost on top-up {dispute.topup.id}"
        )
        return
    detail = {"disputeId": dispute.id, "disputeStatus": dispute.status}
    topups.note_status(session, dispute.topup, detail)
    # Clear only this dispute's flag; a flag for something else stays.
    session.execute(
        update(Account)
        .where(
            Account.id == dispute.topup.account_id,
            Account.review_reason == _opened_reason(dispute),
        )
        .values(review_reason=None, updated_at=utcnow())
    )


def _opened_reason(dispute: Dispute) -> str:
    return f"dispute {dispute.id} opened on top-up {dispute.topup.id}"


HANDLERS: dict[str, Handler] = {
    f"charge.dispute.{action}": on_dispute_event
    for action in (
        "created",
        "updated",
        "closed",
        "funds_withdrawn",
        "funds_reinstated",
    )
}
