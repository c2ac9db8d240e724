"""Reconciliation: every balance against the sum of its ledger.

The invariant is that an account's ``balance_nanos`` equals the sum of
``amount_nanos`` over its COMPLETED entries. Debits, credits and adjustments
keep it by writing the entry and moving the balance in one transaction, so a
gap means that something changed a balance outside the ledger (a manual
UPDATE, a restored backup, a bug).

Closing a gap keeps the balance, which users have seen and spent against, and
writes an ADJUSTMENT entry for the difference, so that the ledger explains
the balance again. Its balance before is the old ledger sum and its balance
after is the balance, which satisfies the entry's CHECK constraint. An
operator who finds the balance itself wrong follows with a manual
adjustment in the other direction.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from prepay.errors import InvalidArgument
from prepay.ledger.accounts import lock_account
from prepay.ledger.adjustments import MAX_ACTOR_LENGTH, MAX_REASON_LENGTH
from prepay.ledger.models import Account, LedgerEntry, new_id, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mismatch:
    """An account whose balance differs from the sum of its COMPLETED entries."""

    account_id: str
    email: str
    currency: str
    balance_nanos: int
    ledger_nanos: int

    @property
    def gap_nanos(self) -> int:
        """The balance less the ledger sum: what the ledger fails to explain."""
        return self.balance_nanos - self.ledger_nanos


def _ledger_sums() -> Select[str, int]:
    return (
        select(
            LedgerEntry.account_id,
            func.sum(LedgerEntry.amount_nanos).label("total"),
        )
        .where(LedgerEntry.status == "COMPLETED")
        .group_by(LedgerEntry.account_id)
    )


def _mismatch_query() -> Select[str, str, str, int, Any]:
    sums = _ledger_sums().subquery()
    ledger = func.coalesce(sums.c.total, 0)
    return (
        select(
            Account.id,
            Account.email,
            Account.currency,
            Account.balance_nanos,
            ledger,
        )
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance_nanos != ledger)
    )


def find_mismatches(session: Session) -> list[Mismatch]:
    """Return every account whose balance differs from its ledger, by email."""
    rows = session.execute(_mismatch_query().order_by(Account.email))
    # PostgreSQL's SUM of a bigint is a numeric, which arrives as a Decimal.
    return [
        Mismatch(account_id, email, currency, int(balance), int(ledger))
        for account_id, email, currency, balance, ledger in rows
    ]


def count_mismatches(session: Session) -> int:
    """Count the accounts whose balance differs from their ledger."""
    subquery = _mismatch_query().subquery()
    return session.execute(select(func.count()).select_from(subquery)).scalar_one()


def ledger_total(session: Session, account_id: str) -> int:
    """Sum the amounts of one account's COMPLETED entries, in nanos."""
    statement = select(func.coalesce(func.sum(LedgerEntry.amount_nanos), 0)).where(
        LedgerEntry.account_id == account_id, LedgerEntry.status == "COMPLETED"
    )
    return int(session.execute(statement).scalar_one())


def iter_ledger(session: Session, account_id: str) -> Iterator[LedgerEntry]:
    """Yield every entry of one account, oldest first, a batch at a time."""
    statement = (
        select(LedgerEntry)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
        .execution_options(yield_per=500)
    )
    yield from session.scalars(statement)


def close_gap(
    session: Session, account_id: str, reason: str, operator: str
) -> LedgerEntry | None:
    """Write the ADJUSTMENT that makes the ledger sum equal the balance.

    The account row is locked and its gap measured again first, so an entry
    committed since ``find_mismatches`` ran is counted. Returns None when
    there is no gap left.
    """
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise InvalidArgument(
            "reason", f"is required, 1 to {MAX_REASON_LENGTH} characters"
        )
    if not operator or len(operator) > MAX_ACTOR_LENGTH:
        raise InvalidArgument(
            "operator", f"is required, 1 to {MAX_ACTOR_LENGTH} characters"
        )

    account = lock_account(session, account_id)
    ledger = ledger_total(session, account_id)
    gap = account.balance_nanos - ledger
    if gap == 0:
        return None

    now = utcnow()
    entry = LedgerEntry(
        id=new_id("txn"),
        account_id=account_id,
        type="ADJUSTMENT",
        status="COMPLETED",
        amount_nanos=gap,
        currency=account.currency,
        balance_before_nanos=ledger,
        balance_after_nanos=account.balance_nanos,
        description=reason,
        metadata_={"source": "reconcile"},
        actor=operator,
        created_at=now,
        completed_at=now,
    )
    session.add(entry)
    session.flush()
    log.warning(
        "reconcile closed gap account=%s nanos=%d entry=%s operator=%s",
        account_id,
        gap,
        entry.id,
        operator,
    )
    return entry
