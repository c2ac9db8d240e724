"""The `Stripe-Signature` header of webhook deliveries.

Stripe signs `"{timestamp}.{payload}"` with HMAC-SHA256 under the endpoint's
secret and sends `t=TIMESTAMP,v1=HEX`. Each attempt is signed anew with the
current time, so a retry carries a fresh timestamp, as in Stripe. This is
what `stripe.Webhook.construct_event` verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def compute_signature(payload: str, secret: str, timestamp: int) -> str:
    """Return the hex HMAC-SHA256 of `"{timestamp}.{payload}"` under `secret`."""
    signed = f"{timestamp}.{payload}".encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Return the `Stripe-Signature` header value for a payload."""
    if timestamp is None:
        timestamp = int(time.time())
    return f"t={timestamp},v1={compute_signature(payload, secret, timestamp)}"
