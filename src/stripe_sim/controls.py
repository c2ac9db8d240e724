"""Simulator controls under `/_sim/`, for what real Stripe decides on its own.

They take no API key. Besides the 3D Secure challenge, which Stripe.js
stand-ins and scripts complete or fail, they switch how webhooks are
delivered, trigger and redeliver events, and reset all state between tests.
"""

from __future__ import annotations

import html
import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .api import Access, ApiCall, Simulator, endpoint
from .confirmation import complete_authentication
from .errors import InvalidRequestError, missing_param
from .events import emit
from .forms import check_known, get_bool, get_choice, get_str, get_str_list, require_str
from .payment_intents import publishable_view
from .store import snapshot

JSON = dict[str, Any]

logger = logging.getLogger(__name__)

# The object kind of each event type prefix that `POST /_sim/events` accepts.
EVENT_OBJECT_KINDS = {
    "charge.dispute": "dispute",
    "charge.refund": "refund",
    "charge": "charge",
    "customer": "customer",
    "payment_intent": "payment_intent",
    "payment_method": "payment_method",
    "refund": "refund",
}


def health(request: Request) -> Response:
    """GET /_sim/health: 200 once the server accepts requests."""
    return JSONResponse({"status": "ok"})


def reset(call: ApiCall) -> JSON:
    """POST /_sim/reset: forget every object, event and idempotency key.

    Endpoints configured with `--webhook-url` stay, with their secrets.
    """
    check_known(call.params, ())
    simulator = call.simulator
    configured = [
        item["id"]
        for item in call.store.all("webhook_endpoint")
        if call.store.secret(item["id"]).get("configured")
    ]
    call.store.reset(keep_ids=configured)
    simulator.deliverer.reset()
    return {"object": "simulator.reset", "kept_webhook_endpoints": configured}


def deliveries(call: ApiCall) -> JSON:
    """GET /_sim/deliveries: switches, held events and every delivery attempt."""
    check_known(call.params, ())
    return call.simulator.deliverer.status()


def set_mode(call: ApiCall) -> JSON:
    """POST /_sim/deliveries/mode with `duplicate` and `reverse` as true or false."""
    check_known(call.params, ("duplicate", "reverse"))
    mode = call.simulator.deliverer.mode
    mode.duplicate = get_bool(call.params, "duplicate", default=mode.duplicate)
    mode.reverse = get_bool(call.params, "reverse", default=mode.reverse)
    return call.simulator.deliverer.status()


def hold(call: ApiCall) -> JSON:
    """POST /_sim/deliveries/hold: keep new events back until released."""
    check_known(call.params, ())
    call.simulator.deliverer.mode.hold = True
    return call.simulator.deliverer.status()


def release(call: ApiCall) -> JSON:
    """POST /_sim/deliveries/release: send held events, `order=reverse` to reverse."""
    check_known(call.params, ("order",))
    order = get_choice(call.params, "order", ("created", "reverse"), "created")
    released = call.simulator.deliverer.release(reverse=order == "reverse")
    return {**call.simulator.deliverer.status(), "released": released}


def trigger_event(call: ApiCall) -> JSON:
    """POST /_sim/events: record and deliver an event about an existing object."""
    check_known(call.params, ("type", "object"))
    event_type = require_str(call.params, "type")
    object_id = require_str(call.params, "object")
    prefix = event_type.rpartition(".")[0]
    kind = EVENT_OBJECT_KINDS.get(prefix)
    if kind is None:
        raise InvalidRequestError(
            f"Cannot trigger {event_type}: the simulator triggers events of "
            f"{', '.join(sorted(EVENT_OBJECT_KINDS))} objects.",
            param="type",
        )
    obj = call.store.get(object_id, kind, param="object")
    return snapshot(emit(call, event_type, obj))


def redeliver_event(call: ApiCall) -> JSON:
    """POST /_sim/events/{id}/deliver: send an existing event again."""
    check_known(call.params, ("endpoints",))
    event = call.store.get(call.path("id"), "event")
    endpoint_ids = get_str_list(call.params, "endpoints")
    sent = call.simulator.deliverer.send(event, endpoint_ids)
    return {"object": "simulator.redelivery", "event": event["id"], "endpoints": sent}


