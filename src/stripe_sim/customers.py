"""Customers: create, retrieve, update, delete, list and search."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from .api import ApiCall, endpoint
from .errors import ResourceMissingError
from .events import emit
from .forms import (
    Params,
    check_known,
    get_map,
    get_metadata,
    get_str,
    get_str_list,
    merge_metadata,
    require_str,
)
from .ids import new_id, now, random_token
from .lists import LIST_PARAMS, filter_created, paginate, search_result
from .search import parse_query
from .store import Store, snapshot

JSON = dict[str, Any]

FIELDS = ("email", "name", "phone", "description", "address", "preferred_locales")
SEARCHABLE = ("email", "name", "phone", "created", "metadata")


def empty_address() -> JSON:
    """Return an address with every field null."""
    keys = ("city", "country", "line1", "line2", "postal_code", "state")
    return dict.fromkeys(keys)


def read_address(params: Params, name: str) -> JSON | None:
    """Return an address parameter with every field present."""
    fields = get_map(params, name)
    if fields is None:
        return None
    address = empty_address()
    for key in address:
        address[key] = get_str(fields, key)
    return address


def build_customer(params: Params) -> JSON:
    """Return a new customer object from create parameters."""
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": read_address(params, "address"),
        "balance": 0,
        "created": now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": get_str(params, "description"),
        "discount": None,
        "email": get_str(params, "email"),
        "invoice_prefix": random_token(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": get_metadata(params) or {},
        "name": get_str(params, "name"),
        "next_invoice_sequence": 1,
        "phone": get_str(params, "phone"),
        "preferred_locales": get_str_list(params, "preferred_locales") or [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
        "customer_account": None,
    }


def create_customer(call: ApiCall) -> JSON:
    """POST /v1/customers"""
    check_known(call.params, (*FIELDS, "metadata"))
    customer = call.store.add(build_customer(call.params))
    emit(call, "customer.created", customer)
    return snapshot(customer)


def retrieve_customer(call: ApiCall) -> JSON:
    """GET /v1/customers/{id}"""
    check_known(call.params, ())
    return snapshot(call.store.get(call.path("id"), "customer"))


def update_customer(call: ApiCall) -> JSON:
    """POST /v1/customers/{id}"""
    check_known(call.params, (*FIELDS, "metadata"))
    customer = live_customer(call.store, call.path("id"))
    previous: JSON = {}
    changes: JSON = {}
    for name in ("email", "name", "phone", "description"):
        if name in call.params:
            changes[name] = get_str(call.params, name)
    if "address" in call.params:
        changes["address"] = read_address(call.params, "address")
    if "preferred_locales" in call.params:
        changes["preferred_locales"] = get_str_list(call.params, "preferred_locales")
    metadata = get_metadata(call.params)
    if metadata is not None:
        changes["metadata"] = merge_metadata(customer["metadata"], metadata)

    for name, value in changes.items():
        if customer[name] != value:
            previous[name] = customer[name]
            customer[name] = value
    if previous:
        emit(call, "customer.updated", customer, previous=previous)
    return snapshot(customer)


def delete_customer(call: ApiCall) -> JSON:
    """DELETE /v1/customers/{id}

    Stripe keeps a deleted customer's id: retrieving it returns `deleted: true`,
    and other calls treat it as missing.
    """
    check_known(call.params, ())
    customer = live_customer(call.store, call.path("id"))
    tombstone = {"id": customer["id"], "object": "customer", "deleted": True}
    call.store.objects[customer["id"]] = tombstone
    emit(call, "customer.deleted", customer)
    return snapshot(tombstone)


def live_customer(store: Store, customer_id: str, param: str | None = None) -> JSON:
    """Return a customer that exists and is not deleted, or raise 404."""
    customer = store.get(customer_id, "customer", param=param)
    if customer.get("deleted"):
        raise ResourceMissingError("customer", customer_id, param=param)
    return customer


def live_customers(store: Store) -> list[JSON]:
    """Return every customer that is not deleted, newest first."""
    return [c for c in store.all("customer") if not c.get("deleted")]


def list_customers(call: ApiCall) -> JSON:
    """GET /v1/customers, optionally filtered by exact `email`."""
    check_known(call.params, ("email", *LIST_PARAMS))
    customers = filter_created(live_customers(call.store), call.params)
    email = get_str(call.params, "email")
    if email is not None:
        # Stripe matches the email case-sensitively in this filter.
        customers = [c for c in customers if c["email"] == email]
    return paginate(customers, call.params, "/v1/customers")


def search_customers(call: ApiCall) -> JSON:
    """GET /v1/customers/search"""
    check_known(call.params, ("query", "limit", "page"))
    matches = parse_query(require_str(call.params, "query"), SEARCHABLE)
    found = [c for c in live_customers(call.store) if matches(c)]
    return search_result("/v1/customers/search", found, call.params)


routes = [
    Route("/v1/customers", endpoint(create_customer), methods=["POST"]),
    Route("/v1/customers", endpoint(list_customers), methods=["GET"]),
    Route("/v1/customers/search", endpoint(search_customers), methods=["GET"]),
    Route("/v1/customers/{id}", endpoint(retrieve_customer), methods=["GET"]),
    Route("/v1/customers/{id}", endpoint(update_customer), methods=["POST"]),
    Route("/v1/customers/{id}", endpoint(delete_customer), methods=["DELETE"]),
]
