"""``prepay reconcile``, ``prepay adjust`` and ``prepay export``: the ledger's tools."""

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from prepay.config import Settings
from prepay.csv_export import csv_lines, entry_cells
from prepay.db import make_engine, make_session_factory, transaction
from prepay.errors import InvalidArgument
from prepay.ledger.accounts import normalize_email, require_account
from prepay.ledger.adjustments import Adjustment, record_adjustment
from prepay.ledger.reconcile import Mismatch, close_gap, find_mismatches, iter_ledger
from prepay.money import Money, MoneyError


@contextmanager
def _session_factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Open the configured database for one command, and close it afterwards."""
    engine = make_engine(settings.database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _say(text: str) -> None:
    print(text)  # noqa: T201


def _operator(args: argparse.Namespace) -> str:
    """Return --operator, or the USER environment variable, or raise."""
    name = str(args.operator or os.environ.get("USER") or "").strip()
    if not name:
        raise InvalidArgument(
            "--operator", "is required when USER is not set: name who makes the change"
        )
    return name


def _describe(mismatch: Mismatch) -> str:
    balance = Money(mismatch.currency, mismatch.balance_nanos)
    ledger = Money(mismatch.currency, mismatch.ledger_nanos)
    gap = Money(mismatch.currency, mismatch.gap_nanos)
    return (
        f"{mismatch.email} ({mismatch.account_id}): balance {balance.format()}, "
        f"ledger {ledger.format()}, difference {gap.format()}"
    )


def _reconcile(args: argparse.Namespace, settings: Settings) -> int:
    if args.fix and not (args.reason or "").strip():
        raise InvalidArgument("--reason", "is required with --fix: say why")
    operator = _operator(args) if args.fix else ""
    with _session_factory(settings) as factory:
        return _reconcile_with(factory, args.fix, args.reason, operator)


def _reconcile_with(
    factory: sessionmaker[Session], fix: bool, reason: str | None, operator: str
) -> int:
    with transaction(factory) as session:
        mismatches = find_mismatches(session)
    if not mismatches:
        _say("every balance equals the sum of its ledger")
        return 0
    for mismatch in mismatches:
        _say(_describe(mismatch))
    if not fix:
        _say(
            f"{len(mismatches)} account(s) differ from their ledger; "
            "run again with --fix --reason TEXT to record the differences"
        )
        return 1

    for mismatch in mismatches:
        with transaction(factory) as session:
            entry = close_gap(session, mismatch.account_id, reason or "", operator)
        if entry is not None:
            gap = Money(entry.currency, entry.amount_nanos).format()
            _say(f"recorded {entry.id}: ADJUSTMENT of {gap} for {mismatch.email}")
    return 0


def _adjust(args: argparse.Namespace, settings: Settings) -> int:
    email = normalize_email(args.email, "EMAIL")
    with _session_factory(settings) as factory, transaction(factory) as session:
        account = require_account(session, email)
        try:
            amount = Money.from_decimal(account.currency, args.amount, "AMOUNT")
        except MoneyError as error:
            raise InvalidArgument(
                "AMOUNT",
                f"{error.message}; give a signed decimal in {account.currency} "
                "such as -5.00 or 12.34",
            ) from None
        request = Adjustment(
            amount=amount,
            reason=args.reason,
            actor=_operator(args),
            source="cli",
            allow_negative=args.allow_negative,
            idempotency_key=args.idempotency_key,
        )
        result = record_adjustment(session, account, request)
    entry = result.entry
    before = Money(entry.currency, entry.balance_before_nanos or 0).format()
    after = Money(entry.currency, entry.balance_after_nanos or 0).format()
    done = "already recorded" if result.replayed else "recorded"
    _say(
        f"{done} {entry.id}: ADJUSTMENT of {amount.format()} for {email}, "
        f"balance {before} -> {after}"
    )
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    email = normalize_email(args.email, "--email")
    with _session_factory(settings) as factory, transaction(factory) as session:
        account = require_account(session, email)
        rows = (entry_cells(entry, email) for entry in iter_ledger(session, account.id))
        if args.output is None:
            sys.stdout.writelines(csv_lines(rows))
            return 0
        try:
            with Path(args.output).open("w", encoding="utf-8", newline="") as stream:
                stream.writelines(csv_lines(rows))
        except OSError as exc:
            raise InvalidArgument(
                "--output", f"cannot write {args.output}: {exc.strerror}"
            ) from None
    _say(f"wrote the ledger of {email} to {args.output}")
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    reconcile = commands.add_parser(
        "reconcile",
        help="list accounts whose balance differs from the sum of their ledger; "
        "exit 1 if any does",
    )
    reconcile.add_argument(
        "--fix",
        action="store_true",
        help="write an ADJUSTMENT entry for each difference, keeping the balance "
        "(exit 0 once every difference is recorded)",
    )
    reconcile.add_argument("--reason", help="why the differences are recorded")
    reconcile.add_argument(
        "--operator", help="who records them (default: the USER environment variable)"
    )
    reconcile.set_defaults(handler=_reconcile)

    adjust = commands.add_parser(
        "adjust", help="credit (AMOUNT > 0) or debit (AMOUNT < 0) a balance by hand"
    )
    adjust.add_argument("email", metavar="EMAIL", help="the account's email address")
    adjust.add_argument(
        "amount",
        metavar="AMOUNT",
        help="signed decimal in the account's currency, such as -5.00 or 12.34",
    )
    adjust.add_argument("--reason", required=True, help="why the balance changes")
    adjust.add_argument(
        "--operator",
        help="who makes the change (default: the USER environment variable)",
    )
    adjust.add_argument(
        "--allow-negative",
        action="store_true",
        help="allow a debit that takes the balance below zero; the account is "
        "then RESTRICTED",
    )
    adjust.add_argument(
        "--idempotency-key",
        help="makes a rerun with the same key a no-op instead of a second adjustment",
    )
    adjust.set_defaults(handler=_adjust)

    export = commands.add_parser("export", help="write an account's ledger as CSV")
    export.add_argument("--email", required=True, help="the account's email address")
    export.add_argument(
        "--output", help="file to write (default: standard output)", metavar="FILE"
    )
    export.set_defaults(handler=_export)
