"""``prepay review``: what needs an operator's eyes.

Open disputes, Stripe events kept for review (payments that matched no
top-up), and accounts that are RESTRICTED or flagged by a dispute.
"""

import argparse

from prepay.api.schemas import rfc3339
from prepay.config import Settings
from prepay.db import transaction
from prepay.ledger import review
from prepay.ledger.accounts import normalize_email, require_account
from prepay.money import Money
from prepay.operations.common import open_database
from prepay.operations.events import describe_event

DEFAULT_LIMIT = 100


def _say(text: str) -> None:
    print(text)  # noqa: T201


def _amount(currency: str, nanos: int) -> str:
    return f"{Money(currency, nanos).to_decimal()} {currency}"


def _disputes(items: list[review.OpenDispute]) -> list[str]:
    return [
        f"  {item.dispute_id}  {item.email}"
        f"  held {_amount(item.currency, item.held_nanos)}"
        f"  charge={item.charge_id}  entry={item.entry_id}"
        f"  since={rfc3339(item.created_at)}"
        for item in items
    ]


def _accounts(items: list[review.AccountToReview]) -> list[str]:
    lines = []
    for item in items:
        line = (
            f"  {item.email}  {item.status}"
            f"  balance {_amount(item.currency, item.balance_nanos)}"
            f"  held {_amount(item.currency, item.held_nanos)}"
        )
        if item.reason:
            line += f"  flag: {item.reason}"
        lines.append(line)
    return lines


def _section(title: str, lines: list[str]) -> None:
    _say(f"{title}: {len(lines)}")
    for line in lines:
        _say(line)


def _review(args: argparse.Namespace, settings: Settings) -> int:
    if args.clear_flag:
        return _clear_flag(args.clear_flag, settings)

    with open_database(settings) as factory, transaction(factory) as session:
        disputes = _disputes(review.open_disputes(session))
        events = [
            "  " + describe_event(row)
            for row in review.events_in_review(session, args.limit)
        ]
        accounts = _accounts(review.accounts_to_review(session))
        failed = review.count_events(session, "FAILED")

    _section("open disputes", disputes)
    _section("events in review", events)
    _section("restricted or flagged accounts", accounts)
    if failed:
        _say(f"events that failed to apply: {failed}")
        _say("  list them with: prepay events list --status FAILED")
    return 0


def _clear_flag(email: str, settings: Settings) -> int:
    with open_database(settings) as factory, transaction(factory) as session:
        account = require_account(session, normalize_email(email, "--clear-flag"))
        cleared = review.clear_account_flag(session, account.id)
    if not cleared:
        _say(f"{account.email} has no review flag")
        return 1
    _say(f"cleared the review flag of {account.email}")
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "review",
        help="list open disputes, events kept for review and restricted accounts",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        help="events in review to show at most",
    )
    parser.add_argument(
        "--clear-flag",
        metavar="EMAIL",
        help="clear the review flag of this account after looking at it",
    )
    parser.set_defaults(handler=_review)
