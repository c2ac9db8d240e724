"""Object ids, client secrets and timestamps in Stripe's formats."""

from __future__ import annotations

import secrets
import string
import time

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    """Return a random string of ASCII letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str) -> str:
    """Return a new object id such as `pi_3QxY...`, with 24 random characters."""
    return f"{prefix}_{random_token(24)}"


def new_client_secret(object_id: str) -> str:
    """Return a client secret for a PaymentIntent, as `{id}_secret_{random}`."""
    return f"{object_id}_secret_{random_token(25)}"


def new_webhook_secret() -> str:
    """Return a random webhook signing secret."""
    return f"whsec_{random_token(32)}"


def now() -> int:
    """Return the current Unix time in seconds, as Stripe's `created`."""
    return int(time.time())
