"""``prepay events``: list stored Stripe events, replay or dismiss one."""

import argparse

from prepay.api.schemas import rfc3339
from prepay.config import Settings
from prepay.db import transaction
from prepay.ledger.events import (
    DISMISSIBLE_STATUSES,
    EventApplyFailed,
    dismiss_event,
    list_events,
    replay_event,
)
from prepay.ledger.handlers import HANDLERS
from prepay.ledger.models import EVENT_STATUSES, StripeEvent
from prepay.operations.common import open_database

DEFAULT_LIMIT = 50


def _say(text: str) -> None:
    print(text)  # noqa: T201


def describe_event(row: StripeEvent) -> str:
    """Format one event as a line: id, type, status, attempts, time, note."""
    line = (
        f"{row.id}  {row.type}  {row.status}  attempts={row.attempts}  "
        f"received={rfc3339(row.received_at)}"
    )
    if row.account_id:
        line += f"  account={row.account_id}"
    if row.error:
        line += f"  note={row.error}"
    return line


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with open_database(settings) as factory, transaction(factory) as session:
        rows = list_events(session, args.status, args.type, args.limit)
        lines = [describe_event(row) for row in rows]
    for line in lines:
        _say(line)
    if not lines:
        _say("no events match")
    return 0


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    with open_database(settings) as factory:
        try:
            receipt = replay_event(
                factory, args.event_id, HANDLERS, settings.is_production
            )
        except EventApplyFailed as failed:
            _say(f"{args.event_id} failed again: {failed}")
            _say("the error is stored on the event; fix the cause and replay it")
            return 1
    if receipt.duplicate:
        _say(f"{receipt.event_id} is {receipt.status}; nothing to replay")
    else:
        _say(f"{receipt.event_id} replayed: {receipt.status}")
    return 0


def _dismiss(args: argparse.Namespace, settings: Settings) -> int:
    with open_database(settings) as factory, transaction(factory) as session:
        status = dismiss_event(session, args.event_id, args.note)
    if status not in DISMISSIBLE_STATUSES:
        _say(f"{args.event_id} is {status}, not REVIEW or FAILED; nothing dismissed")
        return 1
    _say(f"{args.event_id} dismissed: IGNORED")
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    events = commands.add_parser("events", help="list, replay or dismiss Stripe events")
    actions = events.add_subparsers(dest="events_command", required=True)

    listing = actions.add_parser("list", help="list stored events, newest first")
    listing.add_argument("--status", choices=EVENT_STATUSES, help="only this status")
    listing.add_argument("--type", help="only this event type, such as charge.refunded")
    listing.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help="events to show at most"
    )
    listing.set_defaults(handler=_list)

    replay = actions.add_parser(
        "replay",
        help="apply a FAILED or REVIEW event again, once its cause is fixed",
    )
    replay.add_argument("event_id", help="the Stripe event id (evt_...)")
    replay.set_defaults(handler=_replay)

    dismiss = actions.add_parser(
        "dismiss", help="mark a REVIEW or FAILED event IGNORED after looking at it"
    )
    dismiss.add_argument("event_id", help="the Stripe event id (evt_...)")
    dismiss.add_argument("--note", required=True, help="what was found or done")
    dismiss.set_defaults(handler=_dismiss)
