"""Debits: a task's cost taken from the balance exactly once.

The balance changes in one conditional UPDATE that succeeds only when the
available balance (balance less held) covers the cost, and the ledger entry
is written in the same transaction. A retried call with the same
idempotency key finds the first entry and charges nothing.
"""

import logging
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.errors import (
    AccountRestricted,
    IdempotencyMismatch,
    InsufficientFunds,
    InvalidArgument,
)
from prepay.ledger.accounts import require_account
from prepay.ledger.models import Account, LedgerEntry, new_id, utcnow
from prepay.money import Money

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 500


@dataclass(frozen=True)
class DebitResult:
    entry: LedgerEntry
    replayed: bool


def debit(
    factory: sessionmaker[Session],
    email: str,
    amount: Money,
    idempotency_key: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> DebitResult:
    """Take ``amount`` from the account of ``email``, once per key.

    Raises InsufficientFunds or AccountRestricted with nothing written, and
    IdempotencyMismatch when the key was used before for another amount.
    """
    _check_request(amount, idempotency_key, description)

    # A concurrent call with the same key makes the second insert fail on
    # the unique key; its transaction rolls back and the retry replays.
    for _attempt in range(3):
        try:
            with transaction(factory) as session:
                return _debit_once(
                    session, email, amount, idempotency_key, description, metadata
                )
        except IntegrityError:
            log.info("debit key %s raced with a twin; replaying", idempotency_key)
    raise RuntimeError(f"debit key {idempotency_key} kept conflicting")


def _check_request(amount: Money, key: str, description: str) -> None:
    if amount.nanos <= 0:
        raise InvalidArgument("amount", "must be greater than zero")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(
            "idempotencyKey", f"is required, 1 to {MAX_KEY_LENGTH} characters"
        )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument(
            "description", f"is longer than {MAX_DESCRIPTION_LENGTH} characters"
        )


def _debit_once(
    session: Session,
    email: str,
    amount: Money,
    key: str,
    description: str,
    metadata: dict[str, Any] | None,
) -> DebitResult:
    account, previous = _find_account_and_debit(session, email, key)
    if amount.currency != account.currency:
        raise InvalidArgument(
            "amount.currencyCode",
            f"is {amount.currency} but the account is in {account.currency}; "
            "amounts are never converted",
        )

    if previous is not None:
        if previous.amount_nanos != -amount.nanos:
            raise IdempotencyMismatch(
                f"idempotency key {key!r} was used for a debit of another amount",
                transactionId=previous.id,
            )
        return DebitResult(previous, replayed=True)

    balance_after = _take_if_covered(session, account.id, amount.nanos)
    if balance_after is None:
        _raise_not_covered(session, account.id, amount)

    now = utcnow()
    entry = LedgerEntry(
        id=new_id("txn"),
        account_id=account.id,
        type="DEBIT",
        status="COMPLETED",
        amount_nanos=-amount.nanos,
        currency=account.currency,
        balance_before_nanos=balance_after + amount.nanos,
        balance_after_nanos=balance_after,
        description=description,
        idempotency_key=key,
        metadata_=metadata or {},
        created_at=now,
        completed_at=now,
    )
    session.add(entry)
    session.flush()
    log.info(
        "debit %s account=%s nanos=%d balance_after=%d",
        entry.id,
        account.id,
        amount.nanos,
        balance_after,
    )
    return DebitResult(entry, replayed=False)


def _find_account_and_debit(
    session: Session, email: str, key: str
) -> tuple[Account, LedgerEntry | None]:
    """Read the account and its debit with ``key``, if any, in one round trip."""
    statement = (
        select(Account, LedgerEntry)
        .outerjoin(
            LedgerEntry,
            and_(
                LedgerEntry.account_id == Account.id,
                LedgerEntry.type == "DEBIT",
                LedgerEntry.idempotency_key == key,
            ),
        )
        .where(Account.email == email)
    )
    row = session.execute(statement).first()
    if row is None:
        return require_account(session, email), None
    return row[0], row[1]


def _take_if_covered(session: Session, account_id: str, cost: int) -> int | None:
    """Subtract ``cost`` if the available balance covers it; return the new balance."""
    statement = (
        update(Account)
        .where(
            Account.id == account_id,
            Account.status == "ACTIVE",
            Account.balance_nanos - Account.held_nanos >= cost,
        )
        .values(balance_nanos=Account.balance_nanos - cost, updated_at=utcnow())
        .returning(Account.balance_nanos)
        # Nothing reads the session's copy of the account afterwards, so the
        # ORM need not match the WHERE clause against it.
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).scalar_one_or_none()


def _raise_not_covered(session: Session, account_id: str, amount: Money) -> NoReturn:
    account = session.get(Account, account_id, populate_existing=True)
    assert account is not None
    if account.status == "RESTRICTED":
        raise AccountRestricted(
            "the account is RESTRICTED because a refund or dispute took its "
            "balance below zero; a top-up that brings it to zero or more "
            "lifts the restriction",
            balance=str(Money(account.currency, account.balance_nanos).to_decimal()),
        )
    available = Money(account.currency, account.balance_nanos - account.held_nanos)
    raise InsufficientFunds(
        f"available balance {available.to_decimal()} {account.currency} does "
        f"not cover {amount.to_decimal()} {amount.currency}",
        available=available.to_json(),
        requested=amount.to_json(),
    )
