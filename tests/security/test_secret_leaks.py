"""Logs at DEBUG, for every logger, show no secret, card number or raw webhook body.

One test runs the whole flow through the simulator: a top-up paid with a
card, its webhook, a debit, a delivery with a bad signature and a declined
card. Everything the service process logs or prints is captured and
searched for what must never appear.
"""

import json
import logging
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from prepay.api.app import create_app
from tests.conftest import (
    ServerThread,
    Service,
    Simulator,
    free_port,
    service_settings,
    wait_for_port,
)
from tests.service.helpers import money_json, sign

CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
# A Stripe-Signature value, and a raw event body as Stripe sends it.
SIGNATURE_HEADER = re.compile(r"t=\d+,\s*v[01]=[0-9a-f]{64}")
RAW_EVENT = re.compile(r'"object":\s*"event"')


class Capture(logging.Handler):
    """Every record, formatted with its arguments and any traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def every_logger_at_debug(capture: Capture) -> Iterator[None]:
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if logger is logging.getLogger() or not logger.propagate:
            logger.addHandler(capture)
    try:
        yield
    finally:
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled
            logger.removeHandler(capture)


@pytest.fixture
def logged_service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    """The service and a simulator whose own output goes to a file, not ours."""
    port, sim_port = free_port(), free_port()
    webhook_secret = "whsec_" + secrets.token_hex(16)
    secret_key = "sk_test_" + secrets.token_hex(16)
    simulator_log = (tmp_path / "simulator.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "stripe_sim",
            "--host", "127.0.0.1",
            "--port", str(sim_port),
            "--webhook-url", f"http://127.0.0.1:{port}/v1/billing/webhook",
            "--webhook-secret", webhook_secret,
            "--retry-base-seconds", "0.2",
        ],
        stdout=simulator_log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    simulator = Simulator(f"http://127.0.0.1:{sim_port}", webhook_secret, process)
    settings = service_settings(
        database_url,
        simulator.url,
        webhook_secret,
        STRIPE_SECRET_KEY=secret_key,
        SESSION_SECRET=secrets.token_hex(24),
    )
    try:
        wait_for_port(sim_port, process=process)
        app = create_app(settings)
        with ServerThread(app, port):
            yield Service(
                f"http://127.0.0.1:{port}", settings, app.state.services, simulator
            )
        app.state.services.engine.dispose()
    finally:
        process.terminate()
        process.wait(timeout=10)
        simulator_log.close()


def pay_at_simulator(service: Service, top_up: dict[str, Any], number: str) -> None:
    """Confirm the PaymentIntent with a card, as Stripe.js does in the browser."""
    key = service.settings.stripe_publishable_key
    with httpx.Client(base_url=service.simulator.url, timeout=15) as simulator:
        confirmed = simulator.post(
            f"/v1/payment_intents/{top_up['stripePaymentIntentId']}/confirm",
            data={
                "key": key,
                "client_secret": top_up["clientSecret"],
                "payment_method_data[type]": "card",
                "payment_method_data[card][number]": number,
                "payment_method_data[card][exp_month]": "12",
                "payment_method_data[card][exp_year]": "2040",
                "payment_method_data[card][cvc]": "123",
            },
        )
    assert confirmed.status_code in (200, 402), confirmed.text


def wait_until_settled(client: httpx.Client, transaction_id: str) -> str:
    deadline = time.monotonic() + 15
    while True:
        status = str(
            client.get(f"/v1/billing/transactions/{transaction_id}").json()["status"]
        )
        if status != "PENDING" or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def run_flow(service: Service) -> dict[str, list[str]]:
    """Run the flow; return what must not appear in the output, by kind."""
    user_token = service.token("ann@example.com")
    runner_token = service.token("runner@example.com", "service")
    forbidden: dict[str, list[str]] = {"bearer token": [user_token, runner_token]}
    with service.client(user_token) as client:
        paid = client.post(
            "/v1/billing/top-up",
            json={"amount": money_json("50.00")},
            headers={"Idempotency-Key": "paid"},
        ).json()
        pay_at_simulator(service, paid, CARD)
        assert (
            wait_until_settled(client, paid["transaction"]["transactionId"])
            == "COMPLETED"
        )

        declined = client.post(
            "/v1/billing/top-up",
            json={"amount": money_json("20.00")},
            headers={"Idempotency-Key": "declined"},
        ).json()
        pay_at_simulator(service, declined, DECLINED_CARD)
        assert (
            wait_until_settled(client, declined["transaction"]["transactionId"])
            == "FAILED"
        )

    with service.client(runner_token) as client:
        debit = {
            "userEmail": "ann@example.com",
            "amount": money_json("12.34"),
            "idempotencyKey": "task-1",
        }
        assert client.post("/v1/billing/debits", json=debit).status_code == 200

    forged = json.dumps({"id": "evt_forged", "object": "event", "type": "x"}, indent=2)
    forged_header = sign(forged, "whsec_" + secrets.token_hex(16))
    with service.client() as client:
        rejected = client.post(
            "/v1/billing/webhook",
            content=forged.encode(),
            headers={"Stripe-Signature": forged_header},
        )
    assert rejected.status_code == 400

    forbidden["client secret"] = [paid["clientSecret"], declined["clientSecret"]]
    forbidden["raw webhook body"] = [forged] + delivered_bodies(service)
    forbidden["Stripe-Signature header"] = [forged_header]
    return forbidden


def delivered_bodies(service: Service) -> list[str]:
    key = service.settings.stripe_secret_key
    with httpx.Client(base_url=service.simulator.url, timeout=15) as simulator:
        events = simulator.get("/v1/events", params={"limit": 100}, auth=(str(key), ""))
    return [json.dumps(event, indent=2) for event in events.json()["data"]]


def test_flow_logs_no_secrets(
    logged_service: Service, capfd: pytest.CaptureFixture[str]
) -> None:
    service = logged_service
    capture = Capture()

    with every_logger_at_debug(capture):
        forbidden = run_flow(service)
        time.sleep(0.5)  # let the last deliveries finish logging

    printed = capfd.readouterr()
    output = "\n".join(capture.lines + [printed.out, printed.err])
    forbidden["secret key"] = [str(service.settings.stripe_secret_key)]
    forbidden["webhook secret"] = list(service.settings.stripe_webhook_secret)
    forbidden["session secret"] = [str(service.settings.session_secret)]
    forbidden["card number"] = [CARD, DECLINED_CARD, CARD[-12:], "4242 4242"]

    assert len(capture.lines) > 50, "the capture saw too little to prove anything"
    assert any("stripe" in line for line in capture.lines)
    leaks = sorted(
        {
            f"{kind} logged by {logger}"
            for kind, values in forbidden.items()
            for value in values
            for logger in sources(output, re.escape(value))
        }
        | {
            f"Stripe-Signature logged by {logger}"
            for logger in sources(output, SIGNATURE_HEADER.pattern)
        }
        | {
            f"raw webhook body logged by {logger}"
            for logger in sources(output, RAW_EVENT.pattern)
        }
        | {
            f"client secret logged by {logger}"
            for logger in sources(output, "_secret_")
        }
    )
    assert leaks == []


def sources(output: str, pattern: str) -> set[str]:
    """Name the logger of each line that matches, never the line itself."""
    found = set()
    for match in re.finditer(pattern, output):
        line_start = output.rfind("\n", 0, match.start()) + 1
        name, _, rest = output[line_start:].partition(" ")
        level = rest.split(" ", 1)[0]
        known = level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        found.add(f"{name} at {level}" if known else "printed output")
    return found
