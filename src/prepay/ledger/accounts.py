"""Billing accounts: one per user email, in one currency."""

import re
import unicodedata

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from prepay.errors import InvalidArgument, NotFound
from prepay.ledger.models import Account, new_id, utcnow

# Deliberately loose: one @, no spaces, a dot in the domain. The identity
# provider has already checked the address; this only rejects garbage.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 320


def normalize_email(value: object, field: str = "userEmail") -> str:
    """Return the lower-cased address, or raise InvalidArgument naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(field, "is required: give the user's email address")
    email = value.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise InvalidArgument(field, "is not a valid email address")
    # Control and format characters (escape sequences, NUL, right-to-left
    # overrides) have no place in an address and would reach logs and pages.
    if any(unicodedata.category(char).startswith("C") for char in email):
        raise InvalidArgument(field, "contains control or invisible characters")
    return email


def find_account(session: Session, email: str) -> Account | None:
    return session.scalars(select(Account).where(Account.email == email)).first()


def require_account(session: Session, email: str) -> Account:
    account = find_account(session, email)
    if account is None:
        raise NotFound(
            f"no billing account for {email}; it is created by the first top-up",
            userEmail=email,
        )
    return account


def get_or_create_account(session: Session, email: str, currency: str) -> Account:
    """Return the account for ``email``, creating it in ``currency`` if needed.

    Safe under concurrency: the insert does nothing when another request
    created the same account first.
    """
    account = find_account(session, email)
    if account is not None:
        return account
    now = utcnow()
    values = {
        "id": new_id("acc"),
        "email": email,
        "currency": currency,
        "balance_nanos": 0,
        "held_nanos": 0,
        "status": "ACTIVE",
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Account).values(**values).on_conflict_do_nothing()
    session.execute(statement)
    return find_account(session, email) or _missing(email)


def _missing(email: str) -> Account:
    raise RuntimeError(f"account for {email} vanished right after its insert")


def set_stripe_customer(session: Session, account_id: str, customer_id: str) -> None:
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(stripe_customer_id=customer_id, updated_at=utcnow())
    )


def lock_account(session: Session, account_id: str) -> Account:
    """Read the account row with a row lock held to the end of the transaction.

    SQLite has no row locks, but every prepay transaction there begins with
    BEGIN IMMEDIATE, which holds the database's one write lock instead.
    """
    statement = (
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).one()
