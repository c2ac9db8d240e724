"""Customers: create, retrieve, update, delete, list and search by email."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_sim.helpers import event_types


def test_create_and_retrieve(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create(
        params={
            "email": "ada@example.com",
            "name": "Ada",
            "metadata": {"account_id": "acct-1"},
        }
    )

    found = client.v1.customers.retrieve(created.id)

    assert found.id.startswith("cus_")
    assert found.email == "ada@example.com"
    assert found.name == "Ada"
    assert found.metadata["account_id"] == "acct-1"
    assert event_types(client) == ["customer.created"]


def test_update_sends_previous_attributes(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "old@example.com"})

    updated = client.v1.customers.update(
        customer.id, params={"email": "new@example.com"}
    )

    assert updated.email == "new@example.com"
    event = client.v1.events.list(params={"type": "customer.updated"}).data[0]
    assert event.data.previous_attributes["email"] == "old@example.com"


def test_delete_leaves_tombstone(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()

    client.v1.customers.delete(customer.id)

    assert client.v1.customers.retrieve(customer.id).to_dict()["deleted"] is True
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "usd", "customer": customer.id}
        )
    assert raised.value.code == "resource_missing"


def test_list_by_email(client: stripe.StripeClient) -> None:
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    client.v1.customers.create(params={"email": "bob@example.com"})

    found = client.v1.customers.list(params={"email": "ada@example.com"})

    assert [item.id for item in found.data] == [ada.id]


def test_search_by_email_and_metadata(client: stripe.StripeClient) -> None:
    ada = client.v1.customers.create(
        params={"email": "ada@example.com", "metadata": {"account_id": "7"}}
    )
    client.v1.customers.create(params={"email": "bob@example.com"})

    by_email = client.v1.customers.search(params={"query": "email:'ada@example.com'"})
    by_metadata = client.v1.customers.search(
        params={"query": "metadata['account_id']:'7'"}
    )

    assert [item.id for item in by_email.data] == [ada.id]
    assert [item.id for item in by_metadata.data] == [ada.id]


def test_search_rejects_unsupported_syntax(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="Invalid search query"):
        client.v1.customers.search(params={"query": "email~'ada'"})


def test_search_pages(client: stripe.StripeClient) -> None:
    for index in range(3):
        client.v1.customers.create(params={"email": f"c{index}@example.com"})

    first = client.v1.customers.search(params={"query": "-email:'x'", "limit": 2})
    second = client.v1.customers.search(
        params={"query": "-email:'x'", "limit": 2, "page": first.next_page}
    )

    assert len(first.data) == 2
    assert first.has_more is True
    assert len(second.data) == 1
    assert second.has_more is False
