"""Signed events of an unexpected shape: 400 for a bad envelope, REVIEW for a
bad object, and never a 500 with nothing stored."""

import json
import logging
import secrets
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from prepay.db import transaction
from prepay.ledger import handlers
from prepay.ledger.events import IncomingEvent, Outcome
from prepay.ledger.models import StripeEvent
from tests.conftest import Service
from tests.service.helpers import (
    account_state,
    deliver,
    event_body,
    open_pending_topup,
    payment_intent,
)

SUCCEEDED = "payment_intent.succeeded"


def stored_event(service: Service, event_id: str) -> StripeEvent | None:
    with transaction(service.services.sessions) as session:
        row = session.get(StripeEvent, event_id)
        if row is not None:
            session.expunge(row)
        return row


def envelope(**fields: Any) -> str:
    body = json.loads(event_body(SUCCEEDED, {"id": "pi_x", "object": "payment_intent"}))
    body.update(fields)
    return json.dumps(body)


@pytest.mark.parametrize(
    "fields",
    [
        {"created": 2**70},
        {"created": -(2**70)},
        {"created": 2**63},
        {"id": "evt_" + "x" * 300},
        {"id": "evt_nul\x00"},
        {"id": ""},
        {"type": "t" * 101},
        {"type": "payment_intent.succeeded\x00"},
        {"account": "acct_nul\x00"},
    ],
    ids=[
        "created-2-70",
        "created-negative",
        "created-2-63",
        "long-id",
        "nul-id",
        "empty-id",
        "long-type",
        "nul-type",
        "nul-account",
    ],
)
def test_malformed_envelope_is_400(
    bare_service: Service, fields: dict[str, Any]
) -> None:
    body = envelope(**fields)

    response = deliver(bare_service, body)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
    # Only an id that the database could store is looked up.
    event_id = json.loads(body)["id"]
    if 0 < len(event_id) <= 255 and "\x00" not in event_id:
        assert stored_event(bare_service, event_id) is None


@pytest.mark.parametrize(
    ("event_type", "changes"),
    [
        (SUCCEEDED, {"id": {"id": "pi_nested"}}),
        (SUCCEEDED, {"id": ["pi_listed"]}),
        (SUCCEEDED, {"id": "pi_" + "x" * 300}),
        (SUCCEEDED, {"metadata": "prepay_account_id"}),
        (SUCCEEDED, {"metadata": ["prepay_account_id"]}),
        (SUCCEEDED, {"metadata": {"prepay_account_id": {"id": "x"}}}),
        (SUCCEEDED, {"description": "nul \x00 in a string"}),
        (SUCCEEDED, {"metadata": {"note\x00": "nul in a key"}}),
        ("payment_intent.payment_failed", {"last_payment_error": "declined"}),
        ("charge.refunded", {"id": {"id": "ch_nested"}}),
        ("charge.dispute.created", {"id": ["du_listed"]}),
    ],
    ids=[
        "id-dict",
        "id-list",
        "id-long",
        "metadata-string",
        "metadata-list",
        "metadata-value-dict",
        "nul-value",
        "nul-key",
        "payment-error-string",
        "charge-id-dict",
        "dispute-id-list",
    ],
)
def test_malformed_object_kept_for_review(
    bare_service: Service, event_type: str, changes: dict[str, Any]
) -> None:
    email = "mal-" + secrets.token_hex(4) + "@example.com"
    entry = open_pending_topup(bare_service, email, "10.00")
    data = payment_intent(entry)
    data.update(changes)
    body = event_body(event_type, data)

    response = deliver(bare_service, body)

    assert response.status_code == 200, response.text
    row = stored_event(bare_service, json.loads(body)["id"])
    assert row is not None
    assert row.status == "REVIEW"
    assert row.error
    assert "\x00" not in json.dumps(row.payload)
    balance, _entries = account_state(bare_service, email)
    assert balance == 0


def query_with_payload(session: Session, event: IncomingEvent) -> Outcome:
    """Fail inside the database with the event's payload as a parameter."""
    session.execute(
        text("SELECT no_such_column FROM stripe_events WHERE id = :payload"),
        {"payload": json.dumps(event.data)},
    )
    return Outcome()


def test_failure_stores_no_payload(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(
        bare_service.services.event_handlers, SUCCEEDED, query_with_payload
    )
    monkeypatch.setitem(handlers.HANDLERS, SUCCEEDED, query_with_payload)
    entry = open_pending_topup(bare_service, "pam@example.com", "10.00")
    marker = "marker-" + secrets.token_hex(8)
    body = event_body(SUCCEEDED, payment_intent(entry, description=marker))

    with caplog.at_level(logging.INFO):
        response = deliver(bare_service, body)

    assert response.status_code == 500
    row = stored_event(bare_service, json.loads(body)["id"])
    assert row is not None
    assert row.status == "FAILED"
    assert row.error
    assert marker not in row.error
    assert marker not in caplog.text
