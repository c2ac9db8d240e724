"""Measure debits per second, webhook latency and the server's memory.

For SQLite and for PostgreSQL, in one run, debits per second through:

- the HTTP API: a ``prepay serve`` process and concurrent httpx clients;
- the service layer: ``prepay.ledger.debits.debit`` in threads;
- direct SQL: the statements that one debit runs (BEGIN, two SELECTs, the
  conditional UPDATE, the INSERT, COMMIT), through pgbench with a custom
  script on PostgreSQL and a plain sqlite3 loop on SQLite. That is the
  ceiling that the other two are compared with.

Each runs with clients on distinct accounts and with all clients on one hot
account. Then signed webhook deliveries go to the server one at a time for
p50 and p95 latency, and the server's peak RSS (VmHWM) is read from /proc.

Every phase stops at --seconds or --max-ops, whichever comes first. The
PostgreSQL part uses a schema of its own, dropped at the end, on the server
at --postgres-url.
"""

import argparse
import os
import platform
import re
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy
from bench_common import (
    COST,
    FUNDS,
    HOT_EMAIL,
    Rate,
    client_email,
    email_for,
    run_threads,
    say,
)
from bench_direct import bench_pgbench, bench_sqlite_direct
from bench_server import bench_http, bench_webhooks, serve
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from prepay.auth.tokens import create_token
from prepay.db import make_engine, make_session_factory, transaction
from prepay.ledger import debits
from prepay.ledger.accounts import get_or_create_account
from prepay.ledger.adjustments import Adjustment, adjust
from prepay.migrate import upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def prepare_accounts(factory: sessionmaker[Session], clients: int) -> None:
    """Create the hot account and one account per client, each well funded."""
    for email in [HOT_EMAIL, *(client_email(i) for i in range(clients))]:
        with transaction(factory) as session:
            get_or_create_account(session, email, "USD")
        adjust(factory, email, Adjustment(FUNDS, "benchmark funds", "bench", "cli"))


def bench_service(
    factory: sessionmaker[Session], load: str, args: argparse.Namespace
) -> tuple[Rate, float]:
    """Debit in threads; return the rate and this process's CPU ms per debit."""
    run = secrets.token_hex(4)

    def work(client: int, sequence: int) -> bool:
        key = f"svc-{run}-{client}-{sequence}"
        debits.debit(factory, email_for(load, client), COST, key)
        return True

    cpu_before = time.process_time()
    rate = run_threads(args.clients, args.seconds, args.max_ops, work)
    cpu = time.process_time() - cpu_before
    return rate, cpu * 1000 / max(1, rate.operations + rate.errors)


@dataclass(frozen=True)
class Row:
    database: str
    load: str
    path: str
    rate: Rate
    ceiling: Rate
    # CPU time per debit of the process that runs prepay's code, in ms.
    cpu_ms: float


