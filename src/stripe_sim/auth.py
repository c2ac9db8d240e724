"""API keys, as Stripe's test mode checks them.

Server calls authenticate with a secret key (`sk_test_...`, or a restricted
`rk_test_...`) sent as Bearer or Basic auth, as the SDKs send it. Browser calls
from Stripe.js send a publishable key (`pk_test_...`) in the `key` parameter,
and reach only the calls that Stripe lets a publishable key make. Any key with
a test prefix is accepted. Live keys are rejected, so that a misconfigured
service never mistakes the simulator for live Stripe.
"""

from __future__ import annotations

import base64
import binascii
from enum import Enum

from starlette.requests import Request

from .errors import AuthenticationError
from .forms import Params

SECRET_PREFIXES = ("sk_test_", "rk_test_")
PUBLISHABLE_PREFIXES = ("pk_test_",)
LIVE_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")

NO_KEY_MESSAGE = (
    "You did not provide an API key. You need to provide your API key in the "
    "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
    "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details."
)


class KeyKind(Enum):
    """The kind of API key that authenticated a request."""

    SECRET = "secret"
    PUBLISHABLE = "publishable"


def mask_key(key: str) -> str:
    """Return a key with all but its prefix and last four characters hidden."""
    prefix, _, rest = key.rpartition("_")
    if not prefix or len(rest) <= 4:
        return "*" * len(key)
    return f"{prefix}_{'*' * (len(rest) - 4)}{rest[-4:]}"


def read_key(request: Request, params: Params) -> str | None:
    """Return the API key of a request, from its Authorization header or `key`."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if scheme.lower() == "basic" and credentials.strip():
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError(
                "Invalid Basic authorization header: it must be base64 of "
                "'KEY:' with an empty password."
            ) from None
        return decoded.partition(":")[0] or None
    key = params.get("key")
    return key if isinstance(key, str) and key else None


def classify_key(key: str | None) -> KeyKind:
    """Return the kind of a test key, or raise a 401 error for any other key."""
    if key is None:
        raise AuthenticationError(NO_KEY_MESSAGE)
    if key.startswith(SECRET_PREFIXES) and len(key) > len("sk_test_"):
        return KeyKind.SECRET
    if key.startswith(PUBLISHABLE_PREFIXES) and len(key) > len("pk_test_"):
        return KeyKind.PUBLISHABLE
    if key.startswith(LIVE_PREFIXES):
        raise AuthenticationError(
            f"Invalid API Key provided: {mask_key(key)}. The Stripe simulator "
            "accepts test-mode keys only (sk_test_, rk_test_ or pk_test_)."
        )
    raise AuthenticationError(f"Invalid API Key provided: {mask_key(key)}")


def require_secret(kind: KeyKind) -> None:
    """Raise a 401 error unless the call was made with a secret key."""
    if kind is not KeyKind.SECRET:
        raise AuthenticationError(
            "This API call cannot be made with a publishable API key. Please use "
            "a secret API key."
        )
