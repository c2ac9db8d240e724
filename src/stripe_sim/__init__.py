"""A local stand-in for the part of Stripe's API that prepay uses.

The simulator is a separate Starlette application with in-memory state. It
serves the `/v1` endpoints that the official `stripe` SDK and Stripe.js call,
Stripe's test cards and test PaymentMethods, idempotency keys, and signed
webhook deliveries with retries. Endpoints under `/_sim/` control what real
Stripe decides on its own: 3D Secure challenges and webhook delivery order.
It imports nothing from prepay, so it can ship on its own.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
