"""Helpers for tests: run the simulator, or a webhook receiver, on a free port.

Both run as a real uvicorn server in a background thread on 127.0.0.1, so
tests talk to them over HTTP exactly as the service and the SDK do:

    with running_simulator(Settings(webhook_secret="whsec_test")) as sim:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": sim.url})

The pytest fixtures built on these live in `stripe_sim.pytest_plugin`.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .api import Simulator
from .app import create_app
from .settings import Settings

STARTUP_TIMEOUT_SECONDS = 10.0


@dataclass
class RunningServer:
    """A uvicorn server running in a background thread."""

    url: str
    server: uvicorn.Server = field(repr=False)
    thread: threading.Thread = field(repr=False)
    sock: socket.socket = field(repr=False)

    def stop(self) -> None:
        """Shut the server down and wait for its thread to end."""
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        self.sock.close()


def bind_free_port(host: str = "127.0.0.1") -> socket.socket:
    """Return a listening-ready socket bound to a free port on `host`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def start_server(app: ASGIApp, sock: socket.socket) -> RunningServer:
    """Serve `app` on an already bound socket until `stop()` is called."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()

    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"server on {host}:{port} did not start")
        time.sleep(0.01)
    display_host = f"[{host}]" if ":" in host else host
    return RunningServer(f"http://{display_host}:{port}", server, thread, sock)


@dataclass
class RunningSimulator:
    """A simulator serving on a free port, as the `stripe_simulator` fixture
    returns it."""

    url: str
    settings: Settings
    simulator: Simulator = field(repr=False)


@contextmanager
def running_simulator(
    settings: Settings | None = None, host: str = "127.0.0.1"
) -> Iterator[RunningSimulator]:
    """Run a simulator with fresh state on a free port for the `with` block.

    The host and port of `settings` are replaced by the ones it listens on.
    """
    sock = bind_free_port(host)
    port = sock.getsockname()[1]
    settings = dataclasses.replace(settings or Settings(), host=host, port=port)
    app = create_app(settings)
    running = start_server(app, sock)
    try:
        yield RunningSimulator(running.url, settings, app.state.simulator)
    finally:
        running.stop()


@dataclass(frozen=True)
class ReceivedDelivery:
    """One webhook delivery as a receiver got it: raw body and headers."""

    body: bytes
    headers: dict[str, str]
    status: int


@dataclass
class WebhookReceiver:
    """A webhook endpoint for tests that records every delivery it receives.

    `respond` chooses the status of each response from the number of
    deliveries received before it, so a test can fail the first attempts.
    """

    respond: Callable[[int], int] = lambda index: 200
    deliveries: list[ReceivedDelivery] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def app(self) -> Starlette:
        """Return an ASGI app that accepts deliveries at `POST /webhook`."""

        async def receive(request: Request) -> Response:
            body = await request.body()
            with self._changed:
                status = self.respond(len(self.deliveries))
                delivery = ReceivedDelivery(body, dict(request.headers), status)
                self.deliveries.append(delivery)
                self._changed.notify_all()
            return Response(status_code=status)

        return Starlette(routes=[Route("/webhook", receive, methods=["POST"])])

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedDelivery]:
        """Wait until `count` deliveries have arrived and return all of them."""
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: len(self.deliveries) >= count, timeout
            )
            if not arrived:
                raise TimeoutError(
                    f"expected {count} webhook deliveries within {timeout} s, "
                    f"got {len(self.deliveries)}"
                )
            return list(self.deliveries)


@contextmanager
def running_receiver(
    respond: Callable[[int], int] | None = None,
) -> Iterator[tuple[str, WebhookReceiver]]:
    """Run a webhook receiver on a free port; yield its URL and the receiver."""
    receiver = WebhookReceiver(respond) if respond else WebhookReceiver()
    running = start_server(receiver.app(), bind_free_port())
    try:
        yield f"{running.url}/webhook", receiver
    finally:
        running.stop()
