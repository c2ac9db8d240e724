"""Random sequences of ledger operations, with the invariants checked after each.

Hypothesis drives one account through top-ups and their PaymentIntent events,
debits with reused idempotency keys, adjustments, refunds and disputes.
Events are queued when Stripe would send them and delivered in any order,
some of them more than once. After every step the ledger must explain the
balance, no debit may have taken the balance below zero, and each
PaymentIntent must have been credited once at most.
"""

import secrets
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.errors import AccountRestricted, IdempotencyMismatch, InsufficientFunds
from prepay.ledger import debits
from prepay.ledger.accounts import get_or_create_account
from prepay.ledger.adjustments import Adjustment, adjust
from prepay.ledger.events import IncomingEvent
from prepay.ledger.models import Account, LedgerEntry
from prepay.ledger.reconcile import ledger_total
from tests.ledger.ledger_helpers import (
    apply,
    new_email,
    open_topup,
    stripe_event,
    succeeded_payment_intent,
    usd,
)

SQLITE_EXAMPLES = 40
POSTGRES_EXAMPLES = 8
STEPS = 40
NANOS_PER_CENT = 10**7


@dataclass
class TopUp:
    """What the test expects of one top-up, from the events delivered so far."""

    entry_id: str
    payment_intent: dict[str, Any]
    charge_id: str
    cents: int
    status: str = "PENDING"
    refunded_cents: int = 0
    dispute_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    balance: int
    held: int
    status: str
    entries: int

    @property
    def available(self) -> int:
        return self.balance - self.held


