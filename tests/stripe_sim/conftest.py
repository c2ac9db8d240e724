"""Fixtures for the simulator's tests: a running simulator, the SDK and httpx.

Every test talks to a real server on a free 127.0.0.1 port: the official
`stripe` SDK with a secret key for server calls, and httpx with a publishable
key for the calls that Stripe.js makes from a browser.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from stripe_sim.pytest_plugin import stripe_simulator, stripe_simulator_settings
from stripe_sim.settings import Settings
from stripe_sim.testing import (
    RunningSimulator,
    WebhookReceiver,
    running_receiver,
    running_simulator,
)
from tests.stripe_sim.helpers import SECRET_KEY, WEBHOOK_SECRET

__all__ = ["stripe_simulator", "stripe_simulator_settings"]


@pytest.fixture
def client(stripe_simulator: RunningSimulator) -> stripe.StripeClient:
    """The official SDK, pointed at the simulator with a secret key."""
    return stripe.StripeClient(
        SECRET_KEY,
        base_addresses={"api": stripe_simulator.url},
        max_network_retries=0,
    )


@pytest.fixture
def http(stripe_simulator: RunningSimulator) -> Iterator[httpx.Client]:
    """A plain HTTP client for the simulator, for browser calls and `/_sim/`."""
    with httpx.Client(base_url=stripe_simulator.url, timeout=15) as session:
        yield session


@pytest.fixture
def receiver() -> Iterator[tuple[str, WebhookReceiver]]:
    """A webhook receiver that accepts every delivery; yields (url, receiver)."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def hooked(
    receiver: tuple[str, WebhookReceiver],
) -> Iterator[tuple[RunningSimulator, WebhookReceiver]]:
    """A simulator that delivers every event to `receiver`, signed with
    WEBHOOK_SECRET."""
    url, inbox = receiver
    settings = Settings(
        webhook_urls=(url,), webhook_secret=WEBHOOK_SECRET, retry_base_seconds=0.05
    )
    with running_simulator(settings) as simulator:
        yield simulator, inbox
