"""Shared dependencies: the wired services and the authenticated caller.

A caller is one of:

- an API token (``prepay_...``) made by ``prepay token create``, with the
  scope user, service or admin. User tokens are rejected in production,
  where users sign in with the identity provider instead;
- an OIDC ID token, when OIDC_ISSUER is set: always the scope user;
- the billing page's session cookie: the scope user. Its CSRF token is
  checked by ``security.CsrfProtection`` before any route runs.

Routes take the narrowest dependency that fits: ``UserDep`` acts on the
caller's own account, ``ServiceDep`` on any account, ``AdminDep`` corrects
balances.
"""

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from prepay.api.security import RateLimiter
from prepay.auth.oidc import OidcVerifier
from prepay.auth.sessions import COOKIE_NAME, SessionSigner
from prepay.auth.tokens import TOKEN_PREFIX, Principal, authenticate_token
from prepay.config import Settings
from prepay.errors import PermissionDenied, RateLimited, Unauthenticated
from prepay.stripe_gateway import StripeGateway, WebhookVerifier

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # None when payments are switched off (STRIPE_ENABLED=false or no key).
    gateway: StripeGateway | None
    signer: SessionSigner
    event_handlers: dict[str, Any]
    # None when no webhook secret is configured, so webhooks return 503.
    webhook_verifier: WebhookVerifier | None = None
    # None unless OIDC_ISSUER is set.
    oidc: OidcVerifier | None = None
    topup_limiter: RateLimiter | None = None


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

# Declares bearer authentication in the OpenAPI document. get_principal reads
# the header itself, to reject each malformed case with its own message.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token from 'prepay token create', or an OIDC ID token",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


def get_principal(
    request: Request, services: ServicesDep, _bearer: BearerDep
) -> Principal:
    header = request.headers.get("authorization", "")
    if header:
        return _bearer_principal(services, header)

    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        principal = services.signer.load(cookie)
        if principal is not None:
            return principal
    raise Unauthenticated(
        "sign in, or send 'Authorization: Bearer TOKEN' with a token from "
        "'prepay token create'"
    )


def _bearer_principal(services: Services, header: str) -> Principal:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Authorization must be 'Bearer TOKEN'")
    if token.startswith(TOKEN_PREFIX):
        return _api_token_principal(services, token)
    if services.oidc is None:
        raise Unauthenticated("the bearer token is invalid or revoked")
    return services.oidc.verify(token)


def _api_token_principal(services: Services, token: str) -> Principal:
    # A connection, not a session: one SELECT needs no unit of work.
    with services.engine.connect() as connection:
        principal = authenticate_token(connection, token)
    if principal is None:
        raise Unauthenticated("the bearer token is invalid or revoked")
    if principal.scope == "user" and services.settings.is_production:
        raise Unauthenticated(
            "user API tokens work only outside production; send an ID token "
            "from the identity provider instead"
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_user(principal: PrincipalDep) -> Principal:
    if principal.scope != "user":
        raise PermissionDenied(
            "this call acts on the caller's own billing account and needs a "
            f"user's sign-in or user token, not a {principal.scope} token"
        )
    return principal


def require_service(principal: PrincipalDep) -> Principal:
    if principal.scope not in ("service", "admin"):
        raise PermissionDenied(
            f"this call needs a service token, not {principal.scope}"
        )
    return principal


def require_admin(principal: PrincipalDep) -> Principal:
    if principal.scope != "admin":
        raise PermissionDenied(f"this call needs an admin token, not {principal.scope}")
    return principal


UserDep = Annotated[Principal, Depends(require_user)]
ServiceDep = Annotated[Principal, Depends(require_service)]
AdminDep = Annotated[Principal, Depends(require_admin)]


def limit_topups(principal: UserDep, services: ServicesDep) -> Principal:
    """Count a top-up request against the caller's rate limit."""
    limiter = services.topup_limiter
    if limiter is None:
        return principal
    wait = limiter.hit(principal.email)
    if wait is not None:
        log.warning("top-up rate limit reached email=%s", principal.email)
        raise RateLimited(
            f"too many top-up requests: at most {limiter.limit} every "
            f"{int(limiter.window)} seconds per account; try again in {wait} "
            "seconds",
            retry_after_seconds=wait,
        )
    return principal
