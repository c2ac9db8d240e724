"""Stripe's bracket form encoding, as the SDK and Stripe.js send it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from stripe_sim.errors import InvalidRequestError
from stripe_sim.forms import get_list, merge_metadata, parse_form


def test_nested_maps() -> None:
    params = parse_form("metadata[account_id]=7&metadata[email]=a%40example.com")

    assert params == {"metadata": {"account_id": "7", "email": "a@example.com"}}


def test_appended_and_indexed_lists() -> None:
    appended = parse_form("expand[]=customer&expand[]=latest_charge")
    indexed = parse_form("expand[0]=customer&expand[1]=latest_charge")

    assert get_list(appended, "expand") == ["customer", "latest_charge"]
    assert get_list(indexed, "expand") == ["customer", "latest_charge"]


def test_list_of_maps() -> None:
    params = parse_form("items[][price]=p1&items[][price]=p2")

    assert params == {"items": [{"price": "p1"}, {"price": "p2"}]}


def test_numeric_metadata_key_stays_map() -> None:
    params = parse_form("metadata[1]=one")

    assert params == {"metadata": {"1": "one"}}


def test_deep_nesting() -> None:
    params = parse_form(
        "payment_method_data[card][number]=4242&payment_method_data[type]=card"
    )

    assert params["payment_method_data"] == {"card": {"number": "4242"}, "type": "card"}


def test_value_and_map_conflict_rejected() -> None:
    with pytest.raises(InvalidRequestError):
        parse_form("metadata=x&metadata[a]=b")


def test_malformed_key_rejected() -> None:
    with pytest.raises(InvalidRequestError):
        parse_form("a[b=c")


def test_merge_metadata_removes_empty() -> None:
    merged = merge_metadata({"a": "1", "b": "2"}, {"a": "", "c": "3"})

    assert merged == {"b": "2", "c": "3"}
    assert merge_metadata({"a": "1"}, {}) == {}


keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
leaves = st.text(max_size=12)
values = st.recursive(
    leaves,
    lambda children: st.dictionaries(keys, children, min_size=1, max_size=3),
    max_leaves=8,
)


# Generation can be slow on a loaded machine, which is no fault of the
# parser under test.
tolerant = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@tolerant
@given(st.dictionaries(keys, values, max_size=4))
def test_sdk_encoding_round_trips(params: dict[str, object]) -> None:
    encoded = urlencode(list(_api_encode(params)))

    assert parse_form(encoded) == params


@tolerant
@given(st.lists(leaves, min_size=1, max_size=5))
def test_sdk_list_encoding_round_trips(items: list[str]) -> None:
    encoded = urlencode(list(_api_encode({"expand": items})))

    assert get_list(parse_form(encoded), "expand") == items
