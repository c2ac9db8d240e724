"""Settings of one simulator instance, read from the command line and environment."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111

# The API version that stripe-python 16.1.0 sends by default. Events carry it in
# `api_version`, as Stripe stamps each event with the account's version.
DEFAULT_API_VERSION = "2026-10-28.endive"

DEFAULT_RETRY_BASE_SECONDS = 1.0

# Stripe retries a failed delivery for up to three days. A simulator that runs for
# a test session gives up sooner: with a 1 s base, 8 attempts span about two minutes.
DEFAULT_MAX_DELIVERY_ATTEMPTS = 8

DEFAULT_DELIVERY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Settings:
    """Configuration of one simulator instance."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str | None = field(default=None, repr=False)
    retry_base_seconds: float = DEFAULT_RETRY_BASE_SECONDS
    max_delivery_attempts: int = DEFAULT_MAX_DELIVERY_ATTEMPTS
    delivery_timeout_seconds: float = DEFAULT_DELIVERY_TIMEOUT_SECONDS
    api_version: str = DEFAULT_API_VERSION
    allow_remote_webhooks: bool = False
    public_url: str | None = None

    def __post_init__(self) -> None:
        if self.webhook_secret is not None and not self.webhook_secret.startswith(
            "whsec_"
        ):
            raise ValueError("webhook secret must start with 'whsec_'")
        if self.retry_base_seconds < 0:
            raise ValueError(
                f"retry base must be 0 or more seconds, got {self.retry_base_seconds}"
            )
        if self.max_delivery_attempts < 1:
            raise ValueError(
                "maximum delivery attempts must be at least 1, "
                f"got {self.max_delivery_attempts}"
            )

    @property
    def base_url(self) -> str:
        """Return the URL that browsers and webhooks use to reach this simulator."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def first_secret(secrets: str) -> str | None:
    """Return the first of comma-separated webhook secrets, or None if there is none.

    prepay reads `STRIPE_WEBHOOK_SECRET` as a comma-separated list so that secrets
    can be rotated, and the simulator signs with the first one.
    """
    for secret in secrets.split(","):
        if secret.strip():
            return secret.strip()
    return None


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser of `python -m stripe_sim`."""
    parser = argparse.ArgumentParser(
        prog="stripe-sim",
        description="Run a local simulator of the Stripe API for tests and "
        "development.",
    )

    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")

    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"TCP port to listen on (default: $STRIPE_SIM_PORT or {DEFAULT_PORT})",
    )

    parser.add_argument(
        "--webhook-url",
        action="append",
        default=[],
        metavar="URL",
        help="endpoint that receives every event; repeat for several endpoints",
    )

    parser.add_argument(
        "--webhook-secret",
        default=None,
        metavar="WHSEC",
        help="signing secret of every webhook endpoint "
        "(default: $STRIPE_WEBHOOK_SECRET, else a random secret per endpoint)",
    )

    parser.add_argument(
        "--retry-base-seconds",
        type=float,
        default=DEFAULT_RETRY_BASE_SECONDS,
        help="delay before the first retry of a failed delivery, doubled per retry",
    )

    parser.add_argument(
        "--max-delivery-attempts",
        type=int,
        default=DEFAULT_MAX_DELIVERY_ATTEMPTS,
        help="attempts per event and endpoint before the simulator gives up",
    )

    parser.add_argument(
        "--api-version",
        default=DEFAULT_API_VERSION,
        help="API version stamped on events",
    )

    parser.add_argument(
        "--allow-remote-webhooks",
        action="store_true",
        help="allow webhook URLs on hosts other than loopback addresses",
    )

    parser.add_argument(
        "--public-url",
        default=None,
        help="URL that browsers use to reach the simulator, for 3D Secure pages "
        "(default: http://HOST:PORT)",
    )

    return parser


def settings_from_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Parse the command line, with `STRIPE_SIM_PORT` and `STRIPE_WEBHOOK_SECRET`
    as defaults, into settings."""
    env = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)

    port = args.port
    if port is None:
        port_text = env.get("STRIPE_SIM_PORT", str(DEFAULT_PORT))
        try:
            port = int(port_text)
        except ValueError:
            parser.error(f"STRIPE_SIM_PORT must be an integer, got {port_text!r}")
    secret = args.webhook_secret or first_secret(env.get("STRIPE_WEBHOOK_SECRET", ""))

    try:
        return Settings(
            host=args.host,
            port=port,
            webhook_urls=tuple(args.webhook_url),
            webhook_secret=secret,
            retry_base_seconds=args.retry_base_seconds,
            max_delivery_attempts=args.max_delivery_attempts,
            api_version=args.api_version,
            allow_remote_webhooks=args.allow_remote_webhooks,
            public_url=args.public_url,
        )
    except ValueError as error:
        parser.error(str(error))
