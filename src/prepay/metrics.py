"""Prometheus metrics: HTTP traffic, debit and top-up outcomes, webhook events.

Counters and histograms live in this process and are shared by every app in
it. Each app gets its own registry, which adds the process collector and the
ledger check, because that check reads the app's own database. The check
counts accounts whose balance differs from their ledger. It runs at scrape
time, and at most once per ``LEDGER_CHECK_INTERVAL_SECONDS`` because it sums
every ledger entry.

NOTE: the counters are per process. ``prepay serve`` runs one process; under
several uvicorn workers each worker answers /metrics with its own counts.
"""

import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import transaction
from prepay.errors import AccountRestricted, PrepayError
from prepay.ledger.reconcile import count_mismatches
from prepay.money import MoneyError

log = logging.getLogger(__name__)

LEDGER_CHECK_INTERVAL_SECONDS = 60.0
# Seconds; from 1 ms, below a debit on a warm connection, to 10 s.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "prepay_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=None,
)
HTTP_LATENCY = Histogram(
    "prepay_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, in seconds.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=None,
)
DEBITS = Counter(
    "prepay_debits",
    "Debit requests by outcome: completed, replayed, or the error code.",
    ["outcome"],
    registry=None,
)
TOPUPS = Counter(
    "prepay_topups",
    "Top-up requests by outcome: created, declined, or the error code.",
    ["outcome"],
    registry=None,
)
WEBHOOK_EVENTS = Counter(
    "prepay_webhook_events",
    "Stripe webhook deliveries by event type and the status they ended in.",
    ["type", "status"],
    registry=None,
)
_SHARED = (HTTP_REQUESTS, HTTP_LATENCY, DEBITS, TOPUPS, WEBHOOK_EVENTS)


def outcome_of(error: BaseException) -> str:
    """Name a failed request's outcome: its error code in lower case."""
    if isinstance(error, AccountRestricted):
        return "account_restricted"
    if isinstance(error, MoneyError):
        return "invalid_argument"
    if isinstance(error, PrepayError):
        return error.code.lower()
    return "internal"


@dataclass
class OutcomeLabel:
    """The outcome a ``counting`` block records when it ends without an error."""

    name: str


@contextmanager
def counting(counter: Counter, success: str = "completed") -> Iterator[OutcomeLabel]:
    """Count one request by outcome: ``success``, what the block sets, or its error."""
    label = OutcomeLabel(success)
    try:
        yield label
    except BaseException as error:
        counter.labels(outcome_of(error)).inc()
        raise
    counter.labels(label.name).inc()


def count_webhook(event_type: str, status: str, duplicate: bool = False) -> None:
    """Count one webhook delivery by event type and the status it ended in."""
    WEBHOOK_EVENTS.labels(
        event_type, "duplicate" if duplicate else status.lower()
    ).inc()


class LedgerCheckCollector(Collector):
    """The gauge of accounts whose balance differs from the sum of their ledger."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        interval_seconds: float = LEDGER_CHECK_INTERVAL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._interval = interval_seconds
        self._lock = threading.Lock()
        self._value: int | None = None
        self._checked_at = 0.0
        self._checked_monotonic = float("-inf")

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if time.monotonic() - self._checked_monotonic >= self._interval:
                self._check()
            value, checked_at = self._value, self._checked_at
        if value is None:
            return
        yield GaugeMetricFamily(
            "prepay_ledger_mismatched_accounts",
            "Accounts whose balance differs from the sum of their COMPLETED "
            "ledger entries; 'prepay reconcile' lists them.",
            value=value,
        )
        yield GaugeMetricFamily(
            "prepay_ledger_checked_timestamp_seconds",
            "Unix time of the last ledger check behind "
            "prepay_ledger_mismatched_accounts.",
            value=checked_at,
        )

    def _check(self) -> None:
        self._checked_monotonic = time.monotonic()
        try:
            with transaction(self._sessions) as session:
                self._value = count_mismatches(session)
        except SQLAlchemyError:
            # The scrape still returns the other metrics; the stale or missing
            # gauge and its timestamp show that the check failed.
            log.exception("ledger check for /metrics failed")
            return
        self._checked_at = time.time()


def build_registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """Create one app's registry: the shared metrics, process and ledger check."""
    # Without auto_describe, registering does not run the ledger check.
    registry = CollectorRegistry(auto_describe=False)
    for metric in _SHARED:
        registry.register(metric)
    ProcessCollector(registry=registry)
    registry.register(LedgerCheckCollector(sessions))
    return registry


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class MetricsMiddleware:
    """Count and time every HTTP request by method, route template and status.

    The route template, such as "/v1/billing/transactions/{transaction_id}",
    keeps the label set small. A request that matches no route is counted as
    "unmatched".
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)
