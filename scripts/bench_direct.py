"""The ceiling: one debit's SQL statements, run without prepay in between."""

import argparse
import os
import re
import secrets
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime

import sqlalchemy
from bench_common import COST, HOT_EMAIL, Rate, email_for, run_threads

# One debit's statements for pgbench, the same as SQLAlchemy sends them, with
# {email} filled in per load. The idempotency key and entry id come from a
# random 63-bit number, so a clash within one run is improbable.
PGBENCH_DEBIT = """\\set r random(1, 9000000000000000000)
BEGIN;
SELECT id AS account_id, email, currency, balance_nanos, held_nanos, status,
  stripe_customer_id, review_reason, created_at, updated_at
  FROM accounts WHERE email = {email} \\gset
SELECT * FROM ledger_entries
  WHERE account_id = :account_id AND type = 'DEBIT'
  AND idempotency_key = 'pgb-' || :r;
UPDATE accounts SET balance_nanos = balance_nanos - {cost}, updated_at = now()
  WHERE id = :account_id AND status = 'ACTIVE'
  AND balance_nanos - held_nanos >= {cost}
  RETURNING balance_nanos AS after \\gset
INSERT INTO ledger_entries (id, account_id, type, status, amount_nanos, currency,
  balance_before_nanos, balance_after_nanos, description,
  stripe_payment_intent_id, stripe_charge_id, stripe_refund_id,
  stripe_dispute_id, idempotency_key, metadata, actor, failure_code,
  failure_message, created_at, completed_at)
  VALUES ('txn_pgb_' || :r, :account_id, 'DEBIT', 'COMPLETED', -{cost}, 'USD',
  :after::bigint + {cost}, :after::bigint, '', NULL, NULL, NULL, NULL,
  'pgb-' || :r, '{{}}', NULL, NULL, NULL, now(), now());
END;
"""


def sqlite_debit(connection: sqlite3.Connection, email: str, key: str) -> None:
    """Run the statements of one debit, as SQLAlchemy sends them for SQLite."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    connection.execute("BEGIN IMMEDIATE")
    account_id = connection.execute(
        "SELECT id, email, currency, balance_nanos, held_nanos, status, "
        "stripe_customer_id, review_reason, created_at, updated_at "
        "FROM accounts WHERE email = ?",
        (email,),
    ).fetchone()[0]
    connection.execute(
        "SELECT * FROM ledger_entries WHERE account_id = ? AND type = ? "
        "AND idempotency_key = ?",
        (account_id, "DEBIT", key),
    ).fetchall()
    after = connection.execute(
        "UPDATE accounts SET balance_nanos=(balance_nanos - ?), updated_at=? "
        "WHERE id = ? AND status = ? AND balance_nanos - held_nanos >= ? "
        "RETURNING balance_nanos",
        (COST.nanos, now, account_id, "ACTIVE", COST.nanos),
    ).fetchone()[0]
    connection.execute(
        "INSERT INTO ledger_entries (id, account_id, type, status, amount_nanos, "
        "currency, balance_before_nanos, balance_after_nanos, description, "
        "stripe_payment_intent_id, stripe_charge_id, stripe_refund_id, "
        "stripe_dispute_id, idempotency_key, metadata, actor, failure_code, "
        "failure_message, created_at, completed_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("txn_" + secrets.token_hex(12), account_id, "DEBIT", "COMPLETED")
        + (-COST.nanos, "USD", after + COST.nanos, after, "", None, None, None)
        + (None, key, "{}", None, None, None, now, now),
    )
    connection.execute("COMMIT")


def bench_sqlite_direct(path: str, load: str, args: argparse.Namespace) -> Rate:
    run = secrets.token_hex(4)
    connections = []
    for _ in range(args.clients):
        connection = sqlite3.connect(
            path, isolation_level=None, timeout=10, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=10000")
        connections.append(connection)

    def work(client: int, sequence: int) -> bool:
        key = f"sql-{run}-{client}-{sequence}"
        sqlite_debit(connections[client], email_for(load, client), key)
        return True

    try:
        return run_threads(args.clients, args.seconds, args.max_ops, work)
    finally:
        for connection in connections:
            connection.close()


def bench_pgbench(url: str, schema: str, load: str, args: argparse.Namespace) -> Rate:
    """Run the debit's statements with pgbench; the rate is its tps."""
    parts = sqlalchemy.make_url(url)
    env = dict(os.environ, PGOPTIONS=f"-c search_path={schema}")
    if parts.password:
        env["PGPASSWORD"] = parts.password

    if load == "hot":
        email = f"'{HOT_EMAIL}'"
    else:
        email = "'bench-' || :client_id || '@example.com'"
    script = PGBENCH_DEBIT.format(email=email, cost=COST.nanos)
    with tempfile.NamedTemporaryFile("w", suffix=".pgbench") as handle:
        handle.write(script)
        handle.flush()
        command = [
            "pgbench",
            "--no-vacuum",
            "--protocol=prepared",
            f"--client={args.clients}",
            f"--jobs={min(args.clients, os.cpu_count() or 1)}",
            f"--time={max(1, round(args.seconds))}",
            f"--file={handle.name}",
            f"--host={parts.host or '127.0.0.1'}",
            f"--port={parts.port or 5432}",
            f"--username={parts.username or 'postgres'}",
            parts.database or "postgres",
        ]

        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=args.seconds + 60
        )
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed: {result.stderr.strip()}")
    processed = re.search(r"processed: (\d+)", result.stdout)
    tps = re.search(
        r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout
    )
    if processed is None or tps is None:
        raise RuntimeError(f"pgbench printed no tps: {result.stdout}")
    count = int(processed.group(1))
    return Rate(count, count / float(tps.group(1)))
