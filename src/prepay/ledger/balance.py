"""Moving an account's balance under a row lock, for everything but debits.

Debits use their own single conditional UPDATE; credits, refunds, disputes
and adjustments come here. The account row is locked first, so the entry's
balance before and after are exact even while debits race.
"""

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from prepay.ledger.accounts import lock_account
from prepay.ledger.models import Account, utcnow
from prepay.money import INT64_MAX, INT64_MIN


class BalanceOverflow(ValueError):
    """A balance that would leave the signed 64-bit range of nanos."""


def move_balance(
    session: Session, account_id: str, delta_nanos: int
) -> tuple[int, int]:
    """Add ``delta_nanos`` (either sign) to the balance; return (before, after).

    The account becomes RESTRICTED when the balance goes below zero (only a
    Stripe reversal or an admin can do that) and ACTIVE again once it is
    zero or more.
    """
    account = lock_account(session, account_id)
    before = account.balance_nanos
    after = before + delta_nanos
    if not INT64_MIN <= after <= INT64_MAX:
        raise BalanceOverflow(f"balance of {account_id} would overflow int64 nanos")

    status = "ACTIVE" if after >= 0 else "RESTRICTED"
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(
            balance_nanos=Account.balance_nanos + delta_nanos,
            status=status,
            updated_at=utcnow(),
        )
        # The session's copy is updated below, as already written, which is
        # cheaper than letting the ORM match the WHERE clause against it.
        .execution_options(synchronize_session=False)
    )
    set_committed_value(account, "balance_nanos", after)
    set_committed_value(account, "status", status)
    return before, after
