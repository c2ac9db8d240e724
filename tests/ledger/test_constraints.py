"""The database itself rejects rows that break a ledger rule.

Each case inserts a row with plain SQL, past every check in Python: first a
valid row, which must be accepted, and then the same row with one field
changed, which must fail on the named constraint. SQLite names a failed
CHECK but lists the columns of a failed UNIQUE, so a case gives both.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Connection, text

from prepay.db import make_engine

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def account_row(**changes: Any) -> dict[str, Any]:
    row = {
        "id": "acc_" + secrets.token_hex(8),
        "email": f"user-{secrets.token_hex(4)}@example.com",
        "currency": "USD",
        "balance_nanos": 0,
        "held_nanos": 0,
        "status": "ACTIVE",
        "stripe_customer_id": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return row | changes


def entry_row(**changes: Any) -> dict[str, Any]:
    row = {
        "id": "txn_" + secrets.token_hex(8),
        "account_id": "acc_base",
        "type": "DEBIT",
        "status": "COMPLETED",
        "amount_nanos": -300,
        "currency": "USD",
        "balance_before_nanos": 1000,
        "balance_after_nanos": 700,
        "description": "",
        "stripe_payment_intent_id": None,
        "stripe_dispute_id": None,
        "idempotency_key": None,
        "metadata": "{}",
        "created_at": NOW,
    }
    return row | changes


def event_row(**changes: Any) -> dict[str, Any]:
    row = {
        "id": "evt_" + secrets.token_hex(8),
        "type": "payment_intent.succeeded",
        "livemode": False,
        "stripe_created": 1767323045,
        "status": "RECEIVED",
        "attempts": 0,
        "payload": "{}",
        "received_at": NOW,
    }
    return row | changes


@dataclass(frozen=True)
class Case:
    table: str
    valid: dict[str, Any]
    changes: dict[str, Any]
    # The constraint's name, which PostgreSQL reports for every kind and
    # SQLite for a CHECK. An unknown entry type also breaks the amount's sign
    # rule, and either database may report either one.
    constraint: str | tuple[str, ...]
    # What SQLite reports for a UNIQUE or FOREIGN KEY failure instead.
    sqlite_text: str | None = None
    label: str = field(default="", compare=False)


CASES = [
    Case(
        "accounts",
        account_row(),
        {"status": "FROZEN"},
        "ck_accounts_status",
        label="account status unknown",
    ),
    Case(
        "accounts",
        account_row(),
        {"held_nanos": -1},
        "ck_accounts_held_not_negative",
        label="held amount negative",
    ),
    Case(
        "accounts",
        account_row(),
        {"email": "Ada@Example.com"},
        "ck_accounts_email_lower_case",
        label="email not lower case",
    ),
    Case(
        "accounts",
        account_row(),
        {"email": "base@example.com"},
        "uq_accounts_email",
        "UNIQUE constraint failed: accounts.email",
        label="email taken",
    ),
    Case(
        "accounts",
        account_row(),
        {"stripe_customer_id": "cus_base"},
        "uq_accounts_stripe_customer_id",
        "UNIQUE constraint failed: accounts.stripe_customer_id",
        label="Stripe customer taken",
    ),
    Case(
        "ledger_entries",
        entry_row(),
        {"type": "GIFT"},
        ("ck_ledger_entries_type", "ck_ledger_entries_amount_sign_matches_type"),
        label="entry type unknown",
    ),
    Case(
        "ledger_entries",
        entry_row(),
        {"status": "DONE"},
        "ck_ledger_entries_status",
        label="entry status unknown",
    ),
    Case(
        "ledger_entries",
        entry_row(type="CREDIT", amount_nanos=300, balance_after_nanos=1300),
        {"amount_nanos": -300, "balance_after_nanos": 700},
        "ck_ledger_entries_amount_sign_matches_type",
        label="credit negative",
    ),
    Case(
        "ledger_entries",
        entry_row(),
        {"amount_nanos": 300, "balance_after_nanos": 1300},
        "ck_ledger_entries_amount_sign_matches_type",
        label="debit positive",
    ),
    Case(
        "ledger_entries",
        entry_row(type="REFUND"),
        {"amount_nanos": 300, "balance_after_nanos": 1300},
        "ck_ledger_entries_amount_sign_matches_type",
        label="refund positive",
    ),
    Case(
        "ledger_entries",
        entry_row(type="DISPUTE"),
        {"amount_nanos": 300, "balance_after_nanos": 1300},
        "ck_ledger_entries_amount_sign_matches_type",
        label="dispute positive",
    ),
    Case(
        "ledger_entries",
        entry_row(type="ADJUSTMENT"),
        {"amount_nanos": 0, "balance_after_nanos": 1000},
        "ck_ledger_entries_amount_sign_matches_type",
        label="adjustment zero",
    ),
    Case(
        "ledger_entries",
        entry_row(),
        {"balance_after_nanos": 800},
        "ck_ledger_entries_balance_after_adds_up",
        label="balance after wrong",
    ),
    Case(
        "ledger_entries",
        entry_row(),
        {"balance_before_nanos": None, "balance_after_nanos": None},
        "ck_ledger_entries_completed_has_balance",
        label="completed without balance",
    ),
    Case(
        "ledger_entries",
        entry_row(),
        {"balance_before_nanos": 200, "balance_after_nanos": -100},
        "ck_ledger_entries_debit_never_below_zero",
        label="debit below zero",
    ),
    Case(
        "ledger_entries",
        entry_row(idempotency_key="key-2"),
        {"idempotency_key": "key-1"},
        "uq_ledger_entries_account_id_type_idempotency_key",
        "UNIQUE constraint failed: ledger_entries.account_id, ledger_entries.type, "
        "ledger_entries.idempotency_key",
        label="idempotency key reused",
    ),
    Case(
        "ledger_entries",
        entry_row(type="CREDIT", amount_nanos=300, balance_after_nanos=1300),
        {"stripe_payment_intent_id": "pi_base"},
        "uq_ledger_entries_stripe_payment_intent_id",
        "UNIQUE constraint failed: ledger_entries.stripe_payment_intent_id",
        label="PaymentIntent on two top-ups",
    ),
    Case(
        "ledger_entries",
        entry_row(type="DISPUTE", status="PENDING", balance_after_nanos=None),
        {"stripe_dispute_id": "dp_base"},
        "uq_ledger_entries_account_id_stripe_dispute_id",
        "UNIQUE constraint failed: ledger_entries.account_id, "
        "ledger_entries.stripe_dispute_id",
        label="dispute on two entries",
    ),
    Case(
        "ledger_entries",
        entry_row(),
        {"account_id": "acc_missing"},
        "fk_ledger_entries_account_id_accounts",
        "FOREIGN KEY constraint failed",
        label="entry of unknown account",
    ),
    Case(
        "stripe_events",
        event_row(),
        {"id": "evt_base"},
        "pk_stripe_events",
        "UNIQUE constraint failed: stripe_events.id",
        label="event id repeated",
    ),
    Case(
        "stripe_events",
        event_row(),
        {"status": "LOST"},
        "ck_stripe_events_status",
        label="event status unknown",
    ),
]


def insert(connection: Connection, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def insert_base_rows(connection: Connection) -> None:
    """Write the rows that the uniqueness cases collide with."""
    insert(
        connection,
        "accounts",
        account_row(
            id="acc_base", email="base@example.com", stripe_customer_id="cus_base"
        ),
    )
    insert(connection, "ledger_entries", entry_row(idempotency_key="key-1"))
    insert(
        connection,
        "ledger_entries",
        entry_row(
            type="CREDIT",
            amount_nanos=300,
            balance_after_nanos=1300,
            stripe_payment_intent_id="pi_base",
        ),
    )
    insert(
        connection,
        "ledger_entries",
        entry_row(
            type="DISPUTE",
            status="PENDING",
            balance_after_nanos=None,
            stripe_dispute_id="dp_base",
        ),
    )
    insert(connection, "stripe_events", event_row(id="evt_base"))


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_database_rejects_bad_row(database_url: str, case: Case) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            insert_base_rows(connection)
            insert(connection, case.table, case.valid)

        # A new id, and a new email for an account, so that only the
        # changed field can collide.
        bad = case.valid | {"id": case.valid["id"] + "x"}
        if case.table == "accounts":
            bad["email"] = f"other-{secrets.token_hex(4)}@example.com"
        bad |= case.changes
        with pytest.raises(sqlalchemy.exc.IntegrityError) as caught:
            with engine.begin() as connection:
                insert(connection, case.table, bad)
        dialect = engine.dialect.name
    finally:
        engine.dispose()

    message = str(caught.value.orig)
    if dialect == "sqlite" and case.sqlite_text is not None:
        assert case.sqlite_text in message
    else:
        names = (
            (case.constraint,) if isinstance(case.constraint, str) else case.constraint
        )
        assert any(name in message for name in names), message
