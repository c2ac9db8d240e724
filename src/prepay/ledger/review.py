"""Queries for the review list: open disputes, events kept for review, and
accounts that are RESTRICTED or flagged.

These queries read across accounts, so they are for operators' commands,
never for a request path.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from prepay.ledger.models import Account, LedgerEntry, StripeEvent, utcnow


@dataclass(frozen=True)
class OpenDispute:
    entry_id: str
    email: str
    dispute_id: str
    charge_id: str | None
    currency: str
    # Positive: the part of the balance that the dispute holds.
    held_nanos: int
    created_at: datetime


@dataclass(frozen=True)
class AccountToReview:
    account_id: str
    email: str
    status: str
    currency: str
    balance_nanos: int
    held_nanos: int
    reason: str | None


def open_disputes(session: Session) -> list[OpenDispute]:
    statement = (
        select(LedgerEntry, Account.email)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.type == "DISPUTE", LedgerEntry.status == "PENDING")
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    )
    return [
        OpenDispute(
            entry_id=entry.id,
            email=email,
            dispute_id=entry.stripe_dispute_id or "",
            charge_id=entry.stripe_charge_id,
            currency=entry.currency,
            held_nanos=-entry.amount_nanos,
            created_at=entry.created_at,
        )
        for entry, email in session.execute(statement)
    ]


def events_in_review(session: Session, limit: int) -> list[StripeEvent]:
    """Return events in REVIEW, oldest first: payments prepay could not match."""
    statement = (
        select(StripeEvent)
        .where(StripeEvent.status == "REVIEW")
        .order_by(StripeEvent.received_at, StripeEvent.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def count_events(session: Session, status: str) -> int:
    statement = select(func.count()).where(StripeEvent.status == status)
    return session.execute(statement).scalar_one()


def accounts_to_review(session: Session) -> list[AccountToReview]:
    """Return RESTRICTED accounts and accounts flagged by a dispute."""
    statement = (
        select(Account)
        .where(or_(Account.status == "RESTRICTED", Account.review_reason.is_not(None)))
        .order_by(Account.email)
    )
    return [
        AccountToReview(
            account_id=account.id,
            email=account.email,
            status=account.status,
            currency=account.currency,
            balance_nanos=account.balance_nanos,
            held_nanos=account.held_nanos,
            reason=account.review_reason,
        )
        for account in session.scalars(statement)
    ]


def clear_account_flag(session: Session, account_id: str) -> bool:
    """Clear the account's review flag; return False if it had none.

    A RESTRICTED account stays RESTRICTED: only a balance of zero or more
    lifts that.
    """
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.review_reason.is_not(None))
        .values(review_reason=None, updated_at=utcnow())
        .returning(Account.id)
    ).scalar_one_or_none()
    return result is not None
