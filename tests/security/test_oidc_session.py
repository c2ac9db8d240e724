"""The page's session from an ID token: verified, and only from our own origin."""

import httpx

from tests.conftest import Service
from tests.security.identity import IdentityProvider


def exchange(service: Service, token: str, origin: str | None) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    with service.client() as client:
        return client.post("/billing/session", json={"idToken": token}, headers=headers)


def test_id_token_becomes_session(
    oidc_service: Service, identity: IdentityProvider
) -> None:
    response = exchange(
        oidc_service, identity.token(email="Ann@Example.com"), oidc_service.url
    )
    cookie = response.cookies.get("prepay_session")
    with oidc_service.client() as client:
        client.cookies.set("prepay_session", cookie or "")
        profile = client.get("/v1/billing/profile")

    assert response.status_code == 200, response.text
    assert response.json() == {"userEmail": "ann@example.com"}
    assert "httponly" in response.headers["set-cookie"].lower()
    assert profile.status_code == 200
    assert profile.json()["userEmail"] == "ann@example.com"


def test_session_needs_own_origin_and_good_token(
    oidc_service: Service, identity: IdentityProvider
) -> None:
    good = identity.token()
    other_site = exchange(oidc_service, good, "https://evil.example")
    no_origin = exchange(oidc_service, good, None)
    expired = exchange(
        oidc_service, identity.token(iat=1_000_000, exp=1_000_600), oidc_service.url
    )

    assert other_site.status_code == 403
    assert no_origin.status_code == 403
    assert expired.status_code == 401
    for response in (other_site, no_origin, expired):
        assert "set-cookie" not in response.headers


def test_session_without_oidc_is_404(bare_service: Service) -> None:
    response = exchange(bare_service, "a.b.c", bare_service.url)

    assert response.status_code == 404
