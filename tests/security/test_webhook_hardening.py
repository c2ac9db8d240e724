"""Webhook deliveries: only exact bytes signed with one of our secrets, and recent.

Every malformed delivery is 400 with a generic body, never 500, and writes
nothing: no stored event, no ledger change.
"""

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import time
from typing import Any

import httpx
from sqlalchemy import func, select

from prepay.db import transaction
from prepay.ledger.models import StripeEvent
from tests.conftest import Service
from tests.security.conftest import running_service
from tests.service.helpers import (
    account_state,
    event_body,
    open_pending_topup,
    payment_intent,
    sign,
    usd,
)

GENERIC_MESSAGES = ("invalid webhook signature", "invalid webhook payload")


def post(service: Service, body: bytes, headers: dict[str, Any]) -> httpx.Response:
    with service.client() as client:
        return client.post("/v1/billing/webhook", content=body, headers=headers)


def v1(payload: bytes, secret: str, timestamp: int) -> str:
    """HMAC-SHA256 of ``t.payload`` as Stripe computes it, on raw bytes."""
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def stored_events(service: Service) -> int:
    with transaction(service.services.sessions) as session:
        return session.scalar(select(func.count()).select_from(StripeEvent)) or 0


def succeeded_body(service: Service, email: str, **json_options: Any) -> bytes:
    entry = open_pending_topup(service, email, "40.00")
    event = json.loads(event_body("payment_intent.succeeded", payment_intent(entry)))
    return json.dumps(event, **json_options).encode()


def assert_rejected(response: httpx.Response, case: str) -> None:
    assert response.status_code == 400, (
        f"{case}: {response.status_code} {response.text}"
    )
    error = response.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT", case
    assert error["message"] in GENERIC_MESSAGES, case
    assert error["details"] == {}, case


def test_malformed_headers_are_400(bare_service: Service) -> None:
    secret = bare_service.simulator.webhook_secret
    body = succeeded_body(bare_service, "ann@example.com")
    now = int(time.time())
    good = v1(body, secret, now)
    cases: dict[str, dict[str, Any]] = {
        "missing header": {},
        "empty header": {"Stripe-Signature": ""},
        "garbled header": {"Stripe-Signature": "garbage"},
        "commas only": {"Stripe-Signature": ",,,"},
        "no timestamp": {"Stripe-Signature": f"v1={good}"},
        "empty timestamp": {"Stripe-Signature": f"t=,v1={good}"},
        "timestamp not a number": {"Stripe-Signature": f"t=abc,v1={good}"},
        "signed timestamp": {"Stripe-Signature": f"t=+{now},v1={good}"},
        "only v0": {"Stripe-Signature": f"t={now},v0={good}"},
        "v1 without value": {"Stripe-Signature": f"t={now},v1"},
        "v1 of another body": {
            "Stripe-Signature": f"t={now},v1={v1(b'{}', secret, now)}"
        },
        "non-ASCII signature": {
            "Stripe-Signature": f"t={now},v1=é{good[1:]}".encode("latin-1")
        },
        "huge header": {"Stripe-Signature": f"t={now},v1={good}," + "v1=0" * 2000},
        "stale by 6 minutes": {
            "Stripe-Signature": f"t={now - 360},v1={v1(body, secret, now - 360)}"
        },
        "future by 6 minutes": {
            "Stripe-Signature": f"t={now + 360},v1={v1(body, secret, now + 360)}"
        },
    }
    for case, headers in cases.items():
        assert_rejected(post(bare_service, body, headers), case)

    assert stored_events(bare_service) == 0
    balance, _entries = account_state(bare_service, "ann@example.com")
    assert balance == 0


def test_signed_non_utf8_body_is_400(bare_service: Service) -> None:
    secret = bare_service.simulator.webhook_secret
    body = succeeded_body(bare_service, "ben@example.com").replace(
        b'"object": "event"', b'"object": "event", "x": "\xff\xfe"'
    )
    now = int(time.time())

    response = post(
        bare_service, body, {"Stripe-Signature": f"t={now},v1={v1(body, secret, now)}"}
    )

    assert_rejected(response, "non-UTF-8 body")
    assert stored_events(bare_service) == 0


def test_signed_bodies_that_are_not_events_are_400(bare_service: Service) -> None:
    secret = bare_service.simulator.webhook_secret
    event = json.loads(
        event_body(
            "payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}
        )
    )
    cases = {
        "array": "[1, 2]",
        "string": '"event"',
        "null": "null",
        "empty": "",
        "not JSON": "{not json",
        "byte order mark": "\ufeff" + json.dumps(event),
        "no data": json.dumps({**event, "data": None}),
        "data.object a list": json.dumps({**event, "data": {"object": []}}),
        "livemode a string": json.dumps({**event, "livemode": "false"}),
        "created a string": json.dumps({**event, "created": "yesterday"}),
        "created a boolean": json.dumps({**event, "created": True}),
        "id a number": json.dumps({**event, "id": 12}),
        "account a number": json.dumps({**event, "account": 7}),
        "deeply nested": "[" * 100_000 + "]" * 100_000,
        "huge integer": '{"object": "event", "created": ' + "9" * 5000 + "}",
    }
    for case, text in cases.items():
        headers = {"Stripe-Signature": sign(text, secret)}

        assert_rejected(post(bare_service, text.encode(), headers), case)

    assert stored_events(bare_service) == 0


