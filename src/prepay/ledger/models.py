"""Tables of the ledger: accounts, ledger entries and received Stripe events.

Amounts are signed 64-bit integers of nanos (10^-9 of the major unit). An
entry's ``amount_nanos`` is its signed effect on the balance, so the ledger
invariant is one sum: an account's balance equals the sum of ``amount_nanos``
over its COMPLETED entries. Every table that grows with use carries the
account id, so the ledger can be sharded by account.
"""

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from prepay.db import Base

ACCOUNT_STATUSES = ("ACTIVE", "RESTRICTED")
ENTRY_TYPES = ("CREDIT", "DEBIT", "ADJUSTMENT", "REFUND", "DISPUTE")
ENTRY_STATUSES = ("PENDING", "COMPLETED", "FAILED", "CANCELED")
EVENT_STATUSES = ("RECEIVED", "PROCESSED", "IGNORED", "REVIEW", "FAILED")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(_one_of("status", ACCOUNT_STATUSES), name="status"),
        CheckConstraint("held_nanos >= 0", name="held_not_negative"),
        CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    # Money under an open dispute: part of the balance that cannot be spent.
    held_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    review_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_one_of("type", ENTRY_TYPES), name="type"),
        CheckConstraint(_one_of("status", ENTRY_STATUSES), name="status"),
        CheckConstraint(
            "(type = 'CREDIT' AND amount_nanos > 0)"
            " OR (type IN ('DEBIT', 'REFUND', 'DISPUTE') AND amount_nanos < 0)"
            " OR (type = 'ADJUSTMENT' AND amount_nanos <> 0)",
            name="amount_sign_matches_type",
        ),
        CheckConstraint(
            "balance_after_nanos IS NULL"
            " OR balance_after_nanos = balance_before_nanos + amount_nanos",
            name="balance_after_adds_up",
        ),
        CheckConstraint(
            "status <> 'COMPLETED' OR balance_after_nanos IS NOT NULL",
            name="completed_has_balance",
        ),
        CheckConstraint(
            "type <> 'DEBIT' OR balance_after_nanos IS NULL"
            " OR balance_after_nanos >= 0",
            name="debit_never_below_zero",
        ),
        UniqueConstraint("account_id", "type", "idempotency_key"),
        # With the account id in it, the key still holds when sharded by account.
        UniqueConstraint("account_id", "stripe_dispute_id"),
        Index("ix_ledger_entries_account_created", "account_id", "created_at", "id"),
        Index("ix_ledger_entries_stripe_charge_id", "stripe_charge_id"),
        # Finds the PENDING top-ups that sync-payments settles and the open
        # disputes that review lists, without scanning the ledger.
        Index("ix_ledger_entries_type_status_created", "type", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    # Signed effect on the balance: positive for CREDIT, negative for DEBIT,
    # REFUND and DISPUTE, either sign for ADJUSTMENT.
    amount_nanos: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    balance_before_nanos: Mapped[int | None] = mapped_column(BigInteger)
    balance_after_nanos: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(500), default="")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(
        String(255), unique=True
    )
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    # Set only on a dispute's DISPUTE entry, so each dispute has one entry at most.
    stripe_dispute_id: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # Who made a manual entry (an admin's email or "reconcile"), and why.
    actor: Mapped[str | None] = mapped_column(String(320))
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StripeEvent(Base):
    """One Stripe event, stored by its id before its effect is applied."""

    __tablename__ = "stripe_events"
    __table_args__ = (
        CheckConstraint(_one_of("status", EVENT_STATUSES), name="status"),
        Index("ix_stripe_events_status", "status"),
        Index("ix_stripe_events_account_id", "account_id"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    livemode: Mapped[bool] = mapped_column(Boolean)
    stripe_created: Mapped[int] = mapped_column(BigInteger)
    # The id of the event's object (a PaymentIntent, charge or dispute).
    object_id: Mapped[str | None] = mapped_column(String(255))
    account_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # The event's data.object, kept so a failed event can be replayed.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