def three_d_secure(call: ApiCall) -> JSON:
    """POST /_sim/payment_intents/{id}/three_d_secure with `client_secret` and
    `outcome=complete|fail`."""
    check_known(call.params, ("client_secret", "outcome", "redirect"))
    pi = call.store.get(call.path("id"), "payment_intent")
    if get_str(call.params, "client_secret") != pi["client_secret"]:
        raise InvalidRequestError(
            "The client_secret provided does not match the client_secret "
            "associated with the PaymentIntent.",
            param="client_secret",
        )
    outcome = get_choice(call.params, "outcome", ("complete", "fail"))
    if outcome is None:
        raise missing_param("outcome")

    return_url = call.store.secret(pi["id"]).get("return_url")
    complete_authentication(call, pi, outcome == "complete")
    if get_bool(call.params, "redirect"):
        call.redirect_to = _redirect_target(call.simulator, pi, return_url)
    return publishable_view(pi)


def _redirect_target(simulator: Simulator, pi: JSON, return_url: str | None) -> str:
    if return_url is None:
        query = urlencode({"client_secret": pi["client_secret"]})
        return f"{simulator.settings.base_url}/_sim/three_d_secure/{pi['id']}?{query}"
    status = "succeeded" if pi["status"] == "succeeded" else "failed"
    query = urlencode(
        {
            "payment_intent": pi["id"],
            "payment_intent_client_secret": pi["client_secret"],
            "redirect_status": status,
        }
    )
    separator = "&" if "?" in return_url else "?"
    return f"{return_url}{separator}{query}"


def challenge_page(request: Request) -> Response:
    """GET /_sim/three_d_secure/{id}: a page with Complete and Fail buttons."""
    simulator: Simulator = request.app.state.simulator
    secret = request.query_params.get("client_secret", "")
    logger.info(
        "request method=GET path=%s object=%s",
        request.url.path,
        request.path_params["id"],
    )
    with simulator.store.locked():
        pi = simulator.store.find(request.path_params["id"])
        if (
            pi is None
            or pi.get("object") != "payment_intent"
            or secret != pi["client_secret"]
        ):
            return HTMLResponse(
                _page("Unknown payment", "<p>No such payment.</p>"), 404
            )
        status = pi["status"]
        amount = f"{pi['amount']} {pi['currency'].upper()} (minor units)"

    if status != "requires_action":
        body = f"<p>This payment has a status of <b>{html.escape(status)}</b>.</p>"
        return HTMLResponse(_page("3D Secure", body))
    action = f"/_sim/payment_intents/{html.escape(pi['id'])}/three_d_secure"
    hidden = (
        f'<input type="hidden" name="client_secret" value="{html.escape(secret)}">'
        '<input type="hidden" name="redirect" value="true">'
    )
    body = (
        f"<p>Authenticate a payment of {html.escape(amount)}.</p>"
        f'<form method="post" action="{action}">{hidden}'
        '<button name="outcome" value="complete" id="complete">Complete</button> '
        '<button name="outcome" value="fail" id="fail">Fail</button></form>'
    )
    return HTMLResponse(_page("3D Secure challenge", body))


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}"
        f"</title></head><body><h1>{title}</h1>{body}</body></html>"
    )


routes = [
    Route("/_sim/health", health, methods=["GET"]),
    Route("/_sim/reset", endpoint(reset, Access.OPEN), methods=["POST"]),
    Route("/_sim/deliveries", endpoint(deliveries, Access.OPEN), methods=["GET"]),
    Route("/_sim/deliveries/mode", endpoint(set_mode, Access.OPEN), methods=["POST"]),
    Route("/_sim/deliveries/hold", endpoint(hold, Access.OPEN), methods=["POST"]),
    Route("/_sim/deliveries/release", endpoint(release, Access.OPEN), methods=["POST"]),
    Route("/_sim/events", endpoint(trigger_event, Access.OPEN), methods=["POST"]),
    Route(
        "/_sim/events/{id}/deliver",
        endpoint(redeliver_event, Access.OPEN),
        methods=["POST"],
    ),
    Route(
        "/_sim/payment_intents/{id}/three_d_secure",
        endpoint(three_d_secure, Access.OPEN),
        methods=["POST"],
    ),
    Route("/_sim/three_d_secure/{id}", challenge_page, methods=["GET"]),
]
