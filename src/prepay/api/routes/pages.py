"""The billing page, and the password-less sign-in offered in development."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import Field, StrictStr

from prepay.api.deps import ServicesDep
from prepay.api.schemas import RequestModel
from prepay.api.security import csrf_token_for
from prepay.api.templates import templates
from prepay.auth.sessions import COOKIE_NAME, MAX_AGE_SECONDS
from prepay.errors import NotFound, PermissionDenied
from prepay.ledger.accounts import normalize_email

router = APIRouter(tags=["pages"], include_in_schema=False)

# Stripe.js loads from js.stripe.com, calls api.stripe.com and frames 3D Secure
# pages from hooks.stripe.com. The simulator serves all three from the origin
# of its own Stripe.js. NOTE: the tests check this policy against the simulator
# only, so compare it with Stripe's integration security guide before going live.
_STRIPE_JS_ORIGIN = "https://js.stripe.com"
_STRIPE_CONNECT = "https://api.stripe.com"
_STRIPE_FRAMES = "https://js.stripe.com https://hooks.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(stripe_js_url: str) -> str:
    """Build the billing page's policy: no inline code, Stripe's origins only."""
    stripe = _origin(stripe_js_url)
    connect, frames = (
        (_STRIPE_CONNECT, _STRIPE_FRAMES)
        if stripe == _STRIPE_JS_ORIGIN
        else (stripe, stripe)
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe}",
            f"connect-src 'self' {connect}",
            f"frame-src {frames}",
            "img-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@router.get("/billing", response_class=HTMLResponse)
def billing_page(request: Request, services: ServicesDep) -> Response:
    cookie = request.cookies.get(COOKIE_NAME, "")
    principal = services.signer.load(cookie) if cookie else None
    settings = services.settings
    context = {
        "email": principal.email if principal else None,
        "dev_sign_in": not settings.is_production,
        "payments_enabled": services.gateway is not None,
        "stripe_js_url": settings.stripe_js_url,
        "csrf_token": csrf_token_for(request),
    }
    response = templates.TemplateResponse(request, "billing.html", context)
    response.headers["Content-Security-Policy"] = content_security_policy(
        settings.stripe_js_url
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/billing/sign-in")
def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    services: ServicesDep,
) -> Response:
    """Sign in by email alone; offered only outside production."""
    if services.settings.is_production:
        raise NotFound("password-less sign-in exists only in development")
    address = normalize_email(email, "email")
    response = RedirectResponse("/billing", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        services.signer.sign(address),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure_cookie(request, services),
    )
    return response


class SessionRequest(RequestModel):
    id_token: Annotated[StrictStr, Field(min_length=1, max_length=8192)]


@router.post("/billing/session")
def create_session(
    body: SessionRequest, request: Request, services: ServicesDep
) -> Response:
    """Exchange an OIDC ID token from the host app's sign-in for a page session.

    The request must come from this site's own origin, so another site cannot
    sign a visitor into an account of its choosing.
    """
    if services.oidc is None:
        raise NotFound(
            "ID token sign-in needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL"
        )
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin != own:
        raise PermissionDenied(
            f"Origin {origin!r} is not this site ({own}); sign in from the billing page"
        )
    principal = services.oidc.verify(body.id_token)

    response = JSONResponse({"userEmail": principal.email})
    response.set_cookie(
        COOKIE_NAME,
        services.signer.sign(principal.email),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure_cookie(request, services),
    )
    return response


@router.post("/billing/sign-out")
def sign_out(request: Request, services: ServicesDep) -> Response:
    response = RedirectResponse("/billing", status_code=303)
    response.delete_cookie(
        COOKIE_NAME,
        httponly=True,
        samesite="lax",
        secure=_secure_cookie(request, services),
    )
    return response


def _secure_cookie(request: Request, services: ServicesDep) -> bool:
    # Always in production, and elsewhere when served over https. Not over
    # plain http in development, because clients do not send a Secure cookie
    # back over http.
    return services.settings.is_production or request.url.scheme == "https"