class LedgerMachine(RuleBasedStateMachine):
    sessions: ClassVar[sessionmaker[Session]]

    def __init__(self) -> None:
        super().__init__()
        self.email = new_email("stateful")
        with transaction(self.sessions) as session:
            self.account_id = get_or_create_account(session, self.email, "USD").id
        self.topups: list[TopUp] = []
        self.undelivered: list[tuple[IncomingEvent, TopUp]] = []
        self.delivered: list[IncomingEvent] = []
        self.debit_keys: dict[str, int] = {}
        self.adjustment_keys: dict[str, int] = {}
        # A first top-up, paid at once, so that early debits have money.
        self.start_topup("10.00", pay_now=False)
        first = self.topups[0]
        apply(
            self.sessions,
            stripe_event("payment_intent.succeeded", first.payment_intent),
        )
        first.status = "COMPLETED"

    def snapshot(self) -> Snapshot:
        with transaction(self.sessions) as session:
            account = session.get(Account, self.account_id)
            assert account is not None
            count = session.execute(
                select(func.count()).where(LedgerEntry.account_id == self.account_id)
            ).scalar_one()
            return Snapshot(
                account.balance_nanos, account.held_nanos, account.status, count
            )

    @rule(amount=st.sampled_from(["1.00", "2.50", "10.00"]), pay_now=st.booleans())
    def start_topup(self, amount: str, pay_now: bool) -> None:
        """Open a top-up, and queue its succeeded event when ``pay_now``."""
        entry = open_topup(self.sessions, self.email, usd(amount))
        charge_id = "ch_" + secrets.token_hex(12)
        topup = TopUp(
            entry.id,
            succeeded_payment_intent(entry, charge_id),
            charge_id,
            usd(amount).nanos // NANOS_PER_CENT,
        )
        self.topups.append(topup)
        if pay_now:
            succeeded = stripe_event("payment_intent.succeeded", topup.payment_intent)
            self.undelivered.append((succeeded, topup))

    @precondition(lambda self: self.topups)
    @rule(
        data=st.data(),
        outcome=st.sampled_from(
            ["succeeded", "payment_failed", "canceled", "processing"]
        ),
    )
    def stripe_reports_payment(self, data: st.DataObject, outcome: str) -> None:
        topup = data.draw(st.sampled_from(self.topups))
        payment_intent = dict(topup.payment_intent)
        if outcome == "payment_failed":
            payment_intent["status"] = "requires_payment_method"
            payment_intent["amount_received"] = 0
            payment_intent["last_payment_error"] = {
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            }
        elif outcome == "canceled":
            payment_intent["status"] = "canceled"
            payment_intent["amount_received"] = 0
            payment_intent["cancellation_reason"] = "abandoned"
        elif outcome == "processing":
            payment_intent["status"] = "processing"
            payment_intent["amount_received"] = 0
        reported = stripe_event(f"payment_intent.{outcome}", payment_intent)
        self.undelivered.append((reported, topup))

    @precondition(lambda self: self.topups)
    @rule(data=st.data(), share=st.sampled_from([4, 2, 1]))
    def stripe_reports_refund(self, data: st.DataObject, share: int) -> None:
        """Queue charge.refunded with a cumulative total of 1/share more."""
        topup = data.draw(st.sampled_from(self.topups))
        total = min(topup.cents, topup.refunded_cents + topup.cents // share)
        topup.refunded_cents = total
        charge = {
            "id": topup.charge_id,
            "object": "charge",
            "payment_intent": topup.payment_intent["id"],
            "amount": topup.cents,
            "amount_captured": topup.cents,
            "amount_refunded": total,
            "currency": "usd",
            "refunded": total == topup.cents,
        }
        self.undelivered.append((stripe_event("charge.refunded", charge), topup))

    @precondition(lambda self: self.topups)
    @rule(
        data=st.data(),
        status=st.sampled_from(["needs_response", "under_review", "won", "lost"]),
        new_dispute=st.booleans(),
    )
    def stripe_reports_dispute(
        self, data: st.DataObject, status: str, new_dispute: bool
    ) -> None:
        topup = data.draw(st.sampled_from(self.topups))
        if new_dispute or not topup.dispute_ids:
            topup.dispute_ids.append("dp_" + secrets.token_hex(12))
        dispute_id = data.draw(st.sampled_from(topup.dispute_ids))
        opened = status in ("needs_response", "under_review")
        dispute = {
            "id": dispute_id,
            "object": "dispute",
            "charge": topup.charge_id,
            "payment_intent": topup.payment_intent["id"],
            "amount": topup.cents,
            "currency": "usd",
            "status": status,
            "reason": "fraudulent",
        }
        event_type = "charge.dispute.created" if opened else "charge.dispute.closed"
        self.undelivered.append((stripe_event(event_type, dispute), topup))

    @precondition(lambda self: self.undelivered)
    @rule(data=st.data(), count=st.integers(1, 3))
    def deliver_queued_events(self, data: st.DataObject, count: int) -> None:
        """Deliver up to ``count`` queued events, each picked from any place."""
        for _ in range(min(count, len(self.undelivered))):
            index = data.draw(st.integers(0, len(self.undelivered) - 1))
            queued, topup = self.undelivered.pop(index)

            receipt = apply(self.sessions, queued)

            assert receipt.duplicate is False
            event(f"deliver: {queued.type} {receipt.status}")
            self.delivered.append(queued)
            self.expect_topup_status(queued.type, topup)

    def expect_topup_status(self, event_type: str, topup: TopUp) -> None:
        """Apply the top-up transition that a delivered ``event_type`` causes.

        succeeded: PENDING or FAILED to COMPLETED. payment_failed: PENDING to
        FAILED. canceled: PENDING or FAILED to CANCELED. Others change nothing.
        """
        if event_type == "payment_intent.succeeded" and topup.status in (
            "PENDING",
            "FAILED",
        ):
            topup.status = "COMPLETED"
        elif (
            event_type == "payment_intent.payment_failed" and topup.status == "PENDING"
        ):
            topup.status = "FAILED"
        elif event_type == "payment_intent.canceled" and topup.status in (
            "PENDING",
            "FAILED",
        ):
            topup.status = "CANCELED"
        elif event_type == "charge.refunded" and topup.status in ("PENDING", "FAILED"):
            # A refunded charge has succeeded, so the refund completes it first.
            topup.status = "COMPLETED"

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def deliver_again(self, data: st.DataObject) -> None:
        delivered = data.draw(st.sampled_from(self.delivered))
        before = self.snapshot()

        receipt = apply(self.sessions, delivered)

        assert receipt.duplicate is True
        assert self.snapshot() == before

    @rule(
        key=st.sampled_from(["task-1", "task-2", "task-3", "task-4"]),
        amount=st.sampled_from(["0.30", "1.00", "0.00042"]),
    )
    def debit(self, key: str, amount: str) -> None:
        cost = usd(amount)
        before = self.snapshot()

        try:
            result = debits.debit(self.sessions, self.email, cost, key)
        except IdempotencyMismatch:
            event("debit: idempotency mismatch")
            assert self.debit_keys.get(key) not in (None, cost.nanos)
            return
        except AccountRestricted:
            event("debit: account restricted")
            assert key not in self.debit_keys
            assert before.status == "RESTRICTED"
            return
        except InsufficientFunds:
            event("debit: insufficient funds")
            assert key not in self.debit_keys
            assert before.available < cost.nanos
            return

        after = self.snapshot()
        event(f"debit: {'replayed' if result.replayed else 'completed'}")
        if result.replayed:
            assert self.debit_keys[key] == cost.nanos
            assert after == before
            return
        assert key not in self.debit_keys
        assert before.status == "ACTIVE"
        assert before.available >= cost.nanos
        assert after.balance == before.balance - cost.nanos
        self.debit_keys[key] = cost.nanos

    @rule(
        amount=st.sampled_from(["5.00", "0.01", "-0.70", "-20.00"]),
        # Mostly without the flag, which is the case that must be rejected.
        allow_negative=st.sampled_from([False, False, False, True]),
        key=st.sampled_from([None, "fix-1", "fix-2"]),
    )
    def adjust_balance(
        self, amount: str, allow_negative: bool, key: str | None
    ) -> None:
        change = usd(amount)
        request = Adjustment(
            change, "test correction", "admin@example.com", "api", allow_negative, key
        )
        before = self.snapshot()

        try:
            result = adjust(self.sessions, self.email, request)
        except IdempotencyMismatch:
            assert key is not None
            assert self.adjustment_keys.get(key) not in (None, change.nanos)
            return
        except (AccountRestricted, InsufficientFunds) as error:
            event(f"adjust: {type(error).__name__}")
            assert not allow_negative
            assert change.nanos < 0
            if isinstance(error, AccountRestricted):
                assert before.status == "RESTRICTED"
            else:
                assert before.available + change.nanos < 0
            return

        after = self.snapshot()
        if result.replayed:
            assert key is not None
            assert self.adjustment_keys[key] == change.nanos
            assert after == before
            return
        assert after.balance == before.balance + change.nanos
        if key is not None:
            self.adjustment_keys[key] = change.nanos

    @invariant()
    def ledger_explains_balance(self) -> None:
        with transaction(self.sessions) as session:
            account = session.get(Account, self.account_id)
            assert account is not None
            total = ledger_total(session, self.account_id)
            entries = list(
                session.scalars(
                    select(LedgerEntry).where(LedgerEntry.account_id == self.account_id)
                )
            )

        if account.balance_nanos < 0:
            event("invariant: balance below zero")
        if account.held_nanos > 0:
            event("invariant: amount held")
        assert account.balance_nanos == total
        assert (account.status == "RESTRICTED") == (account.balance_nanos < 0)
        holds = [
            e.amount_nanos
            for e in entries
            if e.type == "DISPUTE" and e.status == "PENDING"
        ]
        assert account.held_nanos == -sum(holds)
        for entry in entries:
            if entry.type == "DEBIT":
                assert entry.balance_after_nanos is not None
                assert entry.balance_after_nanos >= 0
        self.check_topups(entries)

    def check_topups(self, entries: list[LedgerEntry]) -> None:
        """Check each top-up's status, and that it was credited once at most."""
        by_id = {entry.id: entry for entry in entries}
        for topup in self.topups:
            entry = by_id[topup.entry_id]
            assert entry.status == topup.status, topup
            assert entry.amount_nanos == topup.cents * NANOS_PER_CENT
            taken_back = -sum(
                e.amount_nanos
                for e in entries
                if e.stripe_charge_id == topup.charge_id
                and e.type in ("REFUND", "DISPUTE")
                and e.status == "COMPLETED"
            )
            refunded = -sum(
                e.amount_nanos
                for e in entries
                if e.stripe_charge_id == topup.charge_id
                and e.type == "REFUND"
                and e.status == "COMPLETED"
            )
            assert taken_back <= topup.cents * NANOS_PER_CENT
            assert refunded <= topup.refunded_cents * NANOS_PER_CENT


def test_random_ledger_sequences(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    examples = (
        SQLITE_EXAMPLES if database_url.startswith("sqlite") else POSTGRES_EXAMPLES
    )

    class Machine(LedgerMachine):
        pass

    Machine.sessions = sessions
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
