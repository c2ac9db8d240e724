"""ID tokens: accepted only when signed by the issuer, for us, current and verified."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest

from tests.conftest import Service
from tests.security.conftest import running_service
from tests.security.identity import AUDIENCE, IdentityProvider, new_key, public_pem
from tests.service.helpers import (
    credit,
    deliver,
    event_body,
    money_json,
    open_pending_topup,
    payment_intent,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made_token(
    header: dict[str, str], claims: dict[str, object], key: bytes
) -> str:
    """Sign with HMAC-SHA256 under ``key``, or not at all when ``key`` is empty."""
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    signing_input = f"{head}.{body}".encode()
    signature = hmac.new(key, signing_input, hashlib.sha256).digest() if key else b""
    return f"{head}.{body}.{b64(signature)}"


def profile(service: Service, token: str) -> httpx.Response:
    with service.client(token) as client:
        return client.get("/v1/billing/profile")


def test_good_token_is_the_user(
    oidc_service: Service, identity: IdentityProvider
) -> None:
    response = profile(oidc_service, identity.token(email="Ann@Example.com"))

    assert response.status_code == 200, response.text
    assert response.json()["userEmail"] == "ann@example.com"


def test_rejected_tokens_are_401(
    oidc_service: Service, identity: IdentityProvider
) -> None:
    now = int(time.time())
    claims = identity.claims()
    pem = public_pem(identity.keys["key-1"])
    jwk_json = json.dumps(identity.jwks()["keys"][0]).encode()
    impostor = jwt.encode(claims, new_key(), "RS256", headers={"kid": "key-1"})
    cases = {
        "bad signature": impostor,
        "wrong issuer": identity.token(iss="https://securetoken.google.com/other"),
        "wrong audience": identity.token(aud="other-project"),
        "expired": identity.token(iat=now - 7200, exp=now - 3600),
        "issued in the future": identity.token(iat=now + 3600, exp=now + 7200),
        "unverified email": identity.token(email_verified=False),
        "email_verified as a string": identity.token(email_verified="true"),
        "no email_verified": identity.token(email_verified=None),
        "no email": identity.token(email=None),
        "no exp": identity.token(exp=None),
        "no sub": identity.token(sub=None),
        "unknown kid": jwt.encode(
            claims, identity.keys["key-1"], "RS256", headers={"kid": "key-9"}
        ),
        "no kid": jwt.encode(claims, identity.keys["key-1"], "RS256"),
        "alg none": hand_made_token({"alg": "none", "kid": "key-1"}, claims, b""),
        "HS256 with the PEM": hand_made_token(
            {"alg": "HS256", "kid": "key-1"}, claims, pem
        ),
        "HS256 with the JWK": hand_made_token(
            {"alg": "HS256", "kid": "key-1"}, claims, jwk_json
        ),
        "not a JWT": "not.a.token",
        "too long": identity.token(padding="x" * 9000),
    }
    for case, token in cases.items():
        response = profile(oidc_service, token)

        assert response.status_code == 401, f"{case}: {response.text}"
        assert response.json()["error"]["code"] == "UNAUTHENTICATED", case


def test_keys_cached_until_unknown_kid(
    oidc_service: Service, identity: IdentityProvider
) -> None:
    for _ in range(3):
        assert profile(oidc_service, identity.token()).status_code == 200
    assert identity.fetches == 1

    identity.rotate("key-2")
    response = profile(oidc_service, identity.token(kid="key-2"))

    assert response.status_code == 200, response.text
    assert identity.fetches == 2


def test_made_up_kids_fetch_once(
    oidc_service: Service, identity: IdentityProvider
) -> None:
    assert profile(oidc_service, identity.token()).status_code == 200
    claims = identity.claims()
    key = identity.keys["key-1"]

    for number in range(5):
        token = jwt.encode(claims, key, "RS256", headers={"kid": f"made-up-{number}"})
        assert profile(oidc_service, token).status_code == 401

    assert identity.fetches == 2


def test_unreachable_issuer_is_503(database_url: str) -> None:
    provider = IdentityProvider()
    closed = "http://127.0.0.1:9/jwks.json"
    settings = {
        "OIDC_ISSUER": "https://securetoken.google.com/prepay-test",
        "OIDC_AUDIENCE": AUDIENCE,
        "OIDC_JWKS_URL": closed,
    }
    with running_service(database_url, **settings) as service:
        response = profile(service, provider.token())

    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "UNAVAILABLE"


def test_api_tokens_work_beside_oidc(
    oidc_service: Service, identity: IdentityProvider
) -> None:
    credit(oidc_service, "ann@example.com", "20.00")
    body = {
        "userEmail": "ann@example.com",
        "amount": money_json("1.00"),
        "idempotencyKey": "task-1",
    }
    with oidc_service.client(oidc_service.token("runner@example.com", "service")) as c:
        debit = c.post("/v1/billing/debits", json=body)
    user = profile(oidc_service, oidc_service.token("ann@example.com", "user"))

    assert debit.status_code == 200, debit.text
    assert user.status_code == 200, user.text
    assert user.json()["availableBalance"]["units"] == "19"


@pytest.fixture
def production_service(database_url: str) -> Iterator[Service]:
    settings = {
        "PREPAY_ENV": "prod",
        "STRIPE_ENABLED": "false",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "SESSION_SECRET": "s" * 40,
    }
    with running_service(database_url, **settings) as service:
        yield service


def test_production_rejects_user_api_tokens(production_service: Service) -> None:
    service = production_service
    entry = open_pending_topup(service, "ann@example.com", "20.00")
    live = event_body("payment_intent.succeeded", payment_intent(entry), livemode=True)
    assert deliver(service, live).status_code == 200
    body = {
        "userEmail": "ann@example.com",
        "amount": money_json("1.00"),
        "idempotencyKey": "task-1",
    }

    user = profile(service, service.token("ann@example.com", "user"))
    with service.client(service.token("runner@example.com", "service")) as client:
        debit = client.post("/v1/billing/debits", json=body)

    assert user.status_code == 401
    assert "ID token" in user.json()["error"]["message"]
    assert debit.status_code == 200, debit.text
