"""Parameters in Stripe's form encoding, with bracket nesting.

Stripe reads `application/x-www-form-urlencoded` bodies and query strings whose
keys nest with brackets: `metadata[account_id]=7` is a map, `expand[]=customer`
appends to a list, and the official SDKs send lists with indices,
`expand[0]=customer`. The parser keeps indices as map keys, and `get_list`
turns such a map back into a list, so that a metadata key that happens to be a
number stays a map key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from .errors import InvalidRequestError, missing_param, unknown_param

Params = dict[str, Any]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

# Parameters that every endpoint accepts: `expand` as in Stripe, and `key` with
# `_stripe_version` that Stripe.js may send in the body of browser calls.
COMMON_PARAMS = frozenset({"expand", "key", "_stripe_version", "_stripe_account"})


def parse_form(text: str) -> Params:
    """Parse a form-encoded string into nested maps and lists."""
    params: Params = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        _insert(params, key, value)
    return params


def _insert(params: Params, key: str, value: str) -> None:
    match = _KEY.match(key)
    if match is None:
        raise InvalidRequestError(f"Invalid parameter name: {key}", param=key)
    path = [match.group(1), *_SEGMENT.findall(match.group(2))]

    node: Any = params
    for depth, segment in enumerate(path):
        last = depth == len(path) - 1
        next_is_append = not last and path[depth + 1] == ""
        if segment == "":
            if not isinstance(node, list):
                raise InvalidRequestError(f"Invalid array parameter: {key}", param=key)
            if last:
                node.append(value)
                return
            node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            raise InvalidRequestError(
                f"Invalid parameter {key}: mixes a value and nested keys", param=key
            )
        if last:
            node[segment] = value
            return
        default: Any = [] if next_is_append else {}
        node = node.setdefault(segment, default)


def check_known(params: Params, allowed: Iterable[str]) -> None:
    """Raise `parameter_unknown` for a top-level parameter that the endpoint
    does not take."""
    known = COMMON_PARAMS.union(allowed)
    for name in params:
        if name not in known:
            raise unknown_param(name)


def get_str(params: Params, name: str, *, required: bool = False) -> str | None:
    """Return a string parameter, or None when it is absent or empty."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing_param(name)
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"Invalid string: {name} must be a string, not a map or list", param=name
        )
    return value


def require_str(params: Params, name: str) -> str:
    """Return a required string parameter."""
    value = get_str(params, name, required=True)
    assert value is not None
    return value


def get_int(params: Params, name: str, *, minimum: int | None = None) -> int | None:
    """Return an integer parameter, or None when it is absent."""
    text = get_str(params, name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise InvalidRequestError(
            f"Invalid integer: {text}", code="parameter_invalid_integer", param=name
        ) from None
    if minimum is not None and value < minimum:
        raise InvalidRequestError(
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=name,
        )
    return value


def get_bool(params: Params, name: str, default: bool = False) -> bool:
    """Return a boolean parameter, which Stripe writes as `true` or `false`."""
    text = get_str(params, name)
    if text is None:
        return default
    if text in ("true", "false"):
        return text == "true"
    raise InvalidRequestError(f"Invalid boolean: {text}", param=name)


def get_choice(
    params: Params, name: str, choices: Iterable[str], default: str | None = None
) -> str | None:
    """Return a parameter that must be one of `choices`."""
    value = get_str(params, name)
    if value is None:
        return default
    allowed = list(choices)
    if value not in allowed:
        raise InvalidRequestError(
            f"Invalid {name}: must be one of {', '.join(allowed)}", param=name
        )
    return value


def get_map(params: Params, name: str) -> Params | None:
    """Return a nested map parameter such as `metadata`, or None when absent.

    An empty string, which Stripe accepts to clear a map, gives an empty map.
    """
    value = params.get(name)
    if value is None:
        return None
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise InvalidRequestError(
            f"Invalid object: {name} must be a map of keys to values", param=name
        )
    return value


def get_list(params: Params, name: str) -> list[Any] | None:
    """Return a list parameter sent as `name[]=...` or `name[0]=...`."""
    value = params.get(name)
    if value is None:
        return None
    if value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    raise InvalidRequestError(f"Invalid array: {name} must be a list", param=name)


def get_str_list(params: Params, name: str) -> list[str] | None:
    """Return a list parameter whose items are strings."""
    items = get_list(params, name)
    if items is None:
        return None
    if not all(isinstance(item, str) for item in items):
        raise InvalidRequestError(
            f"Invalid array: {name} must be a list of strings", param=name
        )
    return items


def get_metadata(params: Params) -> dict[str, str] | None:
    """Return `metadata` as a map of strings, or None when absent."""
    metadata = get_map(params, "metadata")
    if metadata is None:
        return None
    if len(metadata) > 50:
        raise InvalidRequestError(
            f"Invalid metadata: at most 50 keys are allowed, got {len(metadata)}",
            param="metadata",
        )
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise InvalidRequestError(
                f"Invalid metadata[{key}]: metadata values must be strings",
                param=f"metadata[{key}]",
            )
        if len(key) > 40:
            raise InvalidRequestError(
                f"Metadata keys can be at most 40 characters long: {key}",
                param=f"metadata[{key}]",
            )
        if len(value) > 500:
            raise InvalidRequestError(
                f"Metadata values can be at most 500 characters long: {key}",
                param=f"metadata[{key}]",
            )
    return metadata


def merge_metadata(current: dict[str, str], update: dict[str, str]) -> dict[str, str]:
    """Apply a metadata update the way Stripe does: an empty value removes the key."""
    if not update:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
