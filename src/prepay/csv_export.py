"""Ledger entries as CSV that is safe to open in a spreadsheet.

Spreadsheets run a cell that starts with =, +, -, @, a tab or a carriage
return as a formula, so a description such as ``=HYPERLINK(...)`` written by
a task runner could run in the reader's spreadsheet. Every such text cell is
written with a leading apostrophe, which spreadsheets read as "this is
text". Plain decimal numbers such as ``-12.34`` are written as they are,
because they cannot hold a formula and must stay numbers for sums. A text
cell is only left alone this way when all of it is such a number.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from prepay.ledger.models import LedgerEntry
from prepay.money import Money

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# Full-width forms of = + - @ (U+FF1D, U+FF0B, U+FF0D, U+FF20).
_WIDE_PREFIXES = ("\uff1d", "\uff0b", "\uff0d", "\uff20")
# Spaces and invisible format characters (zero-width, byte-order mark,
# direction marks) that may precede a formula sign.
_LEADING_FILLER = re.compile("^[\\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")

HEADER = (
    "transaction_id",
    "created_at",
    "completed_at",
    "user_email",
    "type",
    "status",
    "description",
    "currency",
    "amount",
    "balance_before",
    "balance_after",
    "failure_code",
    "failure_message",
    "stripe_payment_intent_id",
    "task_id",
)


def escape_cell(value: str) -> str:
    """Prefix an apostrophe to text that a spreadsheet would run as a formula."""
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    # Some spreadsheets skip leading spaces and invisible characters and
    # read full-width signs as ASCII ones, so look past them too.
    start = _LEADING_FILLER.sub("", value)
    if start.startswith(FORMULA_PREFIXES) or start.startswith(_WIDE_PREFIXES):
        return "'" + value
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _time(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _decimal(currency: str, nanos: int | None) -> str:
    return "" if nanos is None else f"{Money(currency, nanos).to_decimal():f}"


def entry_cells(entry: LedgerEntry, email: str) -> list[str]:
    """Return one entry's cells in HEADER order; ``amount`` is signed, as the
    entry changes the balance, so a column sum gives the balance change."""
    metadata = entry.metadata_ or {}
    return [
        entry.id,
        _time(entry.created_at),
        _time(entry.completed_at),
        email,
        entry.type,
        entry.status,
        entry.description,
        entry.currency,
        _decimal(entry.currency, entry.amount_nanos),
        _decimal(entry.currency, entry.balance_before_nanos),
        _decimal(entry.currency, entry.balance_after_nanos),
        entry.failure_code or "",
        entry.failure_message or "",
        entry.stripe_payment_intent_id or "",
        str(metadata.get("task_id") or metadata.get("taskId") or ""),
    ]


def csv_lines(rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """Yield the header and then each row as one CSV record, cells escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in _with_header(rows):
        writer.writerow([escape_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _with_header(rows: Iterable[Sequence[str]]) -> Iterator[Sequence[str]]:
    yield HEADER
    yield from rows
