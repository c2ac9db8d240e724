"""The HTTP paths: a ``prepay serve`` process, debits and webhook deliveries."""

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import stripe
from bench_common import COST, HOT_EMAIL, Rate, email_for, run_threads
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.ledger import topups
from prepay.ledger.accounts import get_or_create_account
from prepay.ledger.payment_intents import ACCOUNT_KEY, EMAIL_KEY, TRANSACTION_KEY
from prepay.money import Money

WEBHOOK_SECRET = "whsec_" + secrets.token_hex(16)


@dataclass
class Server:
    url: str
    process: "subprocess.Popen[bytes]"

    def peak_rss_bytes(self) -> int:
        """Read the process's peak resident set size (VmHWM) from /proc."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) * 1024 if match else 0

    def cpu_seconds(self) -> float:
        """Read the user and system CPU time the process has used, from /proc."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        # Fields after the command name, which is in brackets and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(database_url: str, log: Path) -> Iterator[Server]:
    """Run ``prepay serve`` on a free port until the block ends."""
    port = free_port()
    env = dict(
        os.environ,
        PREPAY_ENV="test",
        DATABASE_URL=database_url,
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        # Nothing listens there: the benchmark never calls Stripe.
        STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}",
        SESSION_SECRET="bench-session-secret",
    )
    command = [sys.executable, "-m", "prepay", "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_ready(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)


def wait_until_ready(server: Server, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("prepay serve exited; see its log")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"prepay serve did not respond within {seconds} s")


def bench_http(
    server: Server, token: str, load: str, args: argparse.Namespace
) -> tuple[Rate, float]:
    """Debit through the API; return the rate and the server's CPU ms per debit."""
    run = secrets.token_hex(4)
    headers = {"Authorization": f"Bearer {token}"}
    clients = [
        httpx.Client(base_url=server.url, headers=headers, timeout=30)
        for _ in range(args.clients)
    ]

    def work(client: int, sequence: int) -> bool:
        response = clients[client].post(
            "/v1/billing/debits",
            json={
                "userEmail": email_for(load, client),
                "amount": COST.to_json(),
                "idempotencyKey": f"http-{run}-{client}-{sequence}",
            },
        )
        return response.status_code == 200

    cpu_before = server.cpu_seconds()
    try:
        rate = run_threads(args.clients, args.seconds, args.max_ops, work)
    finally:
        for client in clients:
            client.close()
    cpu = server.cpu_seconds() - cpu_before
    return rate, cpu * 1000 / max(1, rate.operations + rate.errors)


def succeeded_event(entry_id: str, account_id: str, payment_intent: str) -> str:
    minor = 1000
    return json.dumps(
        {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "livemode": False,
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment_intent,
                    "object": "payment_intent",
                    "amount": minor,
                    "amount_received": minor,
                    "currency": "usd",
                    "status": "succeeded",
                    "latest_charge": "ch_" + secrets.token_hex(12),
                    "metadata": {
                        ACCOUNT_KEY: account_id,
                        TRANSACTION_KEY: entry_id,
                        EMAIL_KEY: HOT_EMAIL,
                    },
                }
            },
        }
    )


def bench_webhooks(
    factory: sessionmaker[Session], server: Server, args: argparse.Namespace
) -> tuple[list[float], float]:
    """Deliver signed payment_intent.succeeded events one at a time.

    Returns each delivery's round trip in ms, and the server's CPU ms per
    delivery. Each event credits a top-up of
    its own, so every delivery does the full work: verify, store, credit.
    """
    bodies = []
    for _ in range(args.webhooks):
        with transaction(factory) as session:
            account = get_or_create_account(session, HOT_EMAIL, "USD")
            amount = Money.from_decimal("USD", "10.00")
            entry = topups.open_topup(session, account, amount, secrets.token_hex(8))
            payment_intent = "pi_" + secrets.token_hex(12)
            topups.attach_payment_intent(session, entry.id, payment_intent)
        bodies.append(succeeded_event(entry.id, account.id, payment_intent))

    latencies = []
    cpu_before = server.cpu_seconds()
    deadline = time.perf_counter() + args.seconds * 4
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for body in bodies:
            if time.perf_counter() > deadline:
                break
            header = stripe.WebhookSignature.generate_signature_header(
                body, WEBHOOK_SECRET
            )
            started = time.perf_counter()
            response = client.post(
                "/v1/billing/webhook",
                content=body.encode(),
                headers={
                    "Stripe-Signature": header,
                    "Content-Type": "application/json",
                },
            )
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(
                    f"webhook returned {response.status_code}: {response.text}"
                )
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(1, len(latencies))
    return latencies, cpu_ms
