"""``prepay dev``: the service and the Stripe simulator together, for a laptop.

The simulator's keys are not secrets: like Stripe's own mock, it accepts any
``sk_test_`` and ``pk_test_`` key. The webhook secret is made fresh for each
run unless STRIPE_WEBHOOK_SECRET is set, and both sides use the same one.
"""

import logging
import os
import secrets
import signal
import subprocess
import sys
import time

import httpx

from prepay.config import load_settings

log = logging.getLogger(__name__)

SIMULATOR_SECRET_KEY = "sk_test_prepay_simulator"
SIMULATOR_PUBLISHABLE_KEY = "pk_test_prepay_simulator"


def _wait_until_up(url: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(
        f"the Stripe simulator did not respond at {url} within {seconds} s"
    )


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def run_dev(host: str, port: int, sim_port: int) -> int:
    # uvicorn restores the previous SIGTERM handler after its graceful
    # shutdown and raises the signal again. With the default handler, the
    # process would die before the finally below stops the simulator.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    port = int(os.environ.get("PORT", port))
    sim_port = int(os.environ.get("STRIPE_SIM_PORT", sim_port))
    sim_url = f"http://127.0.0.1:{sim_port}"
    webhook_secret = os.environ.get("STRIPE_WEBHOOK_SECRET") or (
        "whsec_" + secrets.token_hex(16)
    )
    env = dict(os.environ)
    env.setdefault("PREPAY_ENV", "dev")
    env.setdefault("STRIPE_SECRET_KEY", SIMULATOR_SECRET_KEY)
    env.setdefault("STRIPE_PUBLISHABLE_KEY", SIMULATOR_PUBLISHABLE_KEY)
    env.setdefault("STRIPE_API_BASE", sim_url)
    env.setdefault("STRIPE_JS_URL", f"{sim_url}/v3/")
    env["STRIPE_WEBHOOK_SECRET"] = webhook_secret

    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_sim",
            "--host",
            "127.0.0.1",
            "--port",
            str(sim_port),
            "--webhook-url",
            f"http://{host}:{port}/v1/billing/webhook",
        ],
        # The secret goes through the environment (STRIPE_WEBHOOK_SECRET),
        # never the command line, which every local user can read.
        env=env,
    )
    try:
        _wait_until_up(f"{sim_url}/_sim/health")
        os.environ.update(env)
        settings = load_settings()
        from prepay.cli import main

        main(["migrate"])
        _print_welcome(host, port, sim_url, settings.database_url)
        return main(["serve", "--host", host, "--port", str(port)])
    finally:
        simulator.terminate()
        try:
            simulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            simulator.kill()
            simulator.wait()


def _print_welcome(host: str, port: int, sim_url: str, database_url: str) -> None:
    lines = [
        "",
        f"  Billing page:     http://{host}:{port}/billing",
        "  Sign in:          type any email address on that page (no password in dev)",
        "  Test card:        4242 4242 4242 4242, any future expiry, any CVC",
        f"  Stripe simulator: {sim_url}",
        f"  Database:         {database_url}",
        "  API tokens:       .venv/bin/prepay token create --email EMAIL --scope user",
        "",
    ]
    print("\n".join(lines), flush=True)  # noqa: T201
