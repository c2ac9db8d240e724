"""The operators' ledger commands: reconcile, adjust and export."""

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from prepay.cli import main
from prepay.db import transaction
from prepay.errors import AccountRestricted
from prepay.ledger import debits
from prepay.ledger.models import Account
from tests.ledger.ledger_helpers import (
    assert_ledger_exact,
    new_email,
    read_account,
    read_entries,
    top_up,
    usd,
)


@pytest.fixture(autouse=True)
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the prepay command at the test database, run by operator "oncall"."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PREPAY_ENV", "test")
    monkeypatch.setenv("USER", "oncall")


def set_balance(sessions: sessionmaker[Session], email: str, nanos: int) -> None:
    """Change a balance behind the ledger's back, as a manual UPDATE would."""
    with transaction(sessions) as session:
        session.execute(
            update(Account).where(Account.email == email).values(balance_nanos=nanos)
        )


def test_reconcile_clean_ledger_exits_zero(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    top_up(sessions, new_email(), "20.00")

    code = main(["reconcile"])

    assert code == 0
    assert "every balance equals the sum of its ledger" in capsys.readouterr().out


def test_reconcile_lists_tampered_accounts(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    tampered, honest = new_email("tampered"), new_email("honest")
    top_up(sessions, tampered, "20.00")
    top_up(sessions, honest, "20.00")
    set_balance(sessions, tampered, usd("25.50").nanos)

    code = main(["reconcile"])

    output = capsys.readouterr().out
    assert code == 1
    assert tampered in output
    assert honest not in output
    assert "balance $25.50, ledger $20.00, difference $5.50" in output
    assert "1 account(s) differ" in output


def test_reconcile_fix_records_gap(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    richer, poorer = new_email("richer"), new_email("poorer")
    top_up(sessions, richer, "20.00")
    top_up(sessions, poorer, "20.00")
    set_balance(sessions, richer, usd("25.50").nanos)
    set_balance(sessions, poorer, usd("12.00").nanos)

    code = main(["reconcile", "--fix", "--reason", "restored from backup"])

    assert code == 0
    assert "ADJUSTMENT of $5.50" in capsys.readouterr().out
    for email, gap, balance in [(richer, "5.50", "25.50"), (poorer, "-8.00", "12.00")]:
        account = read_account(sessions, email)
        assert account.balance_nanos == usd(balance).nanos
        [fix] = [
            e for e in read_entries(sessions, account.id) if e.type == "ADJUSTMENT"
        ]
        assert fix.amount_nanos == usd(gap).nanos
        assert fix.balance_before_nanos == usd("20.00").nanos
        assert fix.balance_after_nanos == usd(balance).nanos
        assert fix.actor == "oncall"
        assert fix.description == "restored from backup"
        assert fix.metadata_ == {"source": "reconcile"}
    assert_ledger_exact(sessions)
    assert main(["reconcile"]) == 0


def test_reconcile_fix_names_operator(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    top_up(sessions, email, "20.00")
    set_balance(sessions, email, usd("21.00").nanos)

    code = main(["reconcile", "--fix", "--reason", "manual fix", "--operator", "grace"])

    assert code == 0
    account = read_account(sessions, email)
    [fix] = [e for e in read_entries(sessions, account.id) if e.type == "ADJUSTMENT"]
    assert fix.actor == "grace"


def test_reconcile_fix_needs_reason_and_operator(
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = new_email()
    top_up(sessions, email, "20.00")
    set_balance(sessions, email, usd("21.00").nanos)

    assert main(["reconcile", "--fix"]) == 1
    assert "--reason: is required with --fix" in capsys.readouterr().err
    monkeypatch.delenv("USER")
    assert main(["reconcile", "--fix", "--reason", "backup"]) == 1
    assert "--operator: is required when USER is not set" in capsys.readouterr().err
    account = read_account(sessions, email)
    assert [e.type for e in read_entries(sessions, account.id)] == ["CREDIT"]


def test_adjust_credits_and_debits(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    top_up(sessions, email, "50.00")

    assert main(["adjust", email, "-5.00", "--reason", "duplicate task"]) == 0
    assert "balance $50.00 -> $45.00" in capsys.readouterr().out
    assert main(["adjust", email.upper(), "12.34", "--reason", "goodwill"]) == 0

    account = read_account(sessions, email)
    assert account.balance_nanos == usd("57.34").nanos
    adjustments = [
        e for e in read_entries(sessions, account.id) if e.type == "ADJUSTMENT"
    ]
    assert sorted(e.amount_nanos for e in adjustments) == [
        usd("-5.00").nanos,
        usd("12.34").nanos,
    ]
    assert {e.actor for e in adjustments} == {"oncall"}
    assert {e.description for e in adjustments} == {"duplicate task", "goodwill"}
    assert {e.metadata_["source"] for e in adjustments} == {"cli"}
    assert_ledger_exact(sessions)


def test_adjust_not_covered_is_rejected(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    top_up(sessions, email, "10.00")

    code = main(["adjust", email, "-10.01", "--reason", "chargeback fee"])

    assert code == 1
    error = capsys.readouterr().err
    assert "available balance 10.00 USD does not cover" in error
    assert "allow a negative balance explicitly" in error
    assert read_account(sessions, email).balance_nanos == usd("10.00").nanos


def test_adjust_allow_negative_restricts_account(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    top_up(sessions, email, "10.00")

    code = main(
        ["adjust", email, "-15.00", "--reason", "chargeback fee", "--allow-negative"]
    )

    assert code == 0
    account = read_account(sessions, email)
    assert account.balance_nanos == usd("-5.00").nanos
    assert account.status == "RESTRICTED"
    with pytest.raises(AccountRestricted):
        debits.debit(sessions, email, usd("0.01"), "task-after")
    assert_ledger_exact(sessions)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("5.0000000001", "AMOUNT: 5.0000000001 has more than 9 decimal places"),
        ("five", 'AMOUNT: expected a decimal number such as "19.99"'),
        ("0", "amount: must not be zero"),
    ],
)
def test_adjust_bad_amount_names_field(
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    amount: str,
    message: str,
) -> None:
    email = new_email()
    top_up(sessions, email, "10.00")

    code = main(["adjust", email, amount, "--reason", "typo"])

    assert code == 1
    assert message in capsys.readouterr().err


def test_adjust_unknown_email_is_not_found(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["adjust", "nobody@example.com", "1.00", "--reason", "typo"])

    assert code == 1
    assert "no billing account for nobody@example.com" in capsys.readouterr().err


def test_adjust_same_key_applies_once(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    top_up(sessions, email, "10.00")
    command = ["adjust", email, "2.00", "--reason", "refund of a bad task"]

    assert main([*command, "--idempotency-key", "ticket-7"]) == 0
    assert main([*command, "--idempotency-key", "ticket-7"]) == 0

    assert "already recorded" in capsys.readouterr().out
    assert read_account(sessions, email).balance_nanos == usd("12.00").nanos


def read_csv(data: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data)))


def test_export_writes_ledger_csv(
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    email = new_email()
    top_up(sessions, email, "50.00")
    debits.debit(sessions, email, usd("12.34"), "task-1", '=HYPERLINK("x")')
    main(["adjust", email, "-0.66", "--reason", "+rounding"])
    capsys.readouterr()

    assert main(["export", "--email", email]) == 0
    from_stdout = read_csv(capsys.readouterr().out)
    output = tmp_path / "ledger.csv"
    assert main(["export", "--email", email, "--output", str(output)]) == 0
    from_file = read_csv(output.read_text(encoding="utf-8"))

    assert from_file == from_stdout
    assert [row["type"] for row in from_file] == ["CREDIT", "DEBIT", "ADJUSTMENT"]
    assert [row["amount"] for row in from_file] == ["50.00", "-12.34", "-0.66"]
    assert [row["balance_after"] for row in from_file] == ["50.00", "37.66", "37.00"]
    assert from_file[1]["description"] == '\'=HYPERLINK("x")'
    assert from_file[2]["description"] == "'+rounding"
    assert {row["user_email"] for row in from_file} == {email}


def test_export_unknown_email_is_not_found(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--email", "nobody@example.com"]) == 1
    assert "no billing account" in capsys.readouterr().err


def test_reconcile_sees_raw_sql_change(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    top_up(sessions, email, "3.00")
    with transaction(sessions) as session:
        session.execute(
            text(
                "UPDATE accounts SET balance_nanos = balance_nanos + 1 WHERE email = :e"
            ),
            {"e": email},
        )

    assert main(["reconcile"]) == 1
    assert "difference $0.000000001" in capsys.readouterr().out
