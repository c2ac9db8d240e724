"""CSV export: formula escaping and the cells of a ledger entry."""

import csv
import io
from datetime import UTC, datetime

import pytest

from prepay.csv_export import HEADER, csv_lines, entry_cells, escape_cell
from prepay.ledger.models import LedgerEntry


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("Top-up by card", "Top-up by card"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_escape_cell_prefixes_formulas(cell: str, written: str) -> None:
    assert escape_cell(cell) == written


@pytest.mark.parametrize("number", ["-12.34", "-0.00042", "50", "-7"])
def test_escape_cell_keeps_plain_numbers(number: str) -> None:
    assert escape_cell(number) == number


def _debit(description: str) -> LedgerEntry:
    created = datetime(2026, 5, 3, 12, 30, tzinfo=UTC)
    return LedgerEntry(
        id="txn_1",
        account_id="acc_1",
        type="DEBIT",
        status="COMPLETED",
        amount_nanos=-420_000,
        currency="USD",
        balance_before_nanos=5_000_000_000,
        balance_after_nanos=4_999_580_000,
        description=description,
        metadata_={"task_id": "task-9"},
        created_at=created,
        completed_at=created,
    )


def test_entry_cells_sign_amount_by_effect() -> None:
    cells = dict(
        zip(HEADER, entry_cells(_debit("Code check"), "ada@example.com"), strict=True)
    )

    assert cells["amount"] == "-0.00042"
    assert cells["balance_before"] == "5.00"
    assert cells["balance_after"] == "4.99958"
    assert cells["created_at"] == "2026-05-03T12:30:00Z"
    assert cells["task_id"] == "task-9"
    assert cells["user_email"] == "ada@example.com"


def test_csv_lines_escape_a_hostile_description() -> None:
    entry = _debit('=HYPERLINK("http://evil.example","click")\nsecond line')

    text = "".join(csv_lines([entry_cells(entry, "ada@example.com")]))
    rows = list(csv.reader(io.StringIO(text)))

    assert rows[0] == list(HEADER)
    description = rows[1][HEADER.index("description")]
    assert description == "'" + '=HYPERLINK("http://evil.example","click")\nsecond line'
    assert rows[1][HEADER.index("amount")] == "-0.00042"
    assert text.endswith("\r\n")
