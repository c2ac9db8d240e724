"""Services built with the settings each security test needs."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from prepay.api.app import create_app
from tests.conftest import (
    ServerThread,
    Service,
    Simulator,
    free_port,
    service_settings,
)
from tests.security.identity import AUDIENCE, ISSUER, IdentityProvider, serve_jwks


@contextmanager
def running_service(
    database_url: str, webhook_secret: str | None = None, **settings: str
) -> Iterator[Service]:
    """Run the service with these settings on top of the suite's, without Stripe.

    Stripe calls go to a closed port. ``webhook_secret`` is comma-separated
    for several secrets; "" configures none.
    """
    port = free_port()
    secret = (
        "whsec_" + secrets.token_hex(16) if webhook_secret is None else webhook_secret
    )
    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(service_settings(database_url, dead, secret, **settings))
    placeholder = Simulator(dead, secret, None)  # type: ignore[arg-type]
    try:
        with ServerThread(app, port):
            yield Service(
                f"http://127.0.0.1:{port}",
                app.state.services.settings,
                app.state.services,
                placeholder,
            )
    finally:
        app.state.services.engine.dispose()


@pytest.fixture
def identity() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    with serve_jwks(provider):
        yield provider


@pytest.fixture
def oidc_service(database_url: str, identity: IdentityProvider) -> Iterator[Service]:
    """The service accepting ID tokens from ``identity``."""
    with running_service(
        database_url,
        OIDC_ISSUER=ISSUER,
        OIDC_AUDIENCE=AUDIENCE,
        OIDC_JWKS_URL=identity.url,
    ) as service:
        yield service
