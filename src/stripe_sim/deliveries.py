"""Webhook deliveries: signed POSTs to every endpoint, retried until a 2xx.

Each endpoint has its own queue, worked in order, so the first attempts of a
batch of events arrive in the order the events were created, and a slow or
failing endpoint does not delay the others. A failed attempt (a non-2xx status,
a timeout or a connection error) is retried after `retry_base_seconds`,
doubled for each further attempt, up to `max_delivery_attempts`. Retries go to
the back of the queue, so they may overtake nothing but arrive after later
events, as Stripe's retries do.

Three switches serve tests of out-of-order and repeated deliveries: `duplicate`
sends every event twice, `reverse` sends each batch in reverse order, and
`hold` keeps events back until `release()`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from .events import endpoints_for
from .settings import Settings
from .signing import signature_header
from .store import Store

JSON = dict[str, Any]

logger = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
MAX_LOGGED_ATTEMPTS = 10_000


@dataclass(frozen=True)
class Delivery:
    """One attempt to send an event to an endpoint."""

    event_id: str
    endpoint_id: str
    attempt: int = 1


@dataclass
class DeliveryMode:
    """The switches that change how events are delivered."""

    duplicate: bool = False
    reverse: bool = False
    hold: bool = False


@dataclass(frozen=True)
class AttemptRecord:
    """The outcome of one delivery attempt, as `GET /_sim/deliveries` lists it."""

    event_id: str
    event_type: str
    endpoint_id: str
    attempt: int
    status: int | None
    error: str | None
    delivered: bool
    next_retry_seconds: float | None
    at: float


@dataclass
class Deliverer:
    """Sends events to webhook endpoints from the server's event loop."""

    settings: Settings
    store: Store
    mode: DeliveryMode = field(default_factory=DeliveryMode)
    held: list[JSON] = field(default_factory=list)
    attempts: deque[AttemptRecord] = field(
        default_factory=lambda: deque(maxlen=MAX_LOGGED_ATTEMPTS)
    )
    _delivered: set[tuple[str, str]] = field(default_factory=set)
    _queues: dict[str, asyncio.Queue[Delivery]] = field(default_factory=dict)
    _workers: list[asyncio.Task[None]] = field(default_factory=list)
    _timers: set[asyncio.TimerHandle] = field(default_factory=set)
    _waiting: list[Delivery] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _loop_thread: int | None = None
    _client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Start delivering from the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._client = httpx.AsyncClient(
            timeout=self.settings.delivery_timeout_seconds,
            trust_env=False,
            follow_redirects=False,
        )
        waiting, self._waiting = self._waiting, []
        for delivery in waiting:
            self._enqueue(delivery)

    async def stop(self) -> None:
        """Cancel pending deliveries and close connections."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._loop = None

    def reset(self) -> None:
        """Forget held events, scheduled retries, the attempt log and the switches."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.mode = DeliveryMode()
        self.held.clear()
        self.attempts.clear()
        self._delivered.clear()

    def submit(self, events: list[JSON]) -> None:
        """Deliver a batch of events created by one request, or hold them."""
        if self.mode.hold:
            self.held.extend(events)
            logger.info("delivery held events=%s", ",".join(e["id"] for e in events))
            return
        batch = list(reversed(events)) if self.mode.reverse else list(events)
        for event in batch:
            self.send(event)

    def release(self, reverse: bool = False) -> list[str]:
        """Stop holding and deliver the held events; return their ids in send order."""
        held, self.held = self.held, []
        self.mode.hold = False
        if reverse or self.mode.reverse:
            held.reverse()
        for event in held:
            self.send(event)
        return [event["id"] for event in held]

    def send(self, event: JSON, endpoint_ids: list[str] | None = None) -> int:
        """Queue an event for every subscribed endpoint; return how many endpoints."""
        with self.store.locked():
            endpoints = endpoints_for(self.store, event["type"])
        targets = [
            e["id"] for e in endpoints if not endpoint_ids or e["id"] in endpoint_ids
        ]
        copies = 2 if self.mode.duplicate else 1
        for endpoint_id in targets:
            for _ in range(copies):
                self._call_in_loop(self._enqueue, Delivery(event["id"], endpoint_id))
        return len(targets)

    def status(self) -> JSON:
        """Return the switches, held events and attempt log."""
        queued = sum(queue.qsize() for queue in self._queues.values())
        return {
            "object": "simulator.deliveries",
            "mode": asdict(self.mode),
            "held": [event["id"] for event in self.held],
            "queued": queued,
            "retries_scheduled": len(self._timers),
            "attempts": [asdict(record) for record in self.attempts],
        }

    def _call_in_loop(self, function: Any, *args: Any) -> None:
        if self._loop is None:
            self._waiting.append(args[0])
        elif threading.get_ident() == self._loop_thread:
            function(*args)
        else:
            self._loop.call_soon_threadsafe(function, *args)

    def _enqueue(self, delivery: Delivery) -> None:
        queue = self._queues.get(delivery.endpoint_id)
        if queue is None:
            queue = asyncio.Queue()
            self._queues[delivery.endpoint_id] = queue
            self._workers.append(asyncio.ensure_future(self._work(queue)))
        queue.put_nowait(delivery)

    async def _work(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            try:
                await self._attempt(delivery)
            except Exception:
                logger.exception(
                    "delivery failed unexpectedly event=%s endpoint=%s",
                    delivery.event_id,
                    delivery.endpoint_id,
                )
            finally:
                queue.task_done()

    async def _attempt(self, delivery: Delivery) -> None:
        with self.store.locked():
            event = self.store.find(delivery.event_id)
            endpoint = self.store.find(delivery.endpoint_id)
            if event is None or endpoint is None or endpoint["status"] != "enabled":
                return
            payload = self.store.secret(event["id"])["payload"]
            url = endpoint["url"]
            secret = self.store.secret(endpoint["id"])["secret"]

        status, error = await self._post(url, payload, secret)
        delivered = status is not None and 200 <= status < 300
        retry_in = None if delivered else self._schedule_retry(delivery)
        if delivered:
            self._mark_delivered(delivery)
        self._record(delivery, event["type"], status, error, delivered, retry_in)

    async def _post(
        self, url: str, payload: str, secret: str
    ) -> tuple[int | None, str | None]:
        assert self._client is not None
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(payload, secret),
            "User-Agent": USER_AGENT,
        }
        try:
            response = await self._client.post(url, content=payload, headers=headers)
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"
        return response.status_code, None

    def _schedule_retry(self, delivery: Delivery) -> float | None:
        if delivery.attempt >= self.settings.max_delivery_attempts:
            return None
        assert self._loop is not None
        delay = self.settings.retry_base_seconds * float(2 ** (delivery.attempt - 1))
        retry = Delivery(delivery.event_id, delivery.endpoint_id, delivery.attempt + 1)

        def fire() -> None:
            self._timers.discard(timer)
            self._enqueue(retry)

        timer = self._loop.call_later(delay, fire)
        self._timers.add(timer)
        return delay

    def _mark_delivered(self, delivery: Delivery) -> None:
        key = (delivery.event_id, delivery.endpoint_id)
        if key in self._delivered:
            return
        self._delivered.add(key)
        with self.store.locked():
            event = self.store.find(delivery.event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1

    def _record(
        self,
        delivery: Delivery,
        event_type: str,
        status: int | None,
        error: str | None,
        delivered: bool,
        retry_in: float | None,
    ) -> None:
        record = AttemptRecord(
            delivery.event_id,
            event_type,
            delivery.endpoint_id,
            delivery.attempt,
            status,
            error,
            delivered,
            retry_in,
            time.time(),
        )
        self.attempts.append(record)
        outcome = "delivered" if delivered else "failed"
        if not delivered and retry_in is None:
            outcome = "abandoned"
        logger.info(
            "delivery %s event=%s type=%s endpoint=%s attempt=%d status=%s "
            "error=%s retry_in=%s",
            outcome,
            delivery.event_id,
            event_type,
            delivery.endpoint_id,
            delivery.attempt,
            status if status is not None else "-",
            error or "-",
            f"{retry_in}s" if retry_in is not None else "-",
        )
