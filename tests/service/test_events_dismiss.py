"""``prepay events dismiss``: REVIEW and FAILED events, and unknown ids."""

import json

import pytest
from sqlalchemy.orm import Session

from prepay.db import transaction
from prepay.ledger.events import IncomingEvent, Outcome
from prepay.ledger.models import StripeEvent
from tests.conftest import Service
from tests.service.helpers import (
    deliver,
    event_body,
    open_pending_topup,
    payment_intent,
)
from tests.service.stripe_objects import run_prepay

SUCCEEDED = "payment_intent.succeeded"


def broken(_session: Session, _event: IncomingEvent) -> Outcome:
    raise RuntimeError("handler broken on purpose")


def test_dismiss_failed_event(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(bare_service.services.event_handlers, SUCCEEDED, broken)
    entry = open_pending_topup(bare_service, "dee@example.com", "10.00")
    body = event_body(SUCCEEDED, payment_intent(entry))
    event_id = json.loads(body)["id"]
    assert deliver(bare_service, body).status_code == 500

    code = run_prepay(
        bare_service, monkeypatch, "events", "dismiss", event_id, "--note", "a test"
    )

    assert code == 0
    assert "dismissed" in capsys.readouterr().out
    with transaction(bare_service.services.sessions) as session:
        row = session.get(StripeEvent, event_id)
        assert row is not None
        assert row.status == "IGNORED"
        assert "handler broken on purpose" in (row.error or "")
        assert "dismissed: a test" in (row.error or "")


def test_dismiss_unknown_event_not_found(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run_prepay(
        bare_service, monkeypatch, "events", "dismiss", "evt_nope", "--note", "x"
    )

    assert code == 1
    output = capsys.readouterr()
    assert "no stored event evt_nope" in output.err + output.out
    assert "not in REVIEW" not in output.err + output.out


def test_dismiss_processed_event_rejected(
    bare_service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = open_pending_topup(bare_service, "dot@example.com", "10.00")
    body = event_body(SUCCEEDED, payment_intent(entry))
    assert deliver(bare_service, body).status_code == 200
    event_id = json.loads(body)["id"]

    code = run_prepay(
        bare_service, monkeypatch, "events", "dismiss", event_id, "--note", "x"
    )

    assert code == 1
    assert "PROCESSED" in capsys.readouterr().out