def test_exact_bytes_verify_in_any_layout(bare_service: Service) -> None:
    secret = bare_service.simulator.webhook_secret
    pretty = succeeded_body(bare_service, "cat@example.com", indent=2)
    entry = open_pending_topup(bare_service, "dan@example.com", "40.00")
    data = payment_intent(entry, description="Zürich – 東京 ✓")
    unicode_body = event_body("payment_intent.succeeded", data)
    raw_unicode = json.dumps(json.loads(unicode_body), ensure_ascii=False).encode()

    for email, body in (("cat@example.com", pretty), ("dan@example.com", raw_unicode)):
        response = post(
            bare_service, body, {"Stripe-Signature": sign(body.decode(), secret)}
        )

        assert response.status_code == 200, response.text
        balance, _entries = account_state(bare_service, email)
        assert balance == usd("40.00").nanos


def test_tolerance_allows_four_minutes_either_way(bare_service: Service) -> None:
    secret = bare_service.simulator.webhook_secret
    now = int(time.time())
    for email, timestamp in (
        ("eve@example.com", now - 240),
        ("fay@example.com", now + 240),
    ):
        body = succeeded_body(bare_service, email)
        header = f"t={timestamp},v1={v1(body, secret, timestamp)}"

        response = post(bare_service, body, {"Stripe-Signature": header})

        assert response.status_code == 200, response.text


def test_any_v1_under_any_secret_verifies(database_url: str) -> None:
    old, new = "whsec_" + secrets.token_hex(16), "whsec_" + secrets.token_hex(16)
    with running_service(database_url, webhook_secret=f"{old},{new}") as service:
        now = int(time.time())
        decoy = "0" * 64
        headers = []
        for number, secret in enumerate((old, new, new, old)):
            body = succeeded_body(service, f"user{number}@example.com")
            good = v1(body, secret, now)
            pair = [f"v1={decoy}", f"v1={good}"]
            if number % 2:
                pair.reverse()
            headers.append((body, f"t={now}," + ",".join(pair)))
        unsigned = succeeded_body(service, "nobody@example.com")
        foreign = v1(unsigned, "whsec_" + secrets.token_hex(16), now)

        responses = [
            post(service, body, {"Stripe-Signature": h}) for body, h in headers
        ]
        rejected = post(
            service, unsigned, {"Stripe-Signature": f"t={now},v1={foreign}"}
        )

        for response in responses:
            assert response.status_code == 200, response.text
        assert_rejected(rejected, "no secret matches")
        balance, _entries = account_state(service, "nobody@example.com")
        assert balance == 0


def test_no_secret_outside_production_is_503(database_url: str) -> None:
    with running_service(database_url, webhook_secret="") as service:
        body = succeeded_body(service, "gus@example.com")
        signed = post(
            service, body, {"Stripe-Signature": sign(body.decode(), "whsec_any")}
        )
        unsigned = post(service, body, {})

        for response in (signed, unsigned):
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "UNAVAILABLE"
        assert stored_events(service) == 0
        balance, _entries = account_state(service, "gus@example.com")
        assert balance == 0


def test_production_without_secret_does_not_start() -> None:
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("STRIPE_", "SESSION_", "PREPAY_", "OIDC_"))
    }
    environ.update(
        PREPAY_ENV="prod",
        STRIPE_ENABLED="false",
        SESSION_SECRET="s" * 40,
        DATABASE_URL="sqlite:///:memory:",
    )

    result = subprocess.run(
        [sys.executable, "-m", "prepay", "serve", "--port", "9"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "STRIPE_WEBHOOK_SECRET is missing" in result.stderr


def test_stored_event_drops_client_secret(bare_service: Service) -> None:
    secret = bare_service.simulator.webhook_secret
    entry = open_pending_topup(bare_service, "hal@example.com", "40.00")
    client_secret = f"{entry.stripe_payment_intent_id}_secret_abc123"
    data = payment_intent(entry, client_secret=client_secret)
    body = event_body("payment_intent.succeeded", data)

    response = post(
        bare_service, body.encode(), {"Stripe-Signature": sign(body, secret)}
    )

    assert response.status_code == 200, response.text
    with transaction(bare_service.services.sessions) as session:
        stored = session.scalars(select(StripeEvent)).one()
        assert "client_secret" not in stored.payload
        assert stored.payload["id"] == entry.stripe_payment_intent_id
