"""The billing page, and the password-less sign-in offered in development."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from prepay.api.deps import ServicesDep
from prepay.api.templates import templates
from prepay.auth.sessions import COOKIE_NAME, MAX_AGE_SECONDS
from prepay.errors import NotFound
from prepay.ledger.accounts import normalize_email

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/billing", response_class=HTMLResponse)
def billing_page(request: Request, services: ServicesDep) -> Response:
    cookie = request.cookies.get(COOKIE_NAME, "")
    principal = services.signer.load(cookie) if cookie else None
    context = {
        "email": principal.email if principal else None,
        "dev_sign_in": not services.settings.is_production,
        "stripe_js_url": services.settings.stripe_js_url,
    }
    return templates.TemplateResponse(request, "billing.html", context)


@router.post("/billing/sign-in")
def sign_in(
    email: Annotated[str, Form(max_length=320)], services: ServicesDep
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
        secure=services.settings.is_production,
    )
    return response


@router.post("/billing/sign-out")
def sign_out() -> Response:
    response = RedirectResponse("/billing", status_code=303)
    response.delete_cookie(COOKIE_NAME)
    return response
