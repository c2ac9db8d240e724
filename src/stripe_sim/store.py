"""In-memory state of the simulator, behind one lock.

Objects are stored as the JSON maps that the API returns, keyed by id, so that
a response is a copy of the stored map. Facts that Stripe keeps but never
returns, such as a PaymentMethod's full card number or a PaymentIntent's
`return_url`, are kept in `private`, keyed by the same id.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import ResourceMissingError

JSON = dict[str, Any]

# Object kinds by id prefix, for error messages and `expand`.
KINDS_BY_PREFIX = {
    "ch": "charge",
    "cus": "customer",
    "dp": "dispute",
    "du": "dispute",
    "evt": "event",
    "pi": "payment_intent",
    "pm": "payment_method",
    "re": "refund",
    "we": "webhook_endpoint",
}


@dataclass
class IdempotencyRecord:
    """The first request made with an idempotency key, and its saved response."""

    method: str
    path: str
    params: Any
    created: float
    status: int | None = None
    body: bytes | None = None

    @property
    def in_flight(self) -> bool:
        """Whether the first request is still running."""
        return self.status is None


@dataclass
class Store:
    """All objects, events and idempotency keys of one simulator instance."""

    objects: dict[str, JSON] = field(default_factory=dict)
    private: dict[str, JSON] = field(default_factory=dict)
    events: list[JSON] = field(default_factory=list)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Hold the store's lock for a block of reads and writes."""
        with self.lock:
            yield self

    def reset(self, keep_ids: Collection[str] = ()) -> None:
        """Forget all state, except the objects whose ids are in `keep_ids`."""
        with self.lock:
            self.objects = {k: v for k, v in self.objects.items() if k in keep_ids}
            self.private = {k: v for k, v in self.private.items() if k in keep_ids}
            self.events = []
            self.idempotency = {}

    def add(self, obj: JSON, private: JSON | None = None) -> JSON:
        """Store a new object and return it."""
        self.objects[obj["id"]] = obj
        self.private[obj["id"]] = dict(private or {})
        return obj

    def get(self, object_id: str, kind: str, *, param: str | None = None) -> JSON:
        """Return the stored object with this id and `object` kind, or raise 404."""
        obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind:
            raise ResourceMissingError(kind, object_id, param=param)
        return obj

    def find(self, object_id: str) -> JSON | None:
        """Return the stored object with this id, of any kind."""
        return self.objects.get(object_id)

    def all(self, kind: str) -> list[JSON]:
        """Return every object of a kind, newest first."""
        found = [obj for obj in self.objects.values() if obj.get("object") == kind]
        return list(reversed(found))

    def secret(self, object_id: str) -> JSON:
        """Return the private facts kept for an object."""
        return self.private.setdefault(object_id, {})


def snapshot(obj: JSON) -> JSON:
    """Return a deep copy of a stored object, for a response or an event."""
    return copy.deepcopy(obj)
