"""A CSV download of the caller's history, with the same filters as the page."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from prepay.api.deps import Services, ServicesDep, UserDep
from prepay.csv_export import csv_lines, entry_cells
from prepay.db import transaction
from prepay.errors import InvalidArgument
from prepay.ledger import history
from prepay.ledger.accounts import find_account
from prepay.ledger.models import ENTRY_STATUSES, ENTRY_TYPES

router = APIRouter(prefix="/v1/billing", tags=["billing"])


def _check_filter(field: str, values: Sequence[str], allowed: tuple[str, ...]) -> None:
    for value in values:
        if value not in allowed:
            raise InvalidArgument(
                field, f"{value!r} is not one of {', '.join(allowed)}"
            )


def _rows(
    services: Services,
    email: str,
    types: Sequence[str],
    statuses: Sequence[str],
) -> Iterator[list[str]]:
    # One short transaction per page, so a long download holds no lock.
    token = ""
    while True:
        with transaction(services.sessions) as session:
            account = find_account(session, email)
            if account is None:
                return
            page = history.list_entries(
                session, account.id, history.MAX_PAGE_SIZE, token, types, statuses
            )
            rows = [entry_cells(entry, account.email) for entry in page.entries]
        yield from rows
        token = page.next_page_token
        if not token:
            return


@router.get(
    "/transactions.csv",
    response_class=Response,
    responses={
        200: {
            "description": "The entries as CSV, one row each, newest first",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def export_transactions(
    services: ServicesDep,
    principal: UserDep,
    types: Annotated[list[str], Query(alias="type")] = [],  # noqa: B006
    statuses: Annotated[list[str], Query(alias="status")] = [],  # noqa: B006
) -> StreamingResponse:
    """Download every ledger entry of the caller that matches the filters, as CSV."""
    # Checked before the first byte is sent, so that a bad filter is a 400
    # error rather than a broken download.
    _check_filter("type", types, ENTRY_TYPES)
    _check_filter("status", statuses, ENTRY_STATUSES)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        csv_lines(_rows(services, principal.email, types, statuses)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="transactions-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
