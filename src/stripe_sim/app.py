"""The simulator's Starlette application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from . import (
    charges,
    controls,
    customers,
    disputes,
    events,
    payment_intents,
    payment_methods,
    refunds,
    webhook_endpoints,
)
from .api import Simulator, render
from .deliveries import Deliverer
from .errors import InvalidRequestError
from .settings import Settings
from .store import Store

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

# Stripe.js sends these headers on its cross-origin calls; the billing page
# runs on another origin than the simulator.
CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Stripe-Version"]
EXPOSED_HEADERS = [
    "Request-Id",
    "Idempotency-Key",
    "Idempotent-Replayed",
    "Stripe-Version",
]


def stripe_js(request: Request) -> Response:
    """GET /v3/: the Stripe.js stand-in, where real Stripe serves js.stripe.com/v3/."""
    path = STATIC_DIR / "stripe.js"
    logger.info("request method=GET path=%s object=stripe.js", request.url.path)
    if not path.is_file():
        error = InvalidRequestError(
            "This build of the simulator has no Stripe.js stand-in (static/stripe.js)."
        )
        return Response(render(error.to_json()), 404, media_type="application/json")
    return FileResponse(path, media_type="text/javascript")


def build_routes() -> list[BaseRoute]:
    """Return every route of the API, the controls and the Stripe.js stand-in."""
    modules = (
        customers,
        payment_methods,
        payment_intents,
        charges,
        refunds,
        disputes,
        events,
        webhook_endpoints,
        controls,
    )
    routes: list[BaseRoute] = [route for module in modules for route in module.routes]
    routes.append(Route("/v3", stripe_js, methods=["GET"]))
    routes.append(Route("/v3/", stripe_js, methods=["GET"]))
    routes.append(Route("/v3/stripe.js", stripe_js, methods=["GET"]))
    return routes


async def unrecognized_url(request: Request, exc: Exception) -> Response:
    """Return Stripe's error for a path or method that the API does not serve."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    logger.info(
        "request method=%s path=%s status=%d error=unrecognized_url",
        request.method,
        request.url.path,
        status,
    )
    if status not in (404, 405):
        message = exc.detail if isinstance(exc, HTTPException) else "Server error"
        error = InvalidRequestError(str(message))
        return Response(render(error.to_json()), status, media_type="application/json")
    error = InvalidRequestError(
        f"Unrecognized request URL ({request.method}: {request.url.path}). Please "
        "see https://stripe.com/docs or we can help at https://support.stripe.com/."
    )
    return Response(render(error.to_json()), 404, media_type="application/json")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build a simulator application with its own, empty state."""
    settings = settings or Settings()
    store = Store()
    simulator = Simulator(settings, store, Deliverer(settings, store))
    for added in webhook_endpoints.register_configured_endpoints(store, settings):
        logger.info(
            "webhook endpoint id=%s url=%s secret=%s",
            added["id"],
            added["url"],
            "from settings"
            if settings.webhook_secret
            else "random, see GET /_sim/webhook_endpoints",
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await simulator.deliverer.start()
        logger.info("simulator started url=%s", settings.base_url)
        try:
            yield
        finally:
            await simulator.deliverer.stop()
            logger.info("simulator stopped")

    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=CORS_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    ]
    app = Starlette(
        routes=build_routes(),
        middleware=middleware,
        exception_handlers={HTTPException: unrecognized_url},
        lifespan=lifespan,
    )
    app.state.simulator = simulator
    return app
