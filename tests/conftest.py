"""Fixtures shared by the whole suite: databases, the simulator, the service.

PostgreSQL and Chromium are real. On a machine without them their tests are
skipped with the reason (``make test`` prints it); under CI (CI=true) a
missing one fails the run instead, so nothing is skipped silently.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy
import uvicorn

from prepay.api.app import create_app
from prepay.api.deps import Services
from prepay.auth.tokens import create_token
from prepay.config import Settings, load_settings
from prepay.db import make_engine, transaction
from prepay.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "PREPAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI") == "true"
SECRET_KEY = "sk_test_prepay_suite"
PUBLISHABLE_KEY = "pk_test_prepay_suite"


def missing(reason: str) -> None:
    """Skip the test, or fail it under CI, where nothing may be skipped."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(
    port: int, seconds: float = 20.0, process: "subprocess.Popen[bytes] | None" = None
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"the process for port {port} exited with {process.returncode}"
            )
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def _postgres_problem() -> str | None:
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.orig}"
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_problem()
    if problem:
        missing(problem)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A migrated, empty schema of its own on the PostgreSQL server."""
    schema = f"prepay_test_{secrets.token_hex(6)}"
    admin = sqlalchemy.create_engine(postgres_server)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{postgres_server}?options=-csearch_path%3D{schema}"
    _migrate(url)
    yield url
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: "os.PathLike[str]") -> str:
    url = f"sqlite:///{tmp_path}/prepay.db"
    _migrate(url)
    return url


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that uses this runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@dataclass
class Simulator:
    url: str
    webhook_secret: str
    process: "subprocess.Popen[bytes]"


def start_simulator(webhook_url: str | None, webhook_secret: str) -> Simulator:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "stripe_sim",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--webhook-secret",
        webhook_secret,
        "--retry-base-seconds",
        "0.2",
    ]
    if webhook_url:
        command += ["--webhook-url", webhook_url]
    process = subprocess.Popen(command)
    try:
        wait_for_port(port, process=process)
    except RuntimeError:
        process.kill()
        process.wait(timeout=10)
        raise
    return Simulator(f"http://127.0.0.1:{port}", webhook_secret, process)


def stop_simulator(simulator: Simulator) -> None:
    simulator.process.terminate()
    simulator.process.wait(timeout=10)


class ServerThread:
    """A uvicorn server for one app, in a thread of the test process."""

    def __init__(self, app: object, port: int) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="none",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Service:
    """A running prepay service wired to its own Stripe simulator."""

    url: str
    settings: Settings
    services: Services
    simulator: Simulator

    def token(self, email: str, scope: str = "user") -> str:
        with transaction(self.services.sessions) as session:
            token, _row = create_token(session, email, scope)
        return token

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=15)


def service_settings(
    database_url: str, simulator_url: str, secret: str, **extra: str
) -> Settings:
    environ = {
        "PREPAY_ENV": "test",
        "DATABASE_URL": database_url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_API_BASE": simulator_url,
        "STRIPE_JS_URL": f"{simulator_url}/v3/",
        "STRIPE_WEBHOOK_SECRET": secret,
        "SESSION_SECRET": "test-session-secret",
    }
    environ.update(extra)
    return load_settings(environ)


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    """The service on a free port, with a simulator that delivers to it."""
    port = free_port()
    secret = "whsec_" + secrets.token_hex(16)
    simulator = start_simulator(f"http://127.0.0.1:{port}/v1/billing/webhook", secret)
    settings = service_settings(database_url, simulator.url, secret)
    app = create_app(settings)
    try:
        with ServerThread(app, port):
            yield Service(
                f"http://127.0.0.1:{port}", settings, app.state.services, simulator
            )
    finally:
        stop_simulator(simulator)
        app.state.services.engine.dispose()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        missing(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    return CHROMIUM


@pytest.fixture
def bare_service(database_url: str) -> Iterator[Service]:
    """The service with webhooks verified locally and no simulator behind it.

    Stripe calls go to a closed port and fail fast; tests that use this
    fixture sign their own webhook events.
    """
    port = free_port()
    secret = "whsec_" + secrets.token_hex(16)
    dead = f"http://127.0.0.1:{free_port()}"
    settings = service_settings(database_url, dead, secret)
    app = create_app(settings)
    placeholder = Simulator(dead, secret, None)  # type: ignore[arg-type]
    try:
        with ServerThread(app, port):
            yield Service(
                f"http://127.0.0.1:{port}", settings, app.state.services, placeholder
            )
    finally:
        app.state.services.engine.dispose()
