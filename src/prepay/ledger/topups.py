"""Top-up states: PENDING until Stripe's webhook reports how the payment ended.

PENDING -> COMPLETED (credit), PENDING -> FAILED, PENDING or FAILED ->
CANCELED, and FAILED -> COMPLETED when a later attempt on the same
PaymentIntent succeeds. Each transition is a conditional UPDATE on the
current status, so a repeated or late event changes nothing.

Refunds and lost disputes take money back from a top-up. The sums here
return how much was taken back already, so no money goes back twice.
"""

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from prepay.errors import IdempotencyMismatch
from prepay.ledger.accounts import lock_account
from prepay.ledger.balance import move_balance
from prepay.ledger.models import Account, LedgerEntry, new_id, utcnow
from prepay.money import Money

log = logging.getLogger(__name__)


def find_topup(session: Session, account_id: str, key: str) -> LedgerEntry | None:
    statement = select(LedgerEntry).where(
        LedgerEntry.account_id == account_id,
        LedgerEntry.type == "CREDIT",
        LedgerEntry.idempotency_key == key,
    )
    return session.scalars(statement).first()


def find_topup_by_payment_intent(
    session: Session, payment_intent_id: str
) -> LedgerEntry | None:
    statement = select(LedgerEntry).where(
        LedgerEntry.stripe_payment_intent_id == payment_intent_id
    )
    return session.scalars(statement).first()


def find_topup_by_charge(session: Session, charge_id: str) -> LedgerEntry | None:
    statement = select(LedgerEntry).where(
        LedgerEntry.type == "CREDIT", LedgerEntry.stripe_charge_id == charge_id
    )
    return session.scalars(statement).first()


def find_topup_for_charge(
    session: Session, charge_id: str | None, payment_intent_id: str | None
) -> LedgerEntry | None:
    """Find the top-up that a charge paid, by its PaymentIntent or the charge id.

    The PaymentIntent finds a top-up that is not COMPLETED yet, whose row does
    not know the charge id; a dispute may name only the charge.
    """
    entry = None
    if payment_intent_id:
        entry = find_topup_by_payment_intent(session, payment_intent_id)
    if entry is None and charge_id:
        entry = find_topup_by_charge(session, charge_id)
    return entry


def find_stale_pending(
    session: Session, created_before: datetime, limit: int
) -> list[tuple[str, str | None]]:
    """Return (top-up id, PaymentIntent id) of PENDING top-ups, oldest first."""
    statement = (
        select(LedgerEntry.id, LedgerEntry.stripe_payment_intent_id)
        .where(
            LedgerEntry.type == "CREDIT",
            LedgerEntry.status == "PENDING",
            LedgerEntry.created_at < created_before,
        )
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(statement)]


def current_status(session: Session, entry_id: str) -> str:
    """Read the entry's status from the row, not from the session's copy."""
    statement = select(LedgerEntry.status).where(LedgerEntry.id == entry_id)
    return session.execute(statement).scalar_one()


def topup_amount(session: Session, entry_id: str) -> int:
    """Read the top-up's amount in nanos as stored now, after any completion."""
    statement = select(LedgerEntry.amount_nanos).where(LedgerEntry.id == entry_id)
    return session.execute(statement).scalar_one()


def refunded_nanos(session: Session, account_id: str, charge_id: str) -> int:
    """Sum what COMPLETED refunds of one charge took back, as nanos >= 0.

    ``charge.refunded`` carries a cumulative total per charge, so this is the
    part of that total already deducted.
    """
    statement = select(func.sum(LedgerEntry.amount_nanos)).where(
        LedgerEntry.account_id == account_id,
        LedgerEntry.stripe_charge_id == charge_id,
        LedgerEntry.type == "REFUND",
        LedgerEntry.status == "COMPLETED",
    )
    return -int(session.execute(statement).scalar_one() or 0)


def taken_back_nanos(session: Session, account_id: str, topup_id: str) -> int:
    """Sum what COMPLETED refunds and lost disputes took back from one top-up.

    The sum counts every charge of the top-up's PaymentIntent, so events that
    name different charges cannot take back more than the top-up credited.
    Call it with the account row locked, so a concurrent event for the same
    top-up cannot deduct between this read and the caller's write.
    """
    statement = select(func.sum(LedgerEntry.amount_nanos)).where(
        LedgerEntry.account_id == account_id,
        LedgerEntry.type.in_(("REFUND", "DISPUTE")),
        LedgerEntry.status == "COMPLETED",
        LedgerEntry.metadata_["topUpId"].as_string() == topup_id,
    )
    return -int(session.execute(statement).scalar_one() or 0)


