"""Two service processes on one PostgreSQL, hammering one account.

Each process has its own engine and connection pool, so only the database
keeps the ledger exact. It does so with the conditional UPDATE of a debit,
the row lock of a credit, and the unique keys on event ids and
PaymentIntents. Debits (some keys repeated), top-ups through signed webhook
deliveries, and repeated deliveries of the same events go to both processes
at once from several client threads.
"""

import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from prepay.auth.tokens import create_token
from prepay.db import make_engine, make_session_factory, transaction
from prepay.ledger.models import LedgerEntry
from tests.conftest import SECRET_KEY, free_port, wait_for_port
from tests.ledger.ledger_helpers import (
    assert_ledger_exact,
    new_email,
    open_topup,
    read_account,
    read_entries,
    succeeded_payment_intent,
    top_up,
    usd,
)
from tests.service.helpers import event_body, sign

pytestmark = pytest.mark.postgres

TOPUPS = 20
DEBITS = 240
DISTINCT_DEBIT_KEYS = 160
DELIVERIES_PER_EVENT = 3
CLIENT_THREADS = 8
DEADLINE_SECONDS = 120


@pytest.fixture
def postgres_sessions(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(postgres_url)
    yield make_session_factory(engine)
    engine.dispose()


def start_server(
    database_url: str, secret: str, log: Path
) -> tuple[str, "subprocess.Popen[bytes]"]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "PREPAY_ENV": "test",
            "DATABASE_URL": database_url,
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": secret,
            # Nothing listens there: these tests never call Stripe.
            "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
            "SESSION_SECRET": "test-session-secret",
        }
    )
    command = [sys.executable, "-m", "prepay", "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    wait_for_port(port)
    return f"http://127.0.0.1:{port}", process


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    secret = "whsec_" + secrets.token_hex(16)
    servers = [
        start_server(postgres_url, secret, tmp_path / f"server-{index}.log")
        for index in range(2)
    ]
    try:
        yield [url for url, _process in servers], secret
    finally:
        for _url, process in servers:
            process.terminate()
            process.wait(timeout=10)


def plan_requests(topup_bodies: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """List (kind, body or key) in a shuffled order with repeats."""
    plan = [
        ("debit", f"task-{rng.randrange(DISTINCT_DEBIT_KEYS)}") for _ in range(DEBITS)
    ]
    for body in topup_bodies:
        plan += [("event", body)] * DELIVERIES_PER_EVENT
    rng.shuffle(plan)
    return plan


def test_two_processes_keep_ledger_exact(
    postgres_sessions: sessionmaker[Session],
    two_servers: tuple[list[str], str],
) -> None:
    urls, secret = two_servers
    rng = random.Random(20261204)
    email = new_email("hot")
    top_up(postgres_sessions, email, "5.00")
    pending = [open_topup(postgres_sessions, email, usd("2.00")) for _ in range(TOPUPS)]
    bodies = [
        event_body("payment_intent.succeeded", succeeded_payment_intent(entry))
        for entry in pending
    ]
    with transaction(postgres_sessions) as session:
        token, _row = create_token(session, "runner@example.com", "service")
    plan = plan_requests(bodies, rng)
    deadline = time.monotonic() + DEADLINE_SECONDS

    def send(step: tuple[int, tuple[str, str]]) -> tuple[str, str, int]:
        index, (kind, value) = step
        if time.monotonic() > deadline:
            return kind, value, -1
        url = urls[index % 2]
        with httpx.Client(base_url=url, timeout=30) as client:
            if kind == "debit":
                response = client.post(
                    "/v1/billing/debits",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "userEmail": email,
                        "amount": usd("0.37").to_json(),
                        "idempotencyKey": value,
                    },
                )
            else:
                response = client.post(
                    "/v1/billing/webhook",
                    content=value.encode(),
                    headers={
                        "Stripe-Signature": sign(value, secret),
                        "Content-Type": "application/json",
                    },
                )
        return kind, value, response.status_code

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        results = list(pool.map(send, enumerate(plan)))

    unsent = [result for result in results if result[2] == -1]
    assert unsent == [], f"{len(unsent)} requests left after {DEADLINE_SECONDS} s"
    statuses = {status for kind, _value, status in results}
    assert statuses <= {200, 402}, statuses
    events = [status for kind, _value, status in results if kind == "event"]
    assert set(events) == {200}

    paid_keys = {
        value for kind, value, status in results if status == 200 and kind == "debit"
    }
    account = read_account(postgres_sessions, email)
    entries = read_entries(postgres_sessions, account.id)
    debited = [entry for entry in entries if entry.type == "DEBIT"]
    assert sorted(entry.idempotency_key or "" for entry in debited) == sorted(paid_keys)
    credits = [entry for entry in entries if _is_completed_credit(entry)]
    assert len(credits) == TOPUPS + 1
    expected = usd("45.00").nanos - len(debited) * usd("0.37").nanos
    assert account.balance_nanos == expected
    assert_ledger_exact(postgres_sessions)


def _is_completed_credit(entry: LedgerEntry) -> bool:
    return entry.type == "CREDIT" and entry.status == "COMPLETED"