def bench_database(
    name: str,
    url: str,
    direct: Callable[[str], Rate],
    work_dir: Path,
    args: argparse.Namespace,
) -> tuple[list[Row], tuple[list[float], float], int]:
    """Run every phase on one database; return rows, webhook ms and peak RSS."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    prepare_accounts(factory, args.clients)
    with transaction(factory) as session:
        token, _row = create_token(session, "bench@example.com", "service")

    rows = []
    try:
        with serve(url, work_dir / f"server-{name}.log") as server:
            for load in ("distinct", "hot"):
                ceiling = direct(load)
                service, service_cpu = bench_service(factory, load, args)
                http, http_cpu = bench_http(server, token, load, args)
                rows.append(Row(name, load, "service", service, ceiling, service_cpu))
                rows.append(Row(name, load, "HTTP", http, ceiling, http_cpu))
            webhooks = bench_webhooks(factory, server, args)
            peak = server.peak_rss_bytes()
    finally:
        engine.dispose()
    return rows, webhooks, peak


def bench_sqlite(
    work_dir: Path, args: argparse.Namespace
) -> tuple[list[Row], tuple[list[float], float], int]:
    path = work_dir / "bench.db"
    return bench_database(
        "SQLite",
        f"sqlite:///{path}",
        lambda load: bench_sqlite_direct(str(path), load, args),
        work_dir,
        args,
    )


@contextmanager
def postgres_schema(server_url: str) -> Iterator[tuple[str, str]]:
    """Create a schema for this run; yield (its URL, its name), then drop it."""
    schema = "prepay_bench_" + secrets.token_hex(4)
    admin = sqlalchemy.create_engine(server_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = sqlalchemy.make_url(server_url).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield url.render_as_string(hide_password=False), schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_version(server_url: str) -> str:
    engine = sqlalchemy.create_engine(server_url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def machine_lines(args: argparse.Namespace) -> list[str]:
    meminfo = Path("/proc/meminfo").read_text(encoding="ascii")
    memory = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    lines = [
        f"CPUs (nproc): {os.cpu_count()}",
        f"CPU model: {model.group(1) if model else 'unknown'}",
        f"memory: {int(memory.group(1)) / 1024**2:.1f} GiB" if memory else "memory: ?",
        f"Python: {platform.python_version()}",
        f"SQLite: {sqlite3.sqlite_version}",
        f"load average (1 min) at the start: {os.getloadavg()[0]:.2f}",
    ]
    if not args.skip_postgres:
        lines.append(f"PostgreSQL: {postgres_version(args.postgres_url)}")
    return lines


def report(
    rows: list[Row],
    webhooks: dict[str, tuple[list[float], float]],
    peaks: dict[str, int],
    args: argparse.Namespace,
) -> None:
    say()
    say(f"debits of {COST} each, {args.clients} clients, {args.seconds:g} s per phase")
    say(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    header = f"{'database':<11}{'load':<10}{'path':<9}{'debits/s':>10}"
    say(f"{header}{'direct SQL/s':>14}{'ratio':>8}{'CPU ms/debit':>14}{'errors':>8}")
    for row in rows:
        ratio = (
            row.rate.per_second / row.ceiling.per_second
            if row.ceiling.per_second
            else 0
        )
        say(
            f"{row.database:<11}{row.load:<10}{row.path:<9}"
            f"{row.rate.per_second:>10.0f}{row.ceiling.per_second:>14.0f}"
            f"{ratio:>8.2f}{row.cpu_ms:>14.2f}{row.rate.errors:>8}"
        )
    say()
    for name, (latencies, cpu_ms) in webhooks.items():
        percentiles = statistics.quantiles(latencies, n=100, method="inclusive")
        p50, p95 = percentiles[49], percentiles[94]
        say(
            f"{name} webhook latency over {len(latencies)} deliveries: "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, server CPU {cpu_ms:.2f} ms each"
        )
    for name, peak in peaks.items():
        say(f"{name} server peak RSS (VmHWM): {peak / 1024**2:.0f} MiB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="length of each phase in seconds"
    )
    parser.add_argument(
        "--max-ops", type=int, default=100_000, help="maximum debits per phase"
    )
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent clients (threads)"
    )
    parser.add_argument(
        "--webhooks", type=int, default=200, help="webhook deliveries to time"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PREPAY_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL server; a schema is created there and dropped",
    )
    parser.add_argument(
        "--skip-postgres", action="store_true", help="measure SQLite only"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not args.skip_postgres and shutil.which("pgbench") is None:
        say("pgbench not found: install the PostgreSQL client or use --skip-postgres")
        return 2
    for line in machine_lines(args):
        say(line)

    rows: list[Row] = []
    webhooks: dict[str, tuple[list[float], float]] = {}
    peaks: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="prepay-bench-") as directory:
        work_dir = Path(directory)
        say("measuring SQLite ...")
        sqlite_rows, webhooks["SQLite"], peaks["SQLite"] = bench_sqlite(work_dir, args)
        rows += sqlite_rows
        if not args.skip_postgres:
            say("measuring PostgreSQL ...")
            with postgres_schema(args.postgres_url) as (url, schema):
                pg_rows, webhooks["PostgreSQL"], peaks["PostgreSQL"] = bench_database(
                    "PostgreSQL",
                    url,
                    lambda load: bench_pgbench(url, schema, load, args),
                    work_dir,
                    args,
                )
            rows += pg_rows
    report(rows, webhooks, peaks, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
