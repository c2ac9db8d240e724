"""Adjustments: manual credits and debits, recorded with who made them and why.

A correction is a new ADJUSTMENT entry with a signed amount, never an edit of
an old entry. The account row is locked first, so the entry's balance before
and after are exact while debits race. A negative adjustment that the
available balance does not cover is rejected like a debit, unless the caller
allows a negative balance explicitly. The account is then RESTRICTED until
its balance is zero or more again.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.errors import (
    AccountRestricted,
    IdempotencyMismatch,
    InsufficientFunds,
    InvalidArgument,
)
from prepay.ledger.accounts import lock_account, require_account
from prepay.ledger.balance import BalanceOverflow, move_balance
from prepay.ledger.models import Account, LedgerEntry, new_id, utcnow
from prepay.money import Money

log = logging.getLogger(__name__)

MAX_REASON_LENGTH = 500
MAX_ACTOR_LENGTH = 320
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class AdjustmentResult:
    entry: LedgerEntry
    replayed: bool


@dataclass(frozen=True)
class Adjustment:
    """A requested adjustment: the signed amount, the reason and who requests it.

    ``source`` is stored in the entry's metadata: "api", "cli" or
    "reconcile". ``idempotency_key``, when given, makes a retry with the same
    key return the first entry instead of adjusting twice.
    """

    amount: Money
    reason: str
    actor: str
    source: str
    allow_negative: bool = False
    idempotency_key: str | None = None


def adjust(
    factory: sessionmaker[Session], email: str, request: Adjustment
) -> AdjustmentResult:
    """Add ``request.amount`` (either sign) to the balance of ``email``'s account.

    Raises InvalidArgument for an empty reason or a zero amount, and
    InsufficientFunds or AccountRestricted when ``allow_negative`` is false
    and the available balance does not cover a negative amount. Raises
    IdempotencyMismatch when the key was used for another amount, and
    NotFound when the account does not exist.
    """
    _check_request(request)
    with transaction(factory) as session:
        account = require_account(session, email)
        return record_adjustment(session, account, request)


def record_adjustment(
    session: Session, account: Account, request: Adjustment
) -> AdjustmentResult:
    """Write the adjustment inside the caller's transaction; see ``adjust``."""
    _check_request(request)
    if request.amount.currency != account.currency:
        raise InvalidArgument(
            "amount.currencyCode",
            f"is {request.amount.currency} but the account is in "
            f"{account.currency}; amounts are never converted",
        )

    locked = lock_account(session, account.id)
    if request.idempotency_key is not None:
        previous = _find_adjustment(session, account.id, request.idempotency_key)
        if previous is not None:
            return _replay(previous, request)
    if request.amount.nanos < 0 and not request.allow_negative:
        _check_covered(locked, request.amount)

    try:
        before, after = move_balance(session, account.id, request.amount.nanos)
    except BalanceOverflow:
        raise InvalidArgument(
            "amount", f"{request.amount} would overflow the balance's int64 nanos"
        ) from None

    entry = _new_entry(account, request, before, after)
    session.add(entry)
    session.flush()
    log.info(
        "adjustment %s account=%s nanos=%d actor=%s source=%s balance_after=%d",
        entry.id,
        account.id,
        request.amount.nanos,
        request.actor,
        request.source,
        after,
    )
    return AdjustmentResult(entry, replayed=False)


def _check_request(request: Adjustment) -> None:
    if request.amount.nanos == 0:
        raise InvalidArgument(
            "amount", "must not be zero: give a positive credit or a negative debit"
        )
    reason = request.reason.strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise InvalidArgument(
            "reason",
            f"is required, 1 to {MAX_REASON_LENGTH} characters saying why the "
            "balance changes",
        )
    if not request.actor or len(request.actor) > MAX_ACTOR_LENGTH:
        raise InvalidArgument(
            "actor", f"is required, 1 to {MAX_ACTOR_LENGTH} characters naming who"
        )
    key = request.idempotency_key
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidArgument(
            "idempotencyKey", f"must be 1 to {MAX_KEY_LENGTH} characters when given"
        )


def _find_adjustment(session: Session, account_id: str, key: str) -> LedgerEntry | None:
    statement = select(LedgerEntry).where(
        LedgerEntry.account_id == account_id,
        LedgerEntry.type == "ADJUSTMENT",
        LedgerEntry.idempotency_key == key,
    )
    return session.scalars(statement).first()


def _replay(previous: LedgerEntry, request: Adjustment) -> AdjustmentResult:
    if previous.amount_nanos != request.amount.nanos:
        raise IdempotencyMismatch(
            f"idempotency key {request.idempotency_key!r} was used for an "
            "adjustment of another amount; use a new key for a new adjustment",
            transactionId=previous.id,
        )
    return AdjustmentResult(previous, replayed=True)


def _check_covered(account: Account, amount: Money) -> None:
    """Raise as a debit would when ``-amount`` is more than the available balance."""
    if account.status == "RESTRICTED":
        raise AccountRestricted(
            "the account is RESTRICTED because its balance is below zero; "
            "allow a negative balance explicitly to take more from it",
            balance=str(Money(account.currency, account.balance_nanos).to_decimal()),
        )
    available = Money(account.currency, account.balance_nanos - account.held_nanos)
    if available.nanos + amount.nanos < 0:
        raise InsufficientFunds(
            f"available balance {available.to_decimal()} {account.currency} does "
            f"not cover an adjustment of {amount.to_decimal()} {amount.currency}; "
            "allow a negative balance explicitly to make it anyway",
            available=available.to_json(),
            requested=amount.to_json(),
        )


def _new_entry(
    account: Account, request: Adjustment, before: int, after: int
) -> LedgerEntry:
    now = utcnow()
    return LedgerEntry(
        id=new_id("txn"),
        account_id=account.id,
        type="ADJUSTMENT",
        status="COMPLETED",
        amount_nanos=request.amount.nanos,
        currency=account.currency,
        balance_before_nanos=before,
        balance_after_nanos=after,
        description=request.reason.strip(),
        idempotency_key=request.idempotency_key,
        metadata_={"source": request.source},
        actor=request.actor,
        created_at=now,
        completed_at=now,
    )
