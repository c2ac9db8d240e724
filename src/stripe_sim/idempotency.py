"""Idempotency keys, saved and replayed the way Stripe's v1 API does.

Stripe saves the status and body of the first POST made with a key once the
endpoint has started to execute, and replays them, errors included, for a
retry with the same parameters. A retry with other parameters, or on another
path, fails with `idempotency_error`. Requests that fail validation or
authentication are not saved, so a corrected retry may reuse the key. Keys
expire after 24 hours. Source: https://docs.stripe.com/api/idempotent_requests
"""

from __future__ import annotations

import time
from typing import Any

from .errors import IdempotencyConflictError, IdempotencyError, InvalidRequestError
from .store import IdempotencyRecord, Store

KEY_LIFETIME_SECONDS = 24 * 60 * 60
MAX_KEY_LENGTH = 255

# Statuses that mean the endpoint ran: success, a declined card, or a failure
# inside the endpoint. 400, 401, 404 and 409 are validation failures.
SAVED_STATUSES = frozenset({200, 402}) | frozenset(range(500, 600))


def begin(
    store: Store, key: str, method: str, path: str, params: Any
) -> IdempotencyRecord | None:
    """Register the first use of `key`, or return the saved response of a retry.

    Raise `idempotency_error` when the key was used with other parameters, and
    a 409 error while its first request is still running.
    """
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidRequestError(
            f"Idempotency keys can be at most {MAX_KEY_LENGTH} characters long, "
            f"got {len(key)}.",
            param="Idempotency-Key",
        )
    with store.locked():
        _prune(store)
        record = store.idempotency.get(key)
        if record is None:
            store.idempotency[key] = IdempotencyRecord(
                method, path, params, created=time.time()
            )
            return None
        if (record.method, record.path, record.params) != (method, path, params):
            raise IdempotencyError(
                "Keys for idempotent requests can only be used with the same "
                "parameters they were first used with. Try using a key other than "
                f"'{key}' if you meant to execute a different request."
            )
        if record.in_flight:
            raise IdempotencyConflictError(
                "There is currently another in-progress request using this "
                f"Idempotency-Key '{key}'. Retry after it completes.",
                code="idempotency_key_in_use",
            )
        return record


def finish(store: Store, key: str, status: int, body: bytes) -> None:
    """Save the response of the first request made with `key`, if Stripe would."""
    with store.locked():
        record = store.idempotency.get(key)
        if record is None or not record.in_flight:
            return
        if status in SAVED_STATUSES:
            record.status = status
            record.body = body
        else:
            del store.idempotency[key]


def _prune(store: Store) -> None:
    cutoff = time.time() - KEY_LIFETIME_SECONDS
    expired = [k for k, r in store.idempotency.items() if r.created < cutoff]
    for key in expired:
        del store.idempotency[key]
