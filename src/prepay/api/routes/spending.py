"""Spending per day: the numbers and the SVG chart on the billing page."""

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from prepay.api.deps import ServicesDep, UserDep
from prepay.api.schemas import ApiModel, MoneyOut, money_out
from prepay.api.spending_chart import render_chart
from prepay.db import transaction
from prepay.errors import InvalidArgument
from prepay.ledger import spending
from prepay.ledger.accounts import find_account

router = APIRouter(tags=["billing"])

DEFAULT_LOCALE = "en_US"
TimeZoneQuery = Annotated[str, Query(alias="timeZone", max_length=64)]
DaysQuery = Annotated[int, Query(ge=1, le=spending.MAX_DAYS)]


class SpendingDay(ApiModel):
    date: str
    spent: MoneyOut
    added: MoneyOut
    top_ups: int


class SpendingResponse(ApiModel):
    time_zone: str
    days: list[SpendingDay]
    total_spent: MoneyOut
    total_added: MoneyOut


def parse_time_zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``, or raise InvalidArgument naming timeZone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(
            "timeZone", f"{name!r} is not an IANA time zone such as Europe/Berlin"
        ) from None


def pick_locale(accept_language: str) -> str:
    """Return the first locale of an Accept-Language header that Babel has data for."""
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip()
        if not tag or tag == "*":
            continue
        try:
            return str(Locale.parse(tag, sep="-"))
        except (ValueError, UnknownLocaleError):
            continue
    return DEFAULT_LOCALE


def _read_days(
    services: ServicesDep, email: str, zone: ZoneInfo, days: int
) -> list[spending.DayTotals]:
    with transaction(services.sessions) as session:
        account = find_account(session, email)
        if account is None:
            return spending.empty_days(zone, days)
        return spending.daily_totals(session, account.id, zone, days)


@router.get("/v1/billing/spending")
def read_spending(
    services: ServicesDep,
    principal: UserDep,
    time_zone: TimeZoneQuery = "UTC",
    days: DaysQuery = spending.DEFAULT_DAYS,
) -> SpendingResponse:
    """Return the caller's spending and top-ups per day, oldest day first."""
    zone = parse_time_zone(time_zone)
    totals = _read_days(services, principal.email, zone, days)
    currency = services.settings.currency
    return SpendingResponse(
        time_zone=zone.key,
        days=[
            SpendingDay(
                date=day.day.isoformat(),
                spent=money_out(currency, day.spent_nanos),
                added=money_out(currency, day.added_nanos),
                top_ups=day.top_ups,
            )
            for day in totals
        ],
        total_spent=money_out(currency, spending.total_spent(totals)),
        total_added=money_out(currency, spending.total_added(totals)),
    )


@router.get("/billing/spending.svg", include_in_schema=False)
def spending_chart(
    services: ServicesDep,
    principal: UserDep,
    time_zone: TimeZoneQuery = "UTC",
    days: DaysQuery = spending.DEFAULT_DAYS,
    accept_language: Annotated[str, Header(max_length=200)] = "",
) -> Response:
    """Draw the caller's spending per day as an SVG image."""
    zone = parse_time_zone(time_zone)
    totals = _read_days(services, principal.email, zone, days)
    svg = render_chart(totals, services.settings.currency, pick_locale(accept_language))
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "Cache-Control": "private, no-cache",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
