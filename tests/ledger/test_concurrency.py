"""Debits and credits racing on one account, in threads with their own sessions.

Every thread waits at a barrier and then runs its transaction, so the
transactions overlap on the account row. A read-modify-write in Python
would let two of them read the same balance and lose an update.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from prepay.errors import InsufficientFunds
from prepay.ledger import debits
from prepay.ledger.adjustments import Adjustment, adjust
from prepay.ledger.events import Receipt
from tests.ledger.ledger_helpers import (
    apply,
    assert_balance_chain,
    assert_ledger_exact,
    new_email,
    open_topup,
    read_account,
    read_entries,
    stripe_event,
    succeeded_payment_intent,
    top_up,
    usd,
)

ROUNDS = 3
THREADS = 10


def run_together(tasks: list[Callable[[], object]]) -> list[object]:
    """Run the tasks in threads released at once; return results or exceptions."""
    barrier = threading.Barrier(len(tasks))

    def run(task: Callable[[], object]) -> object:
        barrier.wait(timeout=30)
        try:
            return task()
        except Exception as error:  # noqa: BLE001  (the test inspects it)
            return error

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(run, task) for task in tasks]
        return [future.result(timeout=60) for future in futures]


def test_ten_debits_on_one_dollar(sessions: sessionmaker[Session]) -> None:
    for _round in range(ROUNDS):
        email = new_email("race")
        top_up(sessions, email, "1.00")

        outcomes = run_together(
            [
                partial(debits.debit, sessions, email, usd("0.30"), f"task-{index}")
                for index in range(THREADS)
            ]
        )

        successes = [o for o in outcomes if isinstance(o, debits.DebitResult)]
        refused = [o for o in outcomes if isinstance(o, InsufficientFunds)]
        assert len(successes) == 3, outcomes
        assert len(refused) == 7, outcomes
        account = read_account(sessions, email)
        assert account.balance_nanos == usd("0.10").nanos
        entries = read_entries(sessions, account.id)
        assert [e.type for e in entries].count("DEBIT") == 3
        assert_balance_chain(entries, account.balance_nanos)
    assert_ledger_exact(sessions)


def test_same_key_racing_charges_once(sessions: sessionmaker[Session]) -> None:
    email = new_email("twin")
    top_up(sessions, email, "5.00")

    outcomes = run_together(
        [partial(debits.debit, sessions, email, usd("1.25"), "one-task")] * THREADS
    )

    results = [o for o in outcomes if isinstance(o, debits.DebitResult)]
    assert len(results) == THREADS, outcomes
    assert len({result.entry.id for result in results}) == 1
    assert [result.replayed for result in results].count(False) == 1
    account = read_account(sessions, email)
    assert account.balance_nanos == usd("3.75").nanos
    assert_ledger_exact(sessions)


def test_credit_and_debit_racing_lose_neither(
    sessions: sessionmaker[Session],
) -> None:
    email = new_email("mixed")
    top_up(sessions, email, "1.00")

    for index in range(ROUNDS * 3):
        pending = open_topup(sessions, email, usd("10.00"))
        event = stripe_event(
            "payment_intent.succeeded", succeeded_payment_intent(pending)
        )
        goodwill = Adjustment(usd("0.25"), "goodwill", "admin@example.com", "api")
        outcomes = run_together(
            [
                partial(apply, sessions, event),
                partial(debits.debit, sessions, email, usd("0.50"), f"task-{index}"),
                partial(adjust, sessions, email, goodwill),
            ]
        )
        assert isinstance(outcomes[0], Receipt), outcomes
        assert isinstance(outcomes[1], debits.DebitResult), outcomes

    account = read_account(sessions, email)
    rounds = ROUNDS * 3
    expected = usd("1.00").nanos + rounds * usd("9.75").nanos
    assert account.balance_nanos == expected
    assert_balance_chain(read_entries(sessions, account.id), account.balance_nanos)
    assert_ledger_exact(sessions)
