"""Events: what the simulator records when an object changes, and their API.

Each event has Stripe's shape: `id` (evt_...), `object: "event"`,
`api_version`, `created`, `data`, `livemode: false`, `pending_webhooks`,
`request` and `type`. `data.object` is a copy of the object at that moment,
and `data.previous_attributes` lists the changed fields of an update.
`pending_webhooks` counts the endpoints that have not yet acknowledged the
event. `request` has the id and idempotency key of the API request that
caused the event. Both are null for changes that Stripe makes on its own,
such as opening a dispute.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from .api import Access, ApiCall, endpoint
from .errors import InvalidRequestError
from .forms import check_known, get_str, get_str_list
from .ids import new_id, now
from .lists import LIST_PARAMS, filter_created, paginate
from .store import Store, snapshot

if TYPE_CHECKING:
    from .settings import Settings

JSON = dict[str, Any]


def emit(
    call: ApiCall,
    event_type: str,
    obj: JSON,
    *,
    previous: JSON | None = None,
    from_request: bool = True,
) -> JSON:
    """Record an event about `obj` and queue it for delivery after the call."""
    request = (
        {"id": call.request_id, "idempotency_key": call.idempotency_key}
        if from_request
        else {"id": None, "idempotency_key": None}
    )
    event = record_event(
        call.store, call.settings, event_type, obj, request, previous=previous
    )
    call.events.append(event)
    return event


def record_event(
    store: Store,
    settings: Settings,
    event_type: str,
    obj: JSON,
    request: JSON,
    *,
    previous: JSON | None = None,
) -> JSON:
    """Store a new event with a copy of `obj` and return it."""
    data: JSON = {"object": snapshot(obj)}
    if previous is not None:
        data["previous_attributes"] = previous
    event: JSON = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": settings.api_version,
        "created": now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": len(endpoints_for(store, event_type)),
        "request": request,
        "type": event_type,
    }
    # Every delivery of the event sends this same body, written once, so that
    # retries and duplicates are byte-for-byte equal.
    store.add(event, {"payload": json.dumps(event, indent=2)})
    store.events.append(event)
    return event


def endpoints_for(store: Store, event_type: str) -> list[JSON]:
    """Return the enabled webhook endpoints that subscribe to an event type."""
    return [
        endpoint
        for endpoint in reversed(store.all("webhook_endpoint"))
        if endpoint["status"] == "enabled"
        and (
            "*" in endpoint["enabled_events"]
            or event_type in endpoint["enabled_events"]
        )
    ]


def type_matches(event_type: str, pattern: str) -> bool:
    """Return whether an event type matches a filter such as `charge.*`."""
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def retrieve_event(call: ApiCall) -> JSON:
    """GET /v1/events/{id}"""
    check_known(call.params, ())
    return snapshot(call.store.get(call.path("id"), "event"))


def list_events(call: ApiCall) -> JSON:
    """GET /v1/events, newest first, filtered by `type` or `types[]`."""
    check_known(call.params, ("type", "types", *LIST_PARAMS))
    single = get_str(call.params, "type")
    several = get_str_list(call.params, "types")
    if single and several:
        raise InvalidRequestError(
            "You may only specify one of these parameters: type, types.", param="type"
        )
    patterns = several or ([single] if single else [])

    events = filter_created(list(reversed(call.store.events)), call.params)
    if patterns:
        events = [
            event
            for event in events
            if any(type_matches(event["type"], pattern) for pattern in patterns)
        ]
    return paginate(events, call.params, "/v1/events")


routes = [
    Route("/v1/events", endpoint(list_events), methods=["GET"]),
    Route("/v1/events/{id}", endpoint(retrieve_event, Access.SECRET), methods=["GET"]),
]
