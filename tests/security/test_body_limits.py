"""Request bodies over the limit are rejected with 413 before they are read whole."""

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from tests.conftest import Service
from tests.security.test_webhook_hardening import stored_events
from tests.service.helpers import money_json, sign

LIMIT = 64 * 1024
WEBHOOK_LIMIT = 512 * 1024


def open_socket(service: Service) -> socket.socket:
    address = urlsplit(service.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=10)
    return sock


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """Read one response to the end of its body; return (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed inside the body"
        body += chunk
    return int(lines[0].split()[1]), body


def head(path: str, token: str, *fields: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        *fields,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_413(status: int, body: bytes, limit: int) -> None:
    assert status == 413, body
    error = json.loads(body)["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert error["details"]["maxBytes"] == limit
    assert str(limit) in error["message"]


def test_declared_length_rejected_unread(bare_service: Service) -> None:
    token = bare_service.token("runner@example.com", "service")
    for path, limit in (
        ("/v1/billing/debits", LIMIT),
        ("/v1/billing/top-up", LIMIT),
        ("/v1/billing/webhook", WEBHOOK_LIMIT),
    ):
        with open_socket(bare_service) as sock:
            # Only the head goes out, so a server that waited for the body
            # would time out here instead of responding.
            sock.sendall(head(path, token, f"Content-Length: {limit + 1}"))

            status, body = read_response(sock)

        assert_413(status, body, limit)


def test_chunked_body_rejected_mid_stream(bare_service: Service) -> None:
    token = bare_service.token("runner@example.com", "service")
    chunk = b"x" * 16384
    for path, limit in (
        ("/v1/billing/debits", LIMIT),
        ("/v1/billing/webhook", WEBHOOK_LIMIT),
    ):
        with open_socket(bare_service) as sock:
            sock.sendall(head(path, token, "Transfer-Encoding: chunked"))
            # One chunk past the limit, and no final zero-length chunk. The
            # body never ends, so only a server that counts can respond.
            for _ in range(limit // len(chunk) + 1):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

            status, body = read_response(sock)

        assert_413(status, body, limit)
    assert stored_events(bare_service) == 0


def test_body_under_limit_reaches_route(bare_service: Service) -> None:
    token = bare_service.token("runner@example.com", "service")
    body = {
        "userEmail": "ann@example.com",
        "amount": money_json("1.00"),
        "idempotencyKey": "task-1",
        "description": "x" * 501,
        "padding": "y" * (LIMIT - 2000),
    }
    with bare_service.client(token) as client:
        response = client.post("/v1/billing/debits", json=body)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"


def test_signed_oversized_webhook_not_stored(bare_service: Service) -> None:
    secret = bare_service.simulator.webhook_secret
    text = json.dumps({"object": "event", "padding": "z" * WEBHOOK_LIMIT})

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(text), 65536):
            yield text[start : start + 65536].encode()

    with bare_service.client() as client:
        response = client.post(
            "/v1/billing/webhook",
            content=pieces(),
            headers={"Stripe-Signature": sign(text, secret)},
        )

    assert_413(response.status_code, response.content, WEBHOOK_LIMIT)
    assert stored_events(bare_service) == 0


def test_form_sign_in_over_limit(bare_service: Service) -> None:
    with bare_service.client() as client:
        response = client.post(
            "/billing/sign-in", data={"email": "a@example.com", "pad": "p" * LIMIT}
        )

    assert_413(response.status_code, response.content, LIMIT)
