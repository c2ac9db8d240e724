"""Spending per day: debits and top-ups summed by calendar day in a time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.ledger import debits, spending
from prepay.ledger.models import Account, LedgerEntry
from tests.ledger.ledger_helpers import new_email, top_up, usd

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def _move(sessions: sessionmaker[Session], entry_id: str, when: datetime) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.id == entry_id)
            .values(created_at=when)
        )


def _spend(
    sessions: sessionmaker[Session], email: str, amount: str, when: datetime
) -> None:
    result = debits.debit(sessions, email, usd(amount), f"task-{when.isoformat()}")
    _move(sessions, result.entry.id, when)


def _account_id(sessions: sessionmaker[Session], email: str) -> str:
    with transaction(sessions) as session:
        return session.query(Account).filter_by(email=email).one().id


def test_daily_totals_by_local_day(sessions: sessionmaker[Session]) -> None:
    email = new_email("chart")
    topup = top_up(sessions, email, "50.00")
    _move(sessions, topup.id, datetime(2026, 5, 8, 9, 0, tzinfo=UTC))
    _spend(sessions, email, "1.25", datetime(2026, 5, 8, 10, 0, tzinfo=UTC))
    _spend(sessions, email, "0.00042", datetime(2026, 5, 8, 23, 30, tzinfo=UTC))
    _spend(sessions, email, "2.00", datetime(2026, 5, 10, 11, 0, tzinfo=UTC))
    _spend(sessions, email, "9.00", datetime(2026, 4, 1, 11, 0, tzinfo=UTC))
    account_id = _account_id(sessions, email)

    with transaction(sessions) as session:
        utc = spending.daily_totals(session, account_id, ZoneInfo("UTC"), 30, NOW)
        berlin = spending.daily_totals(
            session, account_id, ZoneInfo("Europe/Berlin"), 30, NOW
        )

    assert len(utc) == 30
    assert utc[0].day == date(2026, 4, 11)
    assert utc[-1].day == date(2026, 5, 10)
    by_day = {day.day: day for day in utc}
    assert by_day[date(2026, 5, 8)].spent_nanos == usd("1.25042").nanos
    assert by_day[date(2026, 5, 8)].added_nanos == usd("50.00").nanos
    assert by_day[date(2026, 5, 8)].top_ups == 1
    assert by_day[date(2026, 5, 10)].spent_nanos == usd("2.00").nanos
    assert spending.total_spent(utc) == usd("3.25042").nanos
    # 23:30 UTC on 8 May is 01:30 on 9 May in Berlin (UTC+2 in May).
    berlin_by_day = {day.day: day for day in berlin}
    assert berlin_by_day[date(2026, 5, 8)].spent_nanos == usd("1.25").nanos
    assert berlin_by_day[date(2026, 5, 9)].spent_nanos == usd("0.00042").nanos


def test_empty_days_cover_the_window() -> None:
    days = spending.empty_days(ZoneInfo("UTC"), 7, NOW)

    assert [day.day for day in days][-1] == date(2026, 5, 10)
    assert len(days) == 7
    assert all(day.spent_nanos == 0 and day.top_ups == 0 for day in days)
