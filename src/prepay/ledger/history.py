"""Reading the ledger: one account's entries, newest first, in pages."""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from prepay.errors import InvalidArgument, NotFound
from prepay.ledger.models import ENTRY_STATUSES, ENTRY_TYPES, LedgerEntry

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page:
    entries: list[LedgerEntry]
    next_page_token: str


def _encode_token(entry: LedgerEntry) -> str:
    raw = f"{entry.created_at.isoformat()}|{entry.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: str) -> tuple[datetime, str]:
    try:
        created, entry_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(created), entry_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument(
            "pageToken", "is not a token from a previous page; omit it to start over"
        ) from None


def _check_filter(field: str, values: Sequence[str], allowed: tuple[str, ...]) -> None:
    for value in values:
        if value not in allowed:
            raise InvalidArgument(
                field, f"{value!r} is not one of {', '.join(allowed)}"
            )


def list_entries(
    session: Session,
    account_id: str,
    page_size: int = DEFAULT_PAGE_SIZE,
    page_token: str = "",
    types: Sequence[str] = (),
    statuses: Sequence[str] = (),
) -> Page:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument("pageSize", f"must be 1 to {MAX_PAGE_SIZE}")
    _check_filter("type", types, ENTRY_TYPES)
    _check_filter("status", statuses, ENTRY_STATUSES)

    statement = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    if types:
        statement = statement.where(LedgerEntry.type.in_(types))
    if statuses:
        statement = statement.where(LedgerEntry.status.in_(statuses))
    if page_token:
        created, entry_id = _decode_token(page_token)
        statement = statement.where(
            or_(
                LedgerEntry.created_at < created,
                and_(LedgerEntry.created_at == created, LedgerEntry.id < entry_id),
            )
        )
    statement = statement.order_by(
        LedgerEntry.created_at.desc(), LedgerEntry.id.desc()
    ).limit(page_size + 1)

    rows = list(session.scalars(statement))
    more = len(rows) > page_size
    entries = rows[:page_size]
    token = _encode_token(entries[-1]) if more else ""
    return Page(entries, token)


def get_entry(session: Session, account_id: str, entry_id: str) -> LedgerEntry:
    """Return one entry of the account; another account's entry is NOT_FOUND too."""
    entry = session.get(LedgerEntry, entry_id)
    if entry is None or entry.account_id != account_id:
        raise NotFound(
            f"no transaction {entry_id} on this account", transactionId=entry_id
        )
    return entry
