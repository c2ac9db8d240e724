"""The request pipeline shared by every endpoint.

Each endpoint is a plain function of an `ApiCall` that runs under the store's
lock and returns a JSON object. `endpoint()` wraps it into a Starlette
endpoint that authenticates, parses Stripe's form encoding, applies
idempotency keys and `expand`, renders errors in Stripe's shape, hands the
events the call created to the webhook deliverer, and logs one line.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import idempotency
from .auth import KeyKind, classify_key, read_key, require_secret
from .errors import InvalidRequestError, StripeError
from .forms import Params, parse_form
from .ids import new_id
from .lists import expand
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from .deliveries import Deliverer

JSON = dict[str, Any]

logger = logging.getLogger(__name__)


class Access(Enum):
    """Callers that an endpoint accepts."""

    SECRET = "secret"  # server calls with a secret key
    ANY_KEY = "any_key"  # also Stripe.js calls with a publishable key
    OPEN = "open"  # simulator controls under /_sim/, which take no key


@dataclass
class Simulator:
    """The state and collaborators of one running simulator."""

    settings: Settings
    store: Store
    deliverer: Deliverer


@dataclass
class ApiCall:
    """One API request, as passed to an endpoint function."""

    simulator: Simulator
    params: Params
    path_params: dict[str, str]
    key_kind: KeyKind | None
    request_id: str
    idempotency_key: str | None
    events: list[JSON] = field(default_factory=list)
    status: int = 200
    result_id: str | None = None
    redirect_to: str | None = None

    @property
    def store(self) -> Store:
        """The simulator's store, whose lock the call holds."""
        return self.simulator.store

    @property
    def settings(self) -> Settings:
        """The simulator's settings."""
        return self.simulator.settings

    @property
    def publishable(self) -> bool:
        """Whether the call came from Stripe.js with a publishable key."""
        return self.key_kind is KeyKind.PUBLISHABLE

    def path(self, name: str) -> str:
        """Return a parameter of the URL path, such as the object id."""
        return self.path_params[name]


Handler = Callable[[ApiCall], JSON]


def endpoint(
    handler: Handler, access: Access = Access.SECRET
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an endpoint function into a Starlette endpoint."""

    async def run(request: Request) -> Response:
        started = time.monotonic()
        simulator: Simulator = request.app.state.simulator
        request_id = new_id("req")
        key = request.headers.get("idempotency-key")
        call: ApiCall | None = None
        replayed = False
        try:
            params = await read_params(request)
            kind = authenticate(request, params, access)
            call = ApiCall(
                simulator, params, dict(request.path_params), kind, request_id, key
            )
            status, body, replayed = await _execute(request, call, handler)
        except StripeError as error:
            status, body = error.status, render(error.to_json())

        if call is not None and call.redirect_to and status == 200:
            response: Response = RedirectResponse(call.redirect_to, status_code=303)
        else:
            response = Response(body, status_code=status, media_type="application/json")
        _set_headers(request, response, simulator, request_id, replayed)
        if call is not None and call.events:
            simulator.deliverer.submit(call.events)
        _log(request, status, request_id, call, replayed, started)
        return response

    return run


async def read_params(request: Request) -> Params:
    """Parse the query string and, for POST, the form-encoded body."""
    params = parse_form(request.url.query)
    if request.method != "POST":
        return params
    content_type = request.headers.get("content-type", "")
    body = (await request.body()).decode("utf-8", errors="replace")
    if body and "json" in content_type:
        raise InvalidRequestError(
            "Invalid request: Stripe's v1 API reads form-encoded bodies "
            "(application/x-www-form-urlencoded), not JSON."
        )
    params.update(parse_form(body))
    return params


def authenticate(request: Request, params: Params, access: Access) -> KeyKind | None:
    """Check the request's API key against what the endpoint accepts."""
    if access is Access.OPEN:
        return None
    kind = classify_key(read_key(request, params))
    if access is Access.SECRET:
        require_secret(kind)
    return kind


async def _execute(
    request: Request, call: ApiCall, handler: Handler
) -> tuple[int, bytes, bool]:
    store = call.store
    key = call.idempotency_key if request.method == "POST" else None
    if key is not None:
        path = request.url.path
        saved = idempotency.begin(store, key, request.method, path, call.params)
        if saved is not None:
            assert saved.status is not None and saved.body is not None
            return saved.status, saved.body, True

    status, body = _run_handler(call, handler)
    if key is not None:
        idempotency.finish(store, key, status, body)
    return status, body, False


def _run_handler(call: ApiCall, handler: Handler) -> tuple[int, bytes]:
    try:
        with call.store.locked():
            result = handler(call)
            call.result_id = result.get("id")
            result = expand(call.store, result, call.params)
        return call.status, render(result)
    except StripeError as error:
        return error.status, render(error.to_json())
    except Exception:
        logger.exception("unexpected error request=%s", call.request_id)
        failure = StripeError("An unexpected error occurred in the Stripe simulator.")
        failure.type = "api_error"
        return 500, render(failure.to_json())


def render(body: JSON) -> bytes:
    """Serialize a response body as Stripe does, indented JSON."""
    return json.dumps(body, indent=2).encode("utf-8")


def _set_headers(
    request: Request,
    response: Response,
    simulator: Simulator,
    request_id: str,
    replayed: bool,
) -> None:
    response.headers["Request-Id"] = request_id
    version = request.headers.get("stripe-version") or simulator.settings.api_version
    response.headers["Stripe-Version"] = version
    response.headers["Cache-Control"] = "no-cache, no-store"
    key = request.headers.get("idempotency-key")
    if key is not None and request.method == "POST":
        response.headers["Idempotency-Key"] = key
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


def _log(
    request: Request,
    status: int,
    request_id: str,
    call: ApiCall | None,
    replayed: bool,
    started: float,
) -> None:
    kind = call.key_kind.value if call is not None and call.key_kind else "none"
    object_id = request.path_params.get("id") or (call and call.result_id) or "-"
    logger.info(
        "request id=%s method=%s path=%s object=%s status=%d key=%s "
        "idempotency_key=%s replayed=%s events=%d duration_ms=%d",
        request_id,
        request.method,
        request.url.path,
        object_id,
        status,
        kind,
        request.headers.get("idempotency-key", "-"),
        str(replayed).lower(),
        len(call.events) if call is not None else 0,
        (time.monotonic() - started) * 1000,
    )
