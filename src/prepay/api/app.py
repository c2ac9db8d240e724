"""The FastAPI application, wired from one Settings object."""

import logging
import secrets

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from prepay.api.deps import Services
from prepay.api.errors import install_error_handlers
from prepay.api.openapi import install_openapi
from prepay.api.routes import (
    adjustments,
    billing,
    debits,
    export,
    health,
    metrics,
    pages,
    spending,
    webhook,
)
from prepay.api.security import RateLimiter, install_security
from prepay.api.templates import STATIC_DIR
from prepay.auth.oidc import build_verifier
from prepay.auth.sessions import SessionSigner
from prepay.config import Settings, mask_secret
from prepay.db import make_engine, make_session_factory
from prepay.ledger.handlers import HANDLERS
from prepay.metrics import MetricsMiddleware, build_registry
from prepay.stripe_gateway import StripeGateway, WebhookVerifier

log = logging.getLogger(__name__)


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url)
    gateway = None
    if settings.payments_enabled:
        gateway = StripeGateway(
            settings.stripe_secret_key or "", settings.stripe_api_base
        )

    # Outside production a missing session secret gets a random one, so
    # sessions end when the process restarts.
    signer = SessionSigner(settings.session_secret or secrets.token_urlsafe(32))
    log.info(
        "prepay env=%s database=%s stripe=%s key=%s api_base=%s",
        settings.prepay_env,
        engine.url.render_as_string(hide_password=True),
        "on" if gateway else "off",
        mask_secret(settings.stripe_secret_key),
        settings.stripe_api_base,
    )

    # Webhooks are verified even while STRIPE_ENABLED=false, because refunds
    # and disputes keep arriving after top-ups are switched off.
    verifier = None
    if settings.stripe_webhook_secret:
        verifier = WebhookVerifier(
            settings.stripe_webhook_secret, settings.webhook_tolerance_seconds
        )

    return Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        gateway=gateway,
        signer=signer,
        event_handlers=dict(HANDLERS),
        webhook_verifier=verifier,
        oidc=build_verifier(settings),
        topup_limiter=RateLimiter(
            settings.topup_rate_limit, settings.topup_rate_window_seconds
        ),
    )


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    # No Swagger UI: it loads from a CDN, which the Content-Security-Policy
    # blocks and an offline machine cannot reach. The schema is /openapi.json.
    app = FastAPI(title="prepay", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.services = services or build_services(settings)
    app.state.metrics = build_registry(app.state.services.sessions)
    install_error_handlers(app)
    for module in (health, billing, debits, adjustments, webhook, pages, metrics):
        app.include_router(module.router)
    for module in (export, spending):
        app.include_router(module.router)
    app.add_middleware(MetricsMiddleware)
    install_security(app, settings)
    install_openapi(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
