"""Signed webhook deliveries, retries, and the delivery switches under /_sim/."""

from __future__ import annotations

import json

import httpx
import pytest
import stripe

from stripe_sim.settings import Settings
from stripe_sim.testing import (
    RunningSimulator,
    WebhookReceiver,
    running_receiver,
    running_simulator,
)
from tests.stripe_sim.helpers import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    create_intent,
    wait_until,
)


def sdk(simulator: RunningSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(
        SECRET_KEY, base_addresses={"api": simulator.url}, max_network_retries=0
    )


def verified_types(inbox: WebhookReceiver, count: int) -> list[str]:
    """Wait for `count` deliveries, verify each with the SDK, return their types."""
    types = []
    for delivery in inbox.wait_for(count):
        signature = delivery.headers["stripe-signature"]
        event = stripe.Webhook.construct_event(delivery.body, signature, WEBHOOK_SECRET)
        types.append(event.type)
    return types


def test_deliveries_verify_with_sdk(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked

    create_intent(sdk(simulator), payment_method="pm_card_visa", confirm=True)

    assert verified_types(inbox, 3) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    delivery = inbox.deliveries[0]
    assert delivery.headers["content-type"].startswith("application/json")
    assert delivery.headers["stripe-signature"].startswith("t=")
    assert json.loads(delivery.body)["object"] == "event"


def test_wrong_secret_fails_verification(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked
    sdk(simulator).v1.customers.create()

    delivery = inbox.wait_for(1)[0]

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery.body, delivery.headers["stripe-signature"], "whsec_other"
        )


def test_pending_webhooks_drops_on_success(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked
    client = sdk(simulator)
    client.v1.customers.create()

    inbox.wait_for(1)

    event = client.v1.events.list().data[0]
    sent = json.loads(inbox.deliveries[0].body)
    assert sent["pending_webhooks"] == 1
    wait_until(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0)


def test_failed_delivery_retried_until_2xx() -> None:
    def respond(index: int) -> int:
        return 500 if index < 2 else 200

    with running_receiver(respond) as (url, inbox):
        settings = Settings(
            webhook_urls=(url,), webhook_secret=WEBHOOK_SECRET, retry_base_seconds=0.05
        )
        with running_simulator(settings) as simulator:
            sdk(simulator).v1.customers.create()

            deliveries = inbox.wait_for(3)
            status = httpx.get(f"{simulator.url}/_sim/deliveries").json()

    assert [d.status for d in deliveries] == [500, 500, 200]
    bodies = {d.body for d in deliveries}
    assert len(bodies) == 1
    signatures = [d.headers["stripe-signature"] for d in deliveries]
    for signature in signatures:
        stripe.Webhook.construct_event(deliveries[0].body, signature, WEBHOOK_SECRET)
    attempts = status["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["delivered"] for a in attempts] == [False, False, True]
    assert attempts[0]["next_retry_seconds"] == 0.05
    assert attempts[1]["next_retry_seconds"] == 0.1


def test_delivery_abandoned_after_max_attempts() -> None:
    with running_receiver(lambda index: 503) as (url, inbox):
        settings = Settings(
            webhook_urls=(url,),
            webhook_secret=WEBHOOK_SECRET,
            retry_base_seconds=0.01,
            max_delivery_attempts=3,
        )
        with running_simulator(settings) as simulator:
            sdk(simulator).v1.customers.create()
            inbox.wait_for(3)
            deliveries_url = f"{simulator.url}/_sim/deliveries"
            wait_until(lambda: len(httpx.get(deliveries_url).json()["attempts"]) == 3)
            status = httpx.get(deliveries_url).json()
            event = sdk(simulator).v1.events.list().data[0]

    assert status["attempts"][-1]["next_retry_seconds"] is None
    assert status["retries_scheduled"] == 0
    assert event.pending_webhooks == 1
    assert len(inbox.deliveries) == 3


def test_duplicate_mode_sends_twice(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked
    httpx.post(f"{simulator.url}/_sim/deliveries/mode", data={"duplicate": "true"})

    sdk(simulator).v1.customers.create()

    deliveries = inbox.wait_for(2)
    assert deliveries[0].body == deliveries[1].body
    assert verified_types(inbox, 2) == ["customer.created", "customer.created"]


def test_reverse_mode_reverses_batch(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked
    httpx.post(f"{simulator.url}/_sim/deliveries/mode", data={"reverse": "true"})

    create_intent(sdk(simulator), payment_method="pm_card_visa", confirm=True)

    assert verified_types(inbox, 3) == [
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_intent.created",
    ]


def test_hold_then_release(hooked: tuple[RunningSimulator, WebhookReceiver]) -> None:
    simulator, inbox = hooked
    client = sdk(simulator)
    httpx.post(f"{simulator.url}/_sim/deliveries/hold")
    client.v1.customers.create(params={"email": "a@example.com"})
    client.v1.customers.create(params={"email": "b@example.com"})

    held = httpx.get(f"{simulator.url}/_sim/deliveries").json()
    assert len(held["held"]) == 2
    assert inbox.deliveries == []

    released = httpx.post(f"{simulator.url}/_sim/deliveries/release").json()

    assert released["released"] == held["held"]
    emails = [json.loads(d.body)["data"]["object"]["email"] for d in inbox.wait_for(2)]
    assert emails == ["a@example.com", "b@example.com"]


def test_release_in_reverse(hooked: tuple[RunningSimulator, WebhookReceiver]) -> None:
    simulator, inbox = hooked
    client = sdk(simulator)
    httpx.post(f"{simulator.url}/_sim/deliveries/hold")
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)
    client.v1.refunds.create(params={"payment_intent": intent.id})

    httpx.post(f"{simulator.url}/_sim/deliveries/release", data={"order": "reverse"})

    assert verified_types(inbox, 5) == [
        "refund.created",
        "charge.refunded",
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_intent.created",
    ]


def test_trigger_event_for_object(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked
    intent = create_intent(sdk(simulator), payment_method="pm_card_visa", confirm=True)
    inbox.wait_for(3)

    response = httpx.post(
        f"{simulator.url}/_sim/events",
        data={"type": "payment_intent.succeeded", "object": intent.id},
    )

    assert response.status_code == 200, response.text
    assert verified_types(inbox, 4)[-1] == "payment_intent.succeeded"
    triggered = json.loads(inbox.deliveries[-1].body)
    assert triggered["id"] == response.json()["id"]
    assert triggered["data"]["object"]["id"] == intent.id


def test_trigger_rejects_wrong_object(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, _ = hooked
    customer = sdk(simulator).v1.customers.create()

    response = httpx.post(
        f"{simulator.url}/_sim/events",
        data={"type": "payment_intent.succeeded", "object": customer.id},
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


def test_redeliver_existing_event(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked
    client = sdk(simulator)
    client.v1.customers.create()
    first = inbox.wait_for(1)[0]
    event_id = json.loads(first.body)["id"]

    response = httpx.post(f"{simulator.url}/_sim/events/{event_id}/deliver")

    assert response.json()["endpoints"] == 1
    second = inbox.wait_for(2)[1]
    assert json.loads(second.body)["id"] == event_id


def test_endpoint_created_with_configured_secret(
    receiver: tuple[str, WebhookReceiver],
) -> None:
    url, inbox = receiver
    settings = Settings(webhook_secret=WEBHOOK_SECRET, retry_base_seconds=0.05)
    with running_simulator(settings) as simulator:
        client = sdk(simulator)
        endpoint = client.v1.webhook_endpoints.create(
            params={"url": url, "enabled_events": ["charge.succeeded"]}
        )
        create_intent(client, payment_method="pm_card_visa", confirm=True)

        assert endpoint.secret == WEBHOOK_SECRET
        assert endpoint.status == "enabled"
        assert verified_types(inbox, 1) == ["charge.succeeded"]
        retrieved = client.v1.webhook_endpoints.retrieve(endpoint.id)
        assert "secret" not in retrieved.to_dict()


def test_endpoint_gets_random_secret(
    stripe_simulator: RunningSimulator, receiver: tuple[str, WebhookReceiver]
) -> None:
    url, inbox = receiver
    client = sdk(stripe_simulator)

    endpoint = client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": ["*"]}
    )
    client.v1.customers.create()

    assert endpoint.secret is not None
    assert endpoint.secret.startswith("whsec_")
    delivery = inbox.wait_for(1)[0]
    stripe.Webhook.construct_event(
        delivery.body, delivery.headers["stripe-signature"], endpoint.secret
    )
    listed = httpx.get(f"{stripe_simulator.url}/_sim/webhook_endpoints").json()
    assert listed["data"][0]["secret"] == endpoint.secret


def test_deleted_endpoint_gets_nothing(
    stripe_simulator: RunningSimulator, receiver: tuple[str, WebhookReceiver]
) -> None:
    url, inbox = receiver
    client = sdk(stripe_simulator)
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": ["*"]}
    )

    client.v1.webhook_endpoints.delete(endpoint.id)
    client.v1.customers.create()

    with pytest.raises(TimeoutError):
        inbox.wait_for(1, timeout=0.5)


@pytest.mark.parametrize(
    "url",
    ["http://192.0.2.10/hook", "http://example.com/hook", "ftp://127.0.0.1/hook"],
)
def test_endpoint_url_must_be_loopback(client: stripe.StripeClient, url: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["*"]})

    assert raised.value.code == "url_invalid"


def test_reset_keeps_configured_endpoint(
    hooked: tuple[RunningSimulator, WebhookReceiver],
) -> None:
    simulator, inbox = hooked
    client = sdk(simulator)
    client.v1.customers.create()
    inbox.wait_for(1)

    reset = httpx.post(f"{simulator.url}/_sim/reset")
    client.v1.customers.create()

    assert len(reset.json()["kept_webhook_endpoints"]) == 1
    assert len(client.v1.customers.list().data) == 1
    assert len(client.v1.events.list().data) == 1
    assert verified_types(inbox, 2) == ["customer.created", "customer.created"]
