"""Webhook endpoints: where the simulator delivers events, and their secrets.

`POST /v1/webhook_endpoints` returns the endpoint's signing `secret`, once, as
Stripe does. The secret is the configured `--webhook-secret` when there is
one, so that tests and the service can share it, and a random `whsec_...`
otherwise. URLs must point at a loopback address unless the simulator runs
with `--allow-remote-webhooks`, so that a test setup cannot post events to
another machine by mistake.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import Route

from .api import Access, ApiCall, endpoint
from .errors import InvalidRequestError
from .forms import (
    check_known,
    get_bool,
    get_metadata,
    get_str,
    get_str_list,
    merge_metadata,
    require_str,
)
from .ids import new_id, new_webhook_secret, now
from .lists import paginate
from .settings import Settings
from .store import Store, snapshot

JSON = dict[str, Any]

_EVENT_TYPE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$|^[a-z_]+\.\*$|^\*$")
PARAMS = ("url", "enabled_events", "description", "metadata", "api_version", "disabled")


def check_url(url: str, settings: Settings) -> str:
    """Return a webhook URL that the simulator may post to, or raise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(
            f"Invalid URL: {url}. A webhook URL must be an absolute http or https URL.",
            code="url_invalid",
            param="url",
        )
    if not settings.allow_remote_webhooks and not is_loopback(parts.hostname):
        raise InvalidRequestError(
            f"Invalid URL: {url}. The simulator delivers only to loopback addresses "
            "(127.0.0.0/8, ::1, localhost) unless it runs with "
            "--allow-remote-webhooks.",
            code="url_invalid",
            param="url",
        )
    return url


def is_loopback(hostname: str) -> bool:
    """Return whether a URL's host name is a loopback address."""
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def check_event_types(types: list[str]) -> list[str]:
    """Return subscribed event types, or raise for a malformed one."""
    if not types:
        raise InvalidRequestError(
            "Missing required param: enabled_events.",
            code="parameter_missing",
            param="enabled_events",
        )
    for index, event_type in enumerate(types):
        if not _EVENT_TYPE.match(event_type):
            raise InvalidRequestError(
                f"Invalid enabled_events[{index}]: {event_type!r} is not an "
                "event type.",
                param=f"enabled_events[{index}]",
            )
    return types


def add_endpoint(
    store: Store,
    settings: Settings,
    url: str,
    enabled_events: list[str],
    description: str | None = None,
    metadata: JSON | None = None,
) -> tuple[JSON, str]:
    """Store a new webhook endpoint and return it with its signing secret."""
    secret = settings.webhook_secret or new_webhook_secret()
    webhook_endpoint = {
        "id": new_id("we"),
        "object": "webhook_endpoint",
        "api_version": settings.api_version,
        "application": None,
        "created": now(),
        "description": description,
        "enabled_events": enabled_events,
        "livemode": False,
        "metadata": metadata or {},
        "status": "enabled",
        "url": url,
    }
    store.add(webhook_endpoint, {"secret": secret})
    return webhook_endpoint, secret


def register_configured_endpoints(store: Store, settings: Settings) -> list[JSON]:
    """Add an endpoint for every `--webhook-url`, subscribed to all events."""
    added = []
    for url in settings.webhook_urls:
        check_url(url, settings)
        webhook_endpoint, _ = add_endpoint(
            store, settings, url, ["*"], description="configured with --webhook-url"
        )
        store.secret(webhook_endpoint["id"])["configured"] = True
        added.append(webhook_endpoint)
    return added


def create_webhook_endpoint(call: ApiCall) -> JSON:
    """POST /v1/webhook_endpoints"""
    check_known(call.params, PARAMS)
    url = check_url(require_str(call.params, "url"), call.settings)
    types = check_event_types(get_str_list(call.params, "enabled_events") or [])
    webhook_endpoint, secret = add_endpoint(
        call.store,
        call.settings,
        url,
        types,
        get_str(call.params, "description"),
        get_metadata(call.params),
    )
    return {**snapshot(webhook_endpoint), "secret": secret}


def retrieve_webhook_endpoint(call: ApiCall) -> JSON:
    """GET /v1/webhook_endpoints/{id}"""
    check_known(call.params, ())
    return snapshot(call.store.get(call.path("id"), "webhook_endpoint"))


def update_webhook_endpoint(call: ApiCall) -> JSON:
    """POST /v1/webhook_endpoints/{id}"""
    check_known(call.params, PARAMS)
    webhook_endpoint = call.store.get(call.path("id"), "webhook_endpoint")
    if "url" in call.params:
        webhook_endpoint["url"] = check_url(
            require_str(call.params, "url"), call.settings
        )
    if "enabled_events" in call.params:
        types = get_str_list(call.params, "enabled_events") or []
        webhook_endpoint["enabled_events"] = check_event_types(types)
    if "description" in call.params:
        webhook_endpoint["description"] = get_str(call.params, "description")
    if "disabled" in call.params:
        disabled = get_bool(call.params, "disabled")
        webhook_endpoint["status"] = "disabled" if disabled else "enabled"
    metadata = get_metadata(call.params)
    if metadata is not None:
        merged = merge_metadata(webhook_endpoint["metadata"], metadata)
        webhook_endpoint["metadata"] = merged
    return snapshot(webhook_endpoint)


def delete_webhook_endpoint(call: ApiCall) -> JSON:
    """DELETE /v1/webhook_endpoints/{id}"""
    check_known(call.params, ())
    webhook_endpoint = call.store.get(call.path("id"), "webhook_endpoint")
    del call.store.objects[webhook_endpoint["id"]]
    return {"id": webhook_endpoint["id"], "object": "webhook_endpoint", "deleted": True}


def list_webhook_endpoints(call: ApiCall) -> JSON:
    """GET /v1/webhook_endpoints"""
    check_known(call.params, ("limit", "starting_after", "ending_before"))
    found = call.store.all("webhook_endpoint")
    return paginate(found, call.params, "/v1/webhook_endpoints")


def list_endpoint_secrets(call: ApiCall) -> JSON:
    """GET /_sim/webhook_endpoints: every endpoint with its signing secret."""
    check_known(call.params, ())
    data = [
        {**snapshot(item), "secret": call.store.secret(item["id"])["secret"]}
        for item in call.store.all("webhook_endpoint")
    ]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "url": "/_sim/webhook_endpoints",
    }


routes = [
    Route("/v1/webhook_endpoints", endpoint(create_webhook_endpoint), methods=["POST"]),
    Route("/v1/webhook_endpoints", endpoint(list_webhook_endpoints), methods=["GET"]),
    Route(
        "/v1/webhook_endpoints/{id}",
        endpoint(retrieve_webhook_endpoint),
        methods=["GET"],
    ),
    Route(
        "/v1/webhook_endpoints/{id}",
        endpoint(update_webhook_endpoint),
        methods=["POST"],
    ),
    Route(
        "/v1/webhook_endpoints/{id}",
        endpoint(delete_webhook_endpoint),
        methods=["DELETE"],
    ),
    Route(
        "/_sim/webhook_endpoints",
        endpoint(list_endpoint_secrets, Access.OPEN),
        methods=["GET"],
    ),
]
