"""Every object the simulator returns has every field of Stripe's example object.

Stripe's example objects are in `fixtures/stripe_resources.json`. A field that
is an object in the example is checked field by field when the simulator's
value is an object too, and skipped when it is null, as Stripe returns null
for fields that do not apply. Free-form maps (`metadata`) and an event's
`data.object`, whose example is of another resource, are not compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from stripe_sim.testing import WebhookReceiver
from tests.stripe_sim.helpers import (
    card_payment_method,
    confirm_in_browser,
    create_intent,
    secret_headers,
)

EXAMPLES = json.loads(
    (Path(__file__).parent / "fixtures" / "stripe_resources.json").read_text()
)["resources"]

FREE_FORM = {"metadata", "fraud_details"}
NOT_COMPARED = {("event", "data.object")}


def missing_fields(kind: str, example: Any, actual: Any, path: str = "") -> list[str]:
    """Return the dotted paths of example fields that `actual` lacks."""
    if not isinstance(example, dict) or not isinstance(actual, dict):
        return []
    missing = []
    for name, value in example.items():
        field = f"{path}.{name}" if path else name
        if name not in actual:
            missing.append(field)
        elif name not in FREE_FORM and (kind, field) not in NOT_COMPARED:
            missing += missing_fields(kind, value, actual[name], field)
    return missing


def served_objects(
    client: stripe.StripeClient, http: httpx.Client, hook_url: str
) -> list[dict[str, Any]]:
    """Create one of each object the simulator serves, in every status that
    changes which fields are set, and return them as JSON."""
    headers = secret_headers()

    def get(path: str) -> dict[str, Any]:
        response = http.get(path, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    method = card_payment_method(http, "4242424242424242").json()
    paid = create_intent(
        client, customer=customer.id, payment_method="pm_card_visa", confirm=True
    )
    refund = client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 100})
    disputed = create_intent(
        client, payment_method="pm_card_createDispute", confirm=True
    )
    dispute = client.v1.disputes.list(params={"payment_intent": disputed.id}).data[0]
    challenged = create_intent(client)
    confirm_in_browser(
        http, challenged, card_payment_method(http, "4000002760003184").json()["id"]
    )
    http.post(
        f"/_sim/payment_intents/{challenged.id}/three_d_secure",
        data={"client_secret": challenged.client_secret, "outcome": "complete"},
    )
    declined = create_intent(client)
    confirm_in_browser(
        http, declined, card_payment_method(http, "4000000000000002").json()["id"]
    )
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": hook_url, "enabled_events": ["*"]}
    )
    waiting = create_intent(client, payment_method="pm_card_authenticationRequired")
    client.v1.payment_intents.confirm(
        waiting.id, params={"return_url": "http://127.0.0.1:9/r"}
    )

    objects = [get(f"/v1/customers/{customer.id}"), method]
    for intent in (paid, challenged, declined, waiting):
        body = get(f"/v1/payment_intents/{intent.id}")
        objects.append(body)
        if body["latest_charge"]:
            objects.append(get(f"/v1/charges/{body['latest_charge']}"))
    objects.append(get(f"/v1/refunds/{refund.id}"))
    objects.append(get(f"/v1/disputes/{dispute.id}"))
    objects.append(get(f"/v1/webhook_endpoints/{endpoint.id}"))
    objects.extend(get("/v1/events?limit=100")["data"])
    return objects


def test_objects_have_every_example_field(
    client: stripe.StripeClient,
    http: httpx.Client,
    receiver: tuple[str, WebhookReceiver],
) -> None:
    objects = served_objects(client, http, receiver[0])
    kinds = {obj["object"] for obj in objects}

    assert kinds == set(EXAMPLES)
    problems = {}
    for obj in objects:
        missing = missing_fields(obj["object"], EXAMPLES[obj["object"]], obj)
        if missing:
            problems[f"{obj['object']} {obj['id']}"] = missing
    assert problems == {}


def test_event_objects_have_every_example_field(
    client: stripe.StripeClient,
    http: httpx.Client,
    receiver: tuple[str, WebhookReceiver],
) -> None:
    served_objects(client, http, receiver[0])
    events = http.get("/v1/events?limit=100", headers=secret_headers()).json()["data"]

    problems = {}
    for event in events:
        inner = event["data"]["object"]
        missing = missing_fields(inner["object"], EXAMPLES[inner["object"]], inner)
        if missing:
            problems[f"{event['type']} {event['id']}"] = missing
    assert problems == {}


def test_checker_reports_missing_field() -> None:
    example = {"a": 1, "b": {"c": 2}, "metadata": {"x": "y"}}

    assert missing_fields("x", example, {"a": 1, "b": {}, "metadata": {}}) == ["b.c"]
    assert missing_fields("x", example, {"b": None, "metadata": {}}) == ["a"]


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_example_is_a_resource(kind: str) -> None:
    assert EXAMPLES[kind]["object"] == kind
