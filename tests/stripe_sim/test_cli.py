"""The command line and its environment defaults, and a run as a process."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
import stripe

from stripe_sim.settings import DEFAULT_PORT, Settings, settings_from_args
from stripe_sim.signing import signature_header
from stripe_sim.testing import bind_free_port


def test_defaults() -> None:
    settings = settings_from_args([], environ={})

    assert settings.host == "127.0.0.1"
    assert settings.port == DEFAULT_PORT
    assert settings.webhook_urls == ()
    assert settings.webhook_secret is None
    assert settings.base_url == f"http://127.0.0.1:{DEFAULT_PORT}"


def test_environment_defaults() -> None:
    environ = {"STRIPE_SIM_PORT": "12999", "STRIPE_WEBHOOK_SECRET": "whsec_a,whsec_b"}

    settings = settings_from_args([], environ=environ)

    assert settings.port == 12999
    assert settings.webhook_secret == "whsec_a"


def test_arguments_override_environment() -> None:
    settings = settings_from_args(
        [
            "--port",
            "13000",
            "--webhook-secret",
            "whsec_cli",
            "--webhook-url",
            "http://127.0.0.1:8000/a",
            "--webhook-url",
            "http://127.0.0.1:8000/b",
            "--retry-base-seconds",
            "0.5",
        ],
        environ={"STRIPE_SIM_PORT": "12999", "STRIPE_WEBHOOK_SECRET": "whsec_env"},
    )

    assert settings.port == 13000
    assert settings.webhook_secret == "whsec_cli"
    assert settings.webhook_urls == (
        "http://127.0.0.1:8000/a",
        "http://127.0.0.1:8000/b",
    )
    assert settings.retry_base_seconds == 0.5


@pytest.mark.parametrize(
    "argv",
    [["--webhook-secret", "secret"], ["--retry-base-seconds", "-1"], ["--port", "x"]],
)
def test_invalid_arguments_exit(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        settings_from_args(argv, environ={})

    assert raised.value.code == 2


def test_ipv6_base_url() -> None:
    assert Settings(host="::1", port=1).base_url == "http://[::1]:1"


def test_signature_matches_sdk() -> None:
    payload = '{"id": "evt_1"}'

    ours = signature_header(payload, "whsec_x", timestamp=1_700_000_000)
    sdks = stripe.WebhookSignature.generate_signature_header(
        payload, "whsec_x", timestamp=1_700_000_000
    )

    assert ours == sdks


def test_runs_as_module() -> None:
    sock = bind_free_port()
    port = sock.getsockname()[1]
    sock.close()
    command = [sys.executable, "-m", "stripe_sim", "--port", str(port)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        response = wait_for_health(f"http://127.0.0.1:{port}")
        created = httpx.post(
            f"http://127.0.0.1:{port}/v1/customers",
            headers={"Authorization": "Bearer sk_test_cli"},
            data={"email": "a@example.com"},
        )
    finally:
        process.terminate()
        _, logs = process.communicate(timeout=10)

    assert response.json() == {"status": "ok"}
    assert created.status_code == 200
    customer_id = created.json()["id"]
    assert f"object={customer_id}" in logs
    assert "sk_test_cli" not in logs
    assert "a@example.com" not in logs


def wait_for_health(url: str, timeout: float = 15.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"{url}/_sim/health")
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
