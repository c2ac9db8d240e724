"""Stripe events: stored by id, then applied in the same transaction.

Each delivery becomes a ``stripe_events`` row first. Its effect runs inside
a savepoint, so a failure rolls the effect back but keeps the row with the
error, and the webhook route returns 500 so that Stripe retries. A row that already
ended (PROCESSED, IGNORED or REVIEW) makes a repeated delivery a no-op.

An operator can replay a stored event that FAILED or is in REVIEW. Every
handler is idempotent, so a replay applies what is still missing and
nothing twice.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.errors import NotFound
from prepay.ledger.models import StripeEvent, utcnow

log = logging.getLogger(__name__)

FINAL_STATUSES = ("PROCESSED", "IGNORED", "REVIEW")
# IGNORED is not among them: the row does not keep the connected account that
# made an event IGNORED, so a replay could apply an event that is not ours.
REPLAYABLE_STATUSES = ("RECEIVED", "FAILED", "REVIEW")
# An operator may close these by hand, after looking at them.
DISMISSIBLE_STATUSES = ("FAILED", "REVIEW")
# Length of the stripe_events column that stores data.object.id.
MAX_OBJECT_ID_LENGTH = 255
# NUL characters in a payload are stored as U+FFFD, the Unicode replacement
# character, and such an event is kept for review instead of being applied.
NUL_REPLACEMENT = "\ufffd"
NUL_NOTE = "payload contains NUL characters, stored as U+FFFD; not applied"


@dataclass(frozen=True)
class IncomingEvent:
    """A verified Stripe event as plain values; ``data`` is its data.object."""

    id: str
    type: str
    livemode: bool
    created: int
    data: dict[str, Any]
    # Present only on events from a connected account, which prepay never uses.
    account: str | None = None


@dataclass
class Outcome:
    """The result of applying an event: its final status, account and a note."""

    status: str = "PROCESSED"
    account_id: str | None = None
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Session, IncomingEvent], Outcome]


class EventApplyFailed(Exception):
    """Applying an event raised; its row is kept with the error."""

    def __init__(self, event_id: str, error: str) -> None:
        super().__init__(f"event {event_id} failed to apply: {error}")
        self.event_id = event_id


@dataclass(frozen=True)
class Receipt:
    event_id: str
    status: str
    duplicate: bool


def receive_event(
    factory: sessionmaker[Session],
    event: IncomingEvent,
    handlers: dict[str, Handler],
    expected_livemode: bool,
) -> Receipt:
    """Store ``event`` once and apply it; raise EventApplyFailed on failure."""
    data, replaced = _without_nul(event.data)
    event = replace(event, data=data)
    with transaction(factory) as session:
        row = _insert_or_lock(session, event)
        if row.status in FINAL_STATUSES:
            log.info(
                "event %s type=%s duplicate, was %s", event.id, event.type, row.status
            )
            return Receipt(event.id, row.status, duplicate=True)
        if replaced:
            _keep_unapplied(row, NUL_NOTE)
            return Receipt(event.id, row.status, duplicate=False)
        error = _apply(session, row, event, handlers, expected_livemode)
    if error is not None:
        raise EventApplyFailed(event.id, error)
    return Receipt(event.id, row.status, duplicate=False)


def replay_event(
    factory: sessionmaker[Session],
    event_id: str,
    handlers: dict[str, Handler],
    expected_livemode: bool,
) -> Receipt:
    """Apply a stored event again once the cause of its FAILED or REVIEW is fixed.

    A PROCESSED or IGNORED event is left alone. Raises NotFound for an
    unknown id and EventApplyFailed when the event fails again.
    """
    with transaction(factory) as session:
        row = session.get(StripeEvent, event_id, with_for_update=True)
        if row is None:
            raise NotFound(
                f"no stored event {event_id}; list them with 'prepay events list'",
                eventId=event_id,
            )
        if row.status not in REPLAYABLE_STATUSES:
            return Receipt(event_id, row.status, duplicate=True)
        event = IncomingEvent(
            id=row.id,
            type=row.type,
            livemode=row.livemode,
            created=row.stripe_created,
            data=row.payload,
        )
        error = _apply(session, row, event, handlers, expected_livemode)
    if error is not None:
        raise EventApplyFailed(event_id, error)
    return Receipt(event_id, row.status, duplicate=False)


def dismiss_event(session: Session, event_id: str, note: str) -> str:
    """Mark a REVIEW or FAILED event IGNORED, adding the operator's note to its own.

    Returns the status the event had, and changes nothing unless it was one
    of those two. Raises NotFound for an unknown id.
    """
    row = session.get(StripeEvent, event_id, with_for_update=True)
    if row is None:
        raise NotFound(
            f"no stored event {event_id}; list them with 'prepay events list'",
            eventId=event_id,
        )
    previous_status = row.status
    if previous_status not in DISMISSIBLE_STATUSES:
        return previous_status
    previous_note = row.error or f"was {previous_status}"
    row.status = "IGNORED"
    row.error = f"{previous_note}; dismissed: {note}"[:2000]
    row.processed_at = utcnow()
    session.flush()
    log.info(
        "event %s type=%s dismissed, was %s: %s",
        row.id,
        row.type,
        previous_status,
        note,
    )
    return previous_status


def list_events(
    session: Session, status: str | None, event_type: str | None, limit: int
) -> list[StripeEvent]:
    """Return stored events, newest first, filtered by status and type."""
    statement = select(StripeEvent)
    if status:
        statement = statement.where(StripeEvent.status == status)
    if event_type:
        statement = statement.where(StripeEvent.type == event_type)
    statement = statement.order_by(
        StripeEvent.received_at.desc(), StripeEvent.id.desc()
    ).limit(limit)
    return list(session.scalars(statement))


def _without_nul(value: Any) -> tuple[Any, bool]:
    """Replace NUL characters in every string and key of a JSON value.

    Returns the new value and whether anything was replaced. PostgreSQL text
    cannot contain NUL, so a query with such a string fails.
    """
    if isinstance(value, str):
        return value.replace("\x00", NUL_REPLACEMENT), "\x00" in value
    if isinstance(value, list):
        pairs = [_without_nul(item) for item in value]
        return [item for item, _ in pairs], any(found for _, found in pairs)
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        found = False
        for key, item in value.items():
            new_key, key_found = _without_nul(key)
            new_item, item_found = _without_nul(item)
            result[new_key] = new_item
            found = found or key_found or item_found
        return result, found
    return value, False


def _object_id(data: dict[str, Any]) -> str | None:
    """Return data.object.id when it is a string that fits its column."""
    value = data.get("id")
    if isinstance(value, str) and 0 < len(value) <= MAX_OBJECT_ID_LENGTH:
        return value
    return None


def _keep_unapplied(row: StripeEvent, note: str) -> None:
    """Keep an event for review without applying it, because its object is unusable."""
    row.attempts += 1
    row.status = "REVIEW"
    row.error = note
    row.processed_at = utcnow()
    log.warning("event %s type=%s status=REVIEW note=%s", row.id, row.type, note)


def _insert_or_lock(session: Session, event: IncomingEvent) -> StripeEvent:
    values = {
        "id": event.id,
        "type": event.type,
        "livemode": event.livemode,
        "stripe_created": event.created,
        "object_id": _object_id(event.data),
        "status": "RECEIVED",
        "attempts": 0,
        "payload": event.data,
        "received_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A concurrent twin waits here on PostgreSQL until the first commits.
    session.execute(insert(StripeEvent).values(**values).on_conflict_do_nothing())
    statement = (
        select(StripeEvent)
        .where(StripeEvent.id == event.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).one()


def _apply(
    session: Session,
    row: StripeEvent,
    event: IncomingEvent,
    handlers: dict[str, Handler],
    expected_livemode: bool,
) -> str | None:
    row.attempts += 1
    try:
        with session.begin_nested():
            outcome = _dispatch(session, event, handlers, expected_livemode)
    except Exception as exc:  # noqa: BLE001  (any failure is kept, and Stripe retries)
        log.exception("event %s type=%s failed to apply", event.id, event.type)
        row.status = "FAILED"
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        return row.error

    row.status = outcome.status
    row.account_id = outcome.account_id
    row.error = outcome.note
    row.processed_at = utcnow()
    # An event kept for review is an operator's job, so it logs a warning.
    log.log(
        logging.WARNING if outcome.status == "REVIEW" else logging.INFO,
        "event %s type=%s status=%s account=%s%s",
        event.id,
        event.type,
        outcome.status,
        outcome.account_id,
        f" note={outcome.note}" if outcome.note else "",
    )
    return None


def _dispatch(
    session: Session,
    event: IncomingEvent,
    handlers: dict[str, Handler],
    expected_livemode: bool,
) -> Outcome:
    if event.livemode != expected_livemode:
        return Outcome("IGNORED", note=f"livemode={event.livemode} is not ours")
    if event.account is not None:
        return Outcome("IGNORED", note=f"event of connected account {event.account}")
    handler = handlers.get(event.type)
    if handler is None:
        return Outcome("IGNORED", note="no handler for this event type")
    if _object_id(event.data) is None:
        return Outcome(
            "REVIEW",
            note=f"data.object.id is not a string of 1 to {MAX_OBJECT_ID_LENGTH} "
            "characters; not applied",
        )
    return handler(session, event)
