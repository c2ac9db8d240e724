"""A stand-in OIDC issuer: RSA keys, a JWKS served on 127.0.0.1, signed ID tokens."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

ISSUER = "https://securetoken.google.com/prepay-test"
AUDIENCE = "prepay-test"


def new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())
    )
    jwk.update(kid=kid, alg="RS256", use="sig")
    return jwk


def public_pem(key: RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class IdentityProvider:
    """Signs ID tokens and serves the public half of its keys as a JWKS."""

    def __init__(self) -> None:
        self.keys: dict[str, RSAPrivateKey] = {"key-1": new_key()}
        self.published = ["key-1"]
        self.fetches = 0
        self.url = ""

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.keys[kid], kid) for kid in self.published]}

    def rotate(self, kid: str) -> None:
        """Publish a new key next to the old ones, as issuers do before using it."""
        self.keys[kid] = new_key()
        self.published.append(kid)

    def claims(
        self, email: str = "ann@example.com", **overrides: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": f"uid-{email}",
            "iat": now - 10,
            "exp": now + 3600,
            "auth_time": now - 10,
            "email": email,
            "email_verified": True,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, kid: str = "key-1", **overrides: Any) -> str:
        return jwt.encode(
            self.claims(**overrides), self.keys[kid], "RS256", headers={"kid": kid}
        )


@contextmanager
def serve_jwks(provider: IdentityProvider) -> Iterator[str]:
    """Serve the provider's JWKS at http://127.0.0.1:PORT/jwks.json."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            provider.fetches += 1
            body = json.dumps(provider.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=3600")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    try:
        yield provider.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
