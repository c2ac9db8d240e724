"""HTTP hardening: body size limits, CSRF for the page's cookie, headers, rate limits.

The three middlewares are plain ASGI, so they see every request, including
those that never reach a route:

- ``BodySizeLimit`` rejects a body larger than its limit with 413. A declared
  ``Content-Length`` over the limit is rejected before any byte is read. A
  chunked body is counted as it arrives and rejected at the first byte past
  the limit, whatever the route does with the error.
- ``CsrfProtection`` rejects a state-changing request that carries a valid
  session cookie, and no ``Authorization`` header, unless it also carries
  the session's CSRF token in the ``X-CSRF-Token`` header or, for a form
  post, in the ``csrf_token`` field.
- ``SecurityHeaders`` adds the headers every response should have, and a
  restrictive Content-Security-Policy to each response that sets none
  itself (the billing page sets its own, which admits Stripe.js).
"""

import json
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI
from starlette.requests import Request, cookie_parser

from prepay.api.errors import error_body
from prepay.auth.sessions import COOKIE_NAME, CSRF_FORM_FIELD, CSRF_HEADER
from prepay.config import Settings
from prepay.errors import PayloadTooLarge

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WEBHOOK_PATH = "/v1/billing/webhook"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# For responses that set no policy of their own: JSON, errors, redirects.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS = "max-age=31536000; includeSubDomains"


async def _send_error(
    send: Send, status: int, code: str, message: str, **details: Any
) -> None:
    body = json.dumps(error_body(code, message, details)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class _BodyTooLarge(PayloadTooLarge):
    """Raised from ``receive`` when a body passes its limit mid-stream."""


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, max_webhook_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_webhook_bytes = max_webhook_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        webhook = scope["path"] == WEBHOOK_PATH
        limit = self.max_webhook_bytes if webhook else self.max_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, send, limit)
            return
        await self._run_counting(scope, receive, send, limit)

    async def _run_counting(
        self, scope: Scope, receive: Receive, send: Send, limit: int
    ) -> None:
        received = 0
        exceeded = False
        started = False
        replaced = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge(_too_large_message(limit), maxBytes=limit)
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the route made of the error, the caller gets 413,
            # unless the route had already started its response.
            nonlocal started, replaced
            if not exceeded or started:
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif not replaced:
                replaced = True
                await self._reject(scope, send, limit)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            if not replaced and not started:
                replaced = True
                await self._reject(scope, send, limit)

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        log.warning(
            "request body over %d bytes rejected method=%s path=%s",
            limit,
            scope["method"],
            scope["path"],
        )
        await _send_error(
            send, 413, "PAYLOAD_TOO_LARGE", _too_large_message(limit), maxBytes=limit
        )


def _too_large_message(limit: int) -> str:
    return f"the request body is larger than {limit} bytes; send at most {limit}"


class CsrfProtection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._needs_check(scope):
            await self.app(scope, receive, send)
            return
        signer = scope["app"].state.services.signer
        cookie = _session_cookie(scope)
        if cookie is None or signer.load(cookie) is None:
            # No valid session, so no cookie-borne authority to abuse; the
            # route authenticates the request on its own.
            await self.app(scope, receive, send)
            return
        token = _header(scope, CSRF_HEADER.lower().encode())
        if token is None and _is_form(scope):
            body = await _read_body(receive)
            token = _form_field(body, CSRF_FORM_FIELD)
            receive = _replay(body)
        if not signer.check_csrf(cookie, token):
            log.warning(
                "csrf token %s method=%s path=%s",
                "missing" if token is None else "invalid",
                scope["method"],
                scope["path"],
            )
            await _send_error(
                send,
                403,
                "PERMISSION_DENIED",
                f"missing or invalid CSRF token: send the page's csrf-token in "
                f"the {CSRF_HEADER} header, or reload the page and try again",
            )
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _needs_check(scope: Scope) -> bool:
        # A blank Authorization header authenticates nothing: the route
        # falls back to the cookie, so the check must not be skipped.
        authorization = (_header(scope, b"authorization") or "").strip()
        return (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and not authorization
        )


def _session_cookie(scope: Scope) -> str | None:
    # Parsed as Starlette parses it for the routes. http.cookies gives up on
    # the whole header at one malformed cookie, which would hide the session
    # from this check but not from the route.
    return cookie_parser(_header(scope, b"cookie") or "").get(COOKIE_NAME)


def _is_form(scope: Scope) -> bool:
    content_type = _header(scope, b"content-type") or ""
    return content_type.split(";")[0].strip() == "application/x-www-form-urlencoded"


async def _read_body(receive: Receive) -> bytes:
    # BodySizeLimit, outside this middleware, bounds what this can read.
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _form_field(body: bytes, name: str) -> str | None:
    values = parse_qs(body.decode("latin-1"), max_num_fields=100).get(name)
    return values[0] if values else None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class SecurityHeaders:
    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _value in headers}
                for key, value in self._defaults(api):
                    if key not in present:
                        headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _defaults(self, api: bool) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", DEFAULT_CSP.encode()),
        ]
        if api:
            # Balances, ledger entries and client secrets are never cached.
            headers.append((b"cache-control", b"no-store"))
        if self.production:
            headers.append((b"strict-transport-security", HSTS.encode()))
        return headers


def csrf_token_for(request: Request) -> str:
    """Return the CSRF token of the request's session, or "" when signed out."""
    cookie = request.cookies.get(COOKIE_NAME)
    signer = request.app.state.services.signer
    if not cookie or signer.load(cookie) is None:
        return ""
    token: str = signer.csrf_token(cookie)
    return token


class RateLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds, in this process.

    NOTE: each replica counts on its own, so behind a load balancer that
    spreads one account's requests over N replicas the account gets up to
    N times ``limit``. The pending top-up bound in ``payments`` is kept in
    the database, so it applies across replicas.
    """

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count a hit; return the seconds to wait when over the limit, else None."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            self._hits[key] = hits
            if len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None


class RejectNulInUrl:
    """Reject a path or query with a NUL byte with 400, before a route passes it
    to PostgreSQL, which can neither store nor compare such a string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = bytes(scope.get("query_string", b"")).lower()
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in query or b"\x00" in query
        ):
            await _send_error(
                send,
                400,
                "INVALID_ARGUMENT",
                "url: must not contain NUL characters (%00)",
            )
            return
        await self.app(scope, receive, send)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the middlewares, outermost last: headers wrap even a 413 or 403."""
    app.add_middleware(CsrfProtection)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_webhook_bytes=settings.max_webhook_body_bytes,
    )
    app.add_middleware(RejectNulInUrl)
    app.add_middleware(SecurityHeaders, production=settings.is_production)
