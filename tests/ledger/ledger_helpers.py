"""Helpers for ledger tests: top-ups credited through events, and the invariants."""

import secrets
import time
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.ledger import topups
from prepay.ledger.accounts import get_or_create_account
from prepay.ledger.events import IncomingEvent, Receipt, receive_event
from prepay.ledger.handlers import HANDLERS
from prepay.ledger.models import Account, LedgerEntry
from prepay.ledger.payment_intents import ACCOUNT_KEY, EMAIL_KEY, TRANSACTION_KEY
from prepay.ledger.reconcile import find_mismatches
from prepay.money import Money


def usd(amount: str) -> Money:
    return Money.from_decimal("USD", amount)


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"


def open_topup(
    sessions: sessionmaker[Session], email: str, amount: Money
) -> LedgerEntry:
    """Write a PENDING top-up with a PaymentIntent id, as the top-up route does."""
    with transaction(sessions) as session:
        account = get_or_create_account(session, email, amount.currency)
        entry = topups.open_topup(session, account, amount, secrets.token_hex(8))
        topups.attach_payment_intent(session, entry.id, "pi_" + secrets.token_hex(12))
        session.refresh(entry)
        return entry


def succeeded_payment_intent(
    entry: LedgerEntry, charge_id: str | None = None
) -> dict[str, Any]:
    minor = Money(entry.currency, entry.amount_nanos).to_minor_units()
    return {
        "id": entry.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": minor,
        "amount_received": minor,
        "currency": entry.currency.lower(),
        "status": "succeeded",
        "latest_charge": charge_id or "ch_" + secrets.token_hex(12),
        "last_payment_error": None,
        "metadata": {
            ACCOUNT_KEY: entry.account_id,
            TRANSACTION_KEY: entry.id,
            EMAIL_KEY: "someone@example.com",
        },
    }


def stripe_event(event_type: str, data: dict[str, Any]) -> IncomingEvent:
    return IncomingEvent(
        id="evt_" + secrets.token_hex(12),
        type=event_type,
        livemode=False,
        created=int(time.time()),
        data=data,
    )


def apply(sessions: sessionmaker[Session], event: IncomingEvent) -> Receipt:
    """Store and apply a verified event, as the webhook route does."""
    return receive_event(sessions, event, HANDLERS, expected_livemode=False)


def top_up(sessions: sessionmaker[Session], email: str, amount: str) -> LedgerEntry:
    """Credit ``amount`` through a payment_intent.succeeded event."""
    entry = open_topup(sessions, email, usd(amount))
    receipt = apply(
        sessions,
        stripe_event("payment_intent.succeeded", succeeded_payment_intent(entry)),
    )
    assert receipt.status == "PROCESSED"
    return entry


def read_account(sessions: sessionmaker[Session], email: str) -> Account:
    with transaction(sessions) as session:
        statement = select(Account).where(Account.email == email)
        return session.scalars(statement).one()


def read_entries(sessions: sessionmaker[Session], account_id: str) -> list[LedgerEntry]:
    with transaction(sessions) as session:
        statement = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
        return list(session.scalars(statement))


def assert_ledger_exact(sessions: sessionmaker[Session]) -> None:
    """Check the invariants that must hold for every account at any moment."""
    with transaction(sessions) as session:
        mismatches = find_mismatches(session)
        debits_below_zero = session.scalars(
            select(LedgerEntry.id).where(
                LedgerEntry.type == "DEBIT", LedgerEntry.balance_after_nanos < 0
            )
        ).all()
        credited = session.scalars(
            select(LedgerEntry.stripe_payment_intent_id).where(
                LedgerEntry.type == "CREDIT", LedgerEntry.status == "COMPLETED"
            )
        ).all()

    assert mismatches == [], "balances differ from their ledger"
    assert debits_below_zero == [], "a debit took a balance below zero"
    credited_twice = [pi for pi, count in Counter(credited).items() if count > 1]
    assert credited_twice == [], "a PaymentIntent was credited twice"


def assert_balance_chain(entries: list[LedgerEntry], final_nanos: int) -> None:
    """Check that the COMPLETED entries' before and after balances form one chain.

    Each entry starts where another ended, from zero to the final balance. Two
    writers that read the same balance would leave one "before" twice and one
    "after" unmatched, which this catches.
    """
    completed = [entry for entry in entries if entry.status == "COMPLETED"]
    befores = sorted([entry.balance_before_nanos or 0 for entry in completed])
    afters = sorted([entry.balance_after_nanos or 0 for entry in completed])
    assert sorted(befores + [final_nanos]) == sorted(afters + [0])
