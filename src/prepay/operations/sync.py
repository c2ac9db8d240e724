"""``prepay sync-payments``: settle old PENDING top-ups from Stripe's own state.

A top-up stays PENDING until its webhook arrives. When a delivery is lost
(the endpoint was down past Stripe's retries, or a secret was wrong), this
command retrieves the PaymentIntent from Stripe and applies its state with the
same ledger code as the webhook, so running it while the webhook arrives
still credits once.

A PENDING top-up with no PaymentIntent id is looked for among its
customer's PaymentIntents, by the transaction id in their metadata; one that
Stripe never saw is CANCELED.
"""

import argparse
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from prepay.config import Settings
from prepay.db import transaction
from prepay.errors import InvalidArgument, PaymentsDisabled, PrepayError
from prepay.ledger import payment_intents, topups
from prepay.ledger.models import Account, LedgerEntry, utcnow
from prepay.operations.common import open_database
from prepay.stripe_gateway import PaymentIntentInfo, StripeGateway

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 500
# Statuses in which Stripe lets a PaymentIntent be canceled and the customer
# still has something to do.
ABANDONABLE_STATUSES = (
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
)
# How far before the top-up's own time a PaymentIntent may have been created,
# allowing for the clocks of prepay and Stripe to differ.
CLOCK_SLACK = timedelta(minutes=5)
# A year; Stripe keeps a PaymentIntent's state far shorter than that matters.
MAX_AGE_MINUTES = 366 * 24 * 60


def _say(text: str) -> None:
    print(text)  # noqa: T201


def _gateway(settings: Settings) -> StripeGateway:
    if not settings.payments_enabled:
        raise PaymentsDisabled(
            "payments are switched off (STRIPE_ENABLED or STRIPE_SECRET_KEY); "
            "there is no Stripe to ask"
        )
    return StripeGateway(settings.stripe_secret_key or "", settings.stripe_api_base)


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.older_than <= MAX_AGE_MINUTES:
        raise InvalidArgument(
            "--older-than",
            f"must be 1 to {MAX_AGE_MINUTES} minutes, got {args.older_than}",
        )
    gateway = _gateway(settings)
    cutoff = utcnow() - timedelta(minutes=args.older_than)

    failures = 0
    with open_database(settings) as factory:
        with transaction(factory) as session:
            stale = topups.find_stale_pending(session, cutoff, args.limit)
        for entry_id, payment_intent_id in stale:
            try:
                line = _sync_one(
                    factory, gateway, entry_id, payment_intent_id, args.cancel_abandoned
                )
            except PrepayError as exc:
                failures += 1
                log.warning("sync of top-up %s failed: %s", entry_id, exc.message)
                line = f"{entry_id}: failed: {exc.message}"
            _say(line)
    minutes = args.older_than
    _say(f"{len(stale)} PENDING top-ups older than {minutes} min, {failures} failed")
    return 1 if failures else 0


def _sync_one(
    factory: sessionmaker[Session],
    gateway: StripeGateway,
    entry_id: str,
    payment_intent_id: str | None,
    cancel_abandoned: bool,
) -> str:
    if payment_intent_id is not None:
        info: PaymentIntentInfo | None = gateway.retrieve_payment_intent(
            payment_intent_id
        )
    else:
        info = _find_lost_payment_intent(factory, gateway, entry_id)
    if info is None:
        return _cancel_without_payment_intent(factory, entry_id)

    if cancel_abandoned and info.status in ABANDONABLE_STATUSES:
        info = gateway.cancel_payment_intent(info.id)
    with transaction(factory) as session:
        outcome = payment_intents.settle(session, info.data)
        status = topups.current_status(session, entry_id)
    line = f"{entry_id}: PaymentIntent {info.id} is {info.status}, top-up {status}"
    if outcome.status == "REVIEW":
        log.warning("sync of top-up %s needs review: %s", entry_id, outcome.note)
        line += f" (needs review: {outcome.note})"
    return line


def _find_lost_payment_intent(
    factory: sessionmaker[Session], gateway: StripeGateway, entry_id: str
) -> PaymentIntentInfo | None:
    """Find the PaymentIntent created for a top-up whose row never got its id."""
    with transaction(factory) as session:
        entry = session.get(LedgerEntry, entry_id)
        account = session.get(Account, entry.account_id) if entry else None
        if entry is None or account is None or account.stripe_customer_id is None:
            # prepay creates the customer before any PaymentIntent.
            return None
        customer_id = account.stripe_customer_id
        created_from = _unix(entry.created_at - CLOCK_SLACK)

    found = [
        info
        for info in gateway.list_payment_intents(customer_id, created_from)
        if info.metadata.get(payment_intents.TRANSACTION_KEY) == entry_id
    ]
    # Stripe's idempotency key gives a top-up one PaymentIntent; prefer a
    # succeeded one should there be more.
    found.sort(key=lambda info: info.status != "succeeded")
    return found[0] if found else None


def _unix(moment: datetime) -> int:
    # SQLite returns naive datetimes, which prepay always writes in UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _cancel_without_payment_intent(
    factory: sessionmaker[Session], entry_id: str
) -> str:
    with transaction(factory) as session:
        entry = session.get(LedgerEntry, entry_id)
        if entry is not None:
            topups.cancel_topup(session, entry, "no_payment_intent")
        status = topups.current_status(session, entry_id)
    return f"{entry_id}: no PaymentIntent at Stripe, top-up {status}"


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "sync-payments",
        help="settle PENDING top-ups from their PaymentIntents at Stripe",
    )
    parser.add_argument(
        "--older-than",
        type=int,
        required=True,
        metavar="MINUTES",
        help="only top-ups created more than this many minutes ago",
    )
    parser.add_argument(
        "--cancel-abandoned",
        action="store_true",
        help="also cancel PaymentIntents still waiting for the customer",
    )
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help="top-ups to settle at most"
    )
    parser.set_defaults(handler=_sync)
