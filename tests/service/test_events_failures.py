"""An event that fails to apply: no partial effect, kept with its error, replayable."""

import json
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from prepay.db import transaction
from prepay.ledger import handlers
from prepay.ledger.events import IncomingEvent, Outcome
from prepay.ledger.models import Account, LedgerEntry, StripeEvent
from prepay.money import INT64_MAX
from tests.conftest import Service
from tests.service.helpers import (
    account_state,
    deliver,
    event_body,
    open_pending_topup,
    payment_intent,
    usd,
)
from tests.service.stripe_objects import run_prepay

SUCCEEDED = "payment_intent.succeeded"


def stored_event(service: Service, event_id: str) -> StripeEvent:
    with transaction(service.services.sessions) as session:
        row = session.get(StripeEvent, event_id)
        assert row is not None
        session.expunge(row)
        return row


def topup_status(service: Service, entry_id: str) -> str:
    with transaction(service.services.sessions) as session:
        entry = session.get(LedgerEntry, entry_id)
        assert entry is not None
        return entry.status


def fail_after_applying(session: Session, event: IncomingEvent) -> Outcome:
    """Apply the real handler, then raise, as a crash after the writes would."""
    real = handlers.payment_intents.on_succeeded
    real(session, event)
    raise RuntimeError("ledger write failed after the credit")


def install(service: Service, monkeypatch: pytest.MonkeyPatch, handler: Any) -> None:
    """Use ``handler`` for succeeded events in the service and in the CLI."""
    monkeypatch.setitem(service.services.event_handlers, SUCCEEDED, handler)
    monkeypatch.setitem(handlers.HANDLERS, SUCCEEDED, handler)


def test_failing_handler_leaves_nothing_then_replays(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    email = "fay@example.com"
    entry = open_pending_topup(bare_service, email, "25.00")
    body = event_body(SUCCEEDED, payment_intent(entry))
    event_id = json.loads(body)["id"]
    install(bare_service, monkeypatch, fail_after_applying)

    first = deliver(bare_service, body)
    retried = deliver(bare_service, body)

    for response in (first, retried):
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "INTERNAL"
    row = stored_event(bare_service, event_id)
    assert row.status == "FAILED"
    assert row.attempts == 2
    assert "RuntimeError: ledger write failed" in (row.error or "")
    balance, entries = account_state(bare_service, email)
    assert balance == 0
    assert [e.type for e in entries] == ["CREDIT"]
    assert topup_status(bare_service, entry.id) == "PENDING"

    assert run_prepay(bare_service, monkeypatch, "events", "replay", event_id) == 1
    assert "failed again" in capsys.readouterr().out
    assert stored_event(bare_service, event_id).attempts == 3

    install(bare_service, monkeypatch, handlers.payment_intents.on_succeeded)
    assert run_prepay(bare_service, monkeypatch, "events", "replay", event_id) == 0
    assert f"{event_id} replayed: PROCESSED" in capsys.readouterr().out
    assert run_prepay(bare_service, monkeypatch, "events", "replay", event_id) == 0
    assert "nothing to replay" in capsys.readouterr().out
    assert deliver(bare_service, body).status_code == 200

    balance, _entries = account_state(bare_service, email)
    assert balance == usd("25.00").nanos
    row = stored_event(bare_service, event_id)
    assert row.status == "PROCESSED"
    assert row.error is None
    assert topup_status(bare_service, entry.id) == "COMPLETED"


def set_balance(service: Service, account_id: str, nanos: int) -> None:
    with transaction(service.services.sessions) as session:
        session.execute(
            update(Account).where(Account.id == account_id).values(balance_nanos=nanos)
        )


def test_database_error_leaves_nothing_then_replays(
    bare_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = "fox@example.com"
    entry = open_pending_topup(bare_service, email, "25.00")
    # The credit's balance_after no longer fits a 64-bit integer, so the
    # database rejects the write.
    set_balance(bare_service, entry.account_id, INT64_MAX - 1)
    body = event_body(SUCCEEDED, payment_intent(entry))
    event_id = json.loads(body)["id"]

    response = deliver(bare_service, body)

    assert response.status_code == 500
    row = stored_event(bare_service, event_id)
    assert row.status == "FAILED"
    error = row.error or ""
    # SQLite's driver rejects the value on binding, PostgreSQL on writing it.
    assert "too large" in error or "bigint out of range" in error
    balance, _entries = account_state(bare_service, email)
    assert balance == INT64_MAX - 1
    assert topup_status(bare_service, entry.id) == "PENDING"

    set_balance(bare_service, entry.account_id, 0)
    assert run_prepay(bare_service, monkeypatch, "events", "replay", event_id) == 0

    balance, _entries = account_state(bare_service, email)
    assert balance == usd("25.00").nanos
    assert stored_event(bare_service, event_id).status == "PROCESSED"
    assert topup_status(bare_service, entry.id) == "COMPLETED"
