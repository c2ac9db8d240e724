"""Pytest fixtures that run the simulator for a test.

Import them into a `conftest.py`:

    from stripe_sim.pytest_plugin import stripe_simulator, stripe_simulator_settings

and override `stripe_simulator_settings` to configure webhook URLs or a
signing secret.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .settings import Settings
from .testing import RunningSimulator, running_simulator

__all__ = ["stripe_simulator", "stripe_simulator_settings"]


@pytest.fixture
def stripe_simulator_settings() -> Settings:
    """Settings of the simulator that `stripe_simulator` starts; override to change."""
    return Settings(retry_base_seconds=0.05)


@pytest.fixture
def stripe_simulator(stripe_simulator_settings: Settings) -> Iterator[RunningSimulator]:
    """Run a simulator with fresh state on a free 127.0.0.1 port and yield it.

    Its `.url` is the base URL for the SDK and for Stripe.js calls.
    """
    with running_simulator(stripe_simulator_settings) as simulator:
        yield simulator
