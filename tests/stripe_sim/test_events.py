"""Events: their shape, retrieve, and list with type, limit and cursors."""

from __future__ import annotations

import pytest
import stripe

from stripe_sim.settings import DEFAULT_API_VERSION
from tests.stripe_sim.helpers import create_intent


def test_event_shape(client: stripe.StripeClient) -> None:
    intent = create_intent(client, payment_method="pm_card_visa", confirm=True)

    event = client.v1.events.list(params={"limit": 1}).data[0]

    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert event.type == "payment_intent.succeeded"
    assert event.api_version == DEFAULT_API_VERSION
    assert event.livemode is False
    assert event.pending_webhooks == 0
    assert isinstance(event.created, int)
    assert event.data.object["id"] == intent.id
    assert event.data.object["status"] == "succeeded"
    assert event.request is not None
    assert event.request.id is not None
    assert event.request.id.startswith("req_")


def test_event_keeps_object_at_that_time(client: stripe.StripeClient) -> None:
    intent = create_intent(client)
    client.v1.payment_intents.cancel(intent.id)

    created = client.v1.events.list(params={"type": "payment_intent.created"}).data[0]

    assert created.data.object["status"] == "requires_payment_method"


def test_retrieve(client: stripe.StripeClient) -> None:
    create_intent(client)
    listed = client.v1.events.list().data[0]

    found = client.v1.events.retrieve(listed.id)

    assert found.id == listed.id
    assert found.type == "payment_intent.created"


def test_retrieve_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.retrieve("evt_missing")

    assert raised.value.http_status == 404
    assert str(raised.value.user_message) == "No such event: 'evt_missing'"


def test_list_filters_by_type(client: stripe.StripeClient) -> None:
    create_intent(client, payment_method="pm_card_visa", confirm=True)

    charges = client.v1.events.list(params={"type": "charge.succeeded"}).data
    intents = client.v1.events.list(params={"type": "payment_intent.*"}).data

    assert [event.type for event in charges] == ["charge.succeeded"]
    assert [event.type for event in intents] == [
        "payment_intent.succeeded",
        "payment_intent.created",
    ]


def test_list_pages_with_cursor(client: stripe.StripeClient) -> None:
    for index in range(5):
        client.v1.customers.create(params={"email": f"c{index}@example.com"})

    first = client.v1.events.list(params={"limit": 2})
    second = client.v1.events.list(
        params={"limit": 2, "starting_after": first.data[-1].id}
    )
    third = client.v1.events.list(
        params={"limit": 2, "starting_after": second.data[-1].id}
    )
    before = client.v1.events.list(
        params={"limit": 2, "ending_before": third.data[0].id}
    )

    emails = [e.data.object["email"] for e in first.data + second.data + third.data]
    assert emails == [f"c{index}@example.com" for index in (4, 3, 2, 1, 0)]
    assert first.has_more is True
    assert third.has_more is False
    assert [e.id for e in before.data] == [e.id for e in second.data]


def test_list_rejects_large_limit(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.list(params={"limit": 101})

    assert raised.value.param == "limit"


def test_auto_paging_iterates_all(client: stripe.StripeClient) -> None:
    for index in range(12):
        client.v1.customers.create(params={"email": f"c{index}@example.com"})

    events = list(client.v1.events.list(params={"limit": 5}).auto_paging_iter())

    assert len(events) == 12
