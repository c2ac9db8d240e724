"""Spending per day, for the 30-day chart on the billing page.

A day is a calendar day in the caller's time zone. Spending is the sum of
COMPLETED debits; top-ups are COMPLETED credits. Both are placed on the day
their entry was created. Refunds, disputes and adjustments are not spending
and are left out.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from prepay.ledger.models import LedgerEntry, utcnow

DEFAULT_DAYS = 30
MAX_DAYS = 366
_ROWS_PER_FETCH = 1000


@dataclass(frozen=True)
class DayTotals:
    day: date
    # Both sums are positive nanos.
    spent_nanos: int
    added_nanos: int
    top_ups: int


def _as_utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes; prepay writes them in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _window(zone: ZoneInfo, days: int, now: datetime | None) -> tuple[date, date]:
    """Return the first and last day of the chart, both in ``zone``."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}, got {days}")
    today = (now or utcnow()).astimezone(zone).date()
    return today - timedelta(days=days - 1), today


def empty_days(
    zone: ZoneInfo, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> list[DayTotals]:
    """Return the days of the chart with nothing spent, for a new user."""
    first, _today = _window(zone, days, now)
    return _fill_days(first, days, {}, {}, {})


def daily_totals(
    session: Session,
    account_id: str,
    zone: ZoneInfo,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> list[DayTotals]:
    """Return one DayTotals per day, oldest first, ending with today in ``zone``."""
    first, today = _window(zone, days, now)
    start = datetime.combine(first, time(), zone).astimezone(UTC)

    statement = (
        select(LedgerEntry.created_at, LedgerEntry.type, LedgerEntry.amount_nanos)
        .where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.status == "COMPLETED",
            LedgerEntry.type.in_(("DEBIT", "CREDIT")),
            LedgerEntry.created_at >= start,
        )
        .execution_options(yield_per=_ROWS_PER_FETCH)
    )
    spent: dict[date, int] = {}
    added: dict[date, int] = {}
    counts: dict[date, int] = {}
    for created_at, entry_type, amount_nanos in session.execute(statement):
        day = _as_utc(created_at).astimezone(zone).date()
        if day > today:
            continue
        if entry_type == "DEBIT":
            spent[day] = spent.get(day, 0) - amount_nanos
        else:
            added[day] = added.get(day, 0) + amount_nanos
            counts[day] = counts.get(day, 0) + 1
    return _fill_days(first, days, spent, added, counts)


def _fill_days(
    first: date,
    days: int,
    spent: dict[date, int],
    added: dict[date, int],
    counts: dict[date, int],
) -> list[DayTotals]:
    every_day = [first + timedelta(days=offset) for offset in range(days)]
    return [
        DayTotals(day, spent.get(day, 0), added.get(day, 0), counts.get(day, 0))
        for day in every_day
    ]


def total_spent(days: Sequence[DayTotals]) -> int:
    return sum(day.spent_nanos for day in days)


def total_added(days: Sequence[DayTotals]) -> int:
    return sum(day.added_nanos for day in days)
