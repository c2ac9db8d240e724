"""Top-up states: PENDING until Stripe's webhook says how the payment ended.

PENDING -> COMPLETED (credit), PENDING -> FAILED, PENDING or FAILED ->
CANCELED, and FAILED -> COMPLETED when a later attempt on the same
PaymentIntent succeeds. Each transition is a conditional UPDATE on the
current status, so a repeated or late event changes nothing.
"""

import logging
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


def count_pending(session: Session, account_id: str) -> int:
    statement = select(func.count()).where(
        LedgerEntry.account_id == account_id,
        LedgerEntry.type == "CREDIT",
        LedgerEntry.status == "PENDING",
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
    return result is not None


def cancel_topup(session: Session, entry: LedgerEntry, reason: str) -> bool:
    result = session.execute(
        update(LedgerEntry)
        .where(
            LedgerEntry.id == entry.id, LedgerEntry.status.in_(("PENDING", "FAILED"))
        )
        .values(status="CANCELED", failure_code=reason[:100] or None)
        .returning(LedgerEntry.id)
    ).scalar_one_or_none()
    return result is not None


def note_status(session: Session, entry: LedgerEntry, detail: dict[str, Any]) -> None:
    """Record a PaymentIntent's intermediate status on a PENDING top-up."""
    metadata = dict(entry.metadata_ or {})
    metadata.update(detail)
    session.execute(
        update(LedgerEntry).where(LedgerEntry.id == entry.id).values(metadata_=metadata)
    )
