"""Shared dependencies: the wired services and the authenticated caller."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from prepay.auth.sessions import COOKIE_NAME, SessionSigner
from prepay.auth.tokens import Principal, authenticate_token
from prepay.config import Settings
from prepay.db import transaction
from prepay.errors import PermissionDenied, Unauthenticated
from prepay.stripe_gateway import StripeGateway


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # None when payments are switched off (STRIPE_ENABLED=false or no key).
    gateway: StripeGateway | None
    signer: SessionSigner
    event_handlers: dict[str, Any]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_principal(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization must be 'Bearer TOKEN'")
        with transaction(services.sessions) as session:
            principal = authenticate_token(session, token.strip())
        if principal is None:
            raise Unauthenticated("the bearer token is invalid or revoked")
        return principal

    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        principal = services.signer.load(cookie)
        if principal is not None:
            return principal
    raise Unauthenticated(
        "sign in, or send 'Authorization: Bearer TOKEN' with a token from "
        "'prepay token create'"
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


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


ServiceDep = Annotated[Principal, Depends(require_service)]
AdminDep = Annotated[Principal, Depends(require_admin)]