def open_topup(
    session: Session, account: Account, amount: Money, key: str
) -> LedgerEntry:
    """Return the PENDING top-up for ``key``, creating it if it is new.

    Raises IdempotencyMismatch when the key was used for another amount.
    """
    previous = find_topup(session, account.id, key)
    if previous is not None:
        if previous.amount_nanos != amount.nanos:
            raise IdempotencyMismatch(
                f"Idempotency-Key {key!r} was used for a top-up of another amount",
                transactionId=previous.id,
            )
        return previous

    entry = LedgerEntry(
        id=new_id("txn"),
        account_id=account.id,
        type="CREDIT",
        status="PENDING",
        amount_nanos=amount.nanos,
        currency=account.currency,
        description="Top-up by card",
        idempotency_key=key,
        metadata_={"source": "stripe"},
        created_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def count_pending(session: Session, account_id: str, since: datetime) -> int:
    """Count the account's PENDING top-ups created at or after ``since``."""
    statement = select(func.count()).where(
        LedgerEntry.account_id == account_id,
        LedgerEntry.type == "CREDIT",
        LedgerEntry.status == "PENDING",
        LedgerEntry.created_at >= since,
    )
    return session.execute(statement).scalar_one()


def attach_payment_intent(
    session: Session, entry_id: str, payment_intent_id: str
) -> None:
    session.execute(
        update(LedgerEntry)
        .where(
            LedgerEntry.id == entry_id,
            LedgerEntry.stripe_payment_intent_id.is_(None),
        )
        .values(stripe_payment_intent_id=payment_intent_id)
    )


def complete_topup(
    session: Session,
    entry: LedgerEntry,
    received: Money,
    charge_id: str | None,
) -> bool:
    """Credit ``received`` for a PENDING or FAILED top-up; False if already done."""
    before = lock_account(session, entry.account_id).balance_nanos
    claimed = session.execute(
        update(LedgerEntry)
        .where(
            LedgerEntry.id == entry.id,
            LedgerEntry.status.in_(("PENDING", "FAILED")),
        )
        .values(
            status="COMPLETED",
            amount_nanos=received.nanos,
            balance_before_nanos=before,
            balance_after_nanos=before + received.nanos,
            stripe_charge_id=charge_id,
            failure_code=None,
            failure_message=None,
            completed_at=utcnow(),
        )
        .returning(LedgerEntry.id)
    ).scalar_one_or_none()
    if claimed is None:
        return False

    move_balance(session, entry.account_id, received.nanos)
    log.info(
        "top-up %s completed account=%s nanos=%d",
        entry.id,
        entry.account_id,
        received.nanos,
    )
    return True


def fail_topup(session: Session, entry: LedgerEntry, code: str, message: str) -> bool:
    """Mark a PENDING top-up FAILED with Stripe's code and message."""
    result = session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.id == entry.id, LedgerEntry.status == "PENDING")
        .values(status="FAILED", failure_code=code[:100], failure_message=message[:500])
        .returning(LedgerEntry.id)
    ).scalar_one_or_none()
    if result is None:
        return False
    log.info("top-up %s failed account=%s code=%s", entry.id, entry.account_id, code)
    return True


def cancel_topup(session: Session, entry: LedgerEntry, reason: str) -> bool:
    """Mark a PENDING or FAILED top-up CANCELED, with ``reason`` as its code."""
    result = session.execute(
        update(LedgerEntry)
        .where(
            LedgerEntry.id == entry.id, LedgerEntry.status.in_(("PENDING", "FAILED"))
        )
        .values(status="CANCELED", failure_code=reason[:100] or None)
        .returning(LedgerEntry.id)
    ).scalar_one_or_none()
    if result is None:
        return False
    log.info(
        "top-up %s canceled account=%s reason=%s", entry.id, entry.account_id, reason
    )
    return True


def note_status(session: Session, entry: LedgerEntry, detail: dict[str, Any]) -> None:
    """Merge ``detail`` into the top-up's metadata, such as a PaymentIntent's status.

    The metadata is read again from the row, so a stale copy in the session
    cannot overwrite what another event wrote.
    """
    current = session.execute(
        select(LedgerEntry.metadata_).where(LedgerEntry.id == entry.id)
    ).scalar_one()
    metadata = {**(current or {}), **detail}
    session.execute(
        update(LedgerEntry).where(LedgerEntry.id == entry.id).values(metadata_=metadata)
    )
