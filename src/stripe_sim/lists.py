"""List objects with cursor pagination, and `expand` of ids into objects."""

from __future__ import annotations

from typing import Any

from .errors import InvalidRequestError, ResourceMissingError
from .forms import Params, get_int, get_str, get_str_list
from .store import KINDS_BY_PREFIX, Store, snapshot

JSON = dict[str, Any]

MAX_EXPAND_DEPTH = 4

# Parameters of every list endpoint.
LIST_PARAMS = ("limit", "starting_after", "ending_before", "created")


def list_object(url: str, data: list[JSON], has_more: bool) -> JSON:
    """Return a Stripe list object."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def paginate(items: list[JSON], params: Params, url: str) -> JSON:
    """Return one page of `items`, which are sorted newest first.

    `limit` is 1 to 100 (default 10). `starting_after` returns the objects after
    the given id, and `ending_before` the objects just before it, as in Stripe.
    """
    limit = get_int(params, "limit", minimum=1)
    if limit is None:
        limit = 10
    if limit > 100:
        raise InvalidRequestError(
            "This value must be less than or equal to 100.", param="limit"
        )
    after = get_str(params, "starting_after")
    before = get_str(params, "ending_before")

    ids = [item["id"] for item in items]
    if after is not None:
        start = _position(ids, after, "starting_after") + 1
        page = items[start : start + limit]
        has_more = start + limit < len(items)
    elif before is not None:
        end = _position(ids, before, "ending_before")
        page = items[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = items[:limit]
        has_more = len(items) > limit
    return list_object(url, [snapshot(item) for item in page], has_more)


def _position(ids: list[str], object_id: str, param: str) -> int:
    try:
        return ids.index(object_id)
    except ValueError:
        kind = KINDS_BY_PREFIX.get(object_id.split("_", 1)[0], "object")
        raise ResourceMissingError(kind, object_id, param=param) from None


def expand(store: Store, result: JSON, params: Params) -> JSON:
    """Replace the ids named by `expand[]` with copies of the objects they name.

    Paths use dots, as `latest_charge.payment_intent`. On a list, paths start
    with `data.` and apply to every item. Ids of objects the simulator does
    not keep, such as balance transactions, stay ids.
    """
    paths = get_str_list(params, "expand") or []
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_EXPAND_DEPTH:
            raise InvalidRequestError(
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a "
                f"property. Property: {path}",
                param="expand",
            )
        _expand_path(store, result, parts, path)
    return result


def _expand_path(store: Store, node: JSON, parts: list[str], path: str) -> None:
    if node.get("object") == "list" and parts[0] == "data":
        for item in node["data"]:
            _expand_path(store, item, parts[1:], path)
        return
    if not parts:
        return
    name = parts[0]
    if name not in node:
        raise InvalidRequestError(
            f"This property cannot be expanded ({path}).", param="expand"
        )
    value = node[name]
    if isinstance(value, str):
        found = store.find(value)
        if found is None:
            return
        value = snapshot(found)
        node[name] = value
    if isinstance(value, dict) and len(parts) > 1:
        _expand_path(store, value, parts[1:], path)


def search_result(url: str, matches: list[JSON], params: Params) -> JSON:
    """Return one page of search matches as a Stripe search result object.

    `page` is the `next_page` token of the previous result. The simulator's
    tokens are offsets into the matches, which Stripe's opaque tokens are not.
    """
    limit = get_int(params, "limit", minimum=1) or 10
    if limit > 100:
        raise InvalidRequestError(
            "This value must be less than or equal to 100.", param="limit"
        )
    token = get_str(params, "page")
    offset = 0
    if token is not None:
        if not token.startswith("page_") or not token[5:].isdigit():
            raise InvalidRequestError(f"Invalid page token: {token}", param="page")
        offset = int(token[5:])
    page = matches[offset : offset + limit]
    has_more = offset + limit < len(matches)
    return {
        "object": "search_result",
        "data": [snapshot(item) for item in page],
        "has_more": has_more,
        "next_page": f"page_{offset + limit}" if has_more else None,
        "url": url,
    }


def filter_created(items: list[JSON], params: Params) -> list[JSON]:
    """Keep the objects whose `created` matches `created` or `created[gte]` etc."""
    value = params.get("created")
    if value is None:
        return items
    if isinstance(value, str):
        exact = get_int(params, "created")
        return [item for item in items if item["created"] == exact]
    if not isinstance(value, dict):
        raise InvalidRequestError("Invalid created: must be an integer or a map")

    bounds = {name: get_int(value, name) for name in ("gt", "gte", "lt", "lte")}
    unknown = set(value) - set(bounds)
    if unknown:
        raise InvalidRequestError(
            f"Invalid created: unknown key {sorted(unknown)[0]}", param="created"
        )

    def keep(item: JSON) -> bool:
        created = item["created"]
        checks = [
            bounds["gt"] is None or created > bounds["gt"],
            bounds["gte"] is None or created >= bounds["gte"],
            bounds["lt"] is None or created < bounds["lt"],
            bounds["lte"] is None or created <= bounds["lte"],
        ]
        return all(checks)

    return [item for item in items if keep(item)]
