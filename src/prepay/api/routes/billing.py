"""The user's billing routes: config, profile, top-ups and history."""

from typing import Annotated

from fastapi import APIRouter, Header, Query

from prepay import metrics, payments
from prepay.api.deps import ServicesDep, UserDep, limit_topups
from prepay.api.schemas import (
    ConfigResponse,
    Profile,
    TopUpRequest,
    TopUpResponse,
    Transaction,
    TransactionList,
    money_out,
    profile_out,
    transaction_out,
)
from prepay.db import transaction
from prepay.ledger import history
from prepay.ledger.accounts import find_account, require_account
from prepay.money import Money

router = APIRouter(prefix="/v1/billing", tags=["billing"])


@router.get("/config")
def read_config(services: ServicesDep) -> ConfigResponse:
    """Return what the billing page needs before the user signs in."""
    settings = services.settings
    currency = settings.currency
    return ConfigResponse(
        publishable_key=settings.stripe_publishable_key,
        stripe_js_url=settings.stripe_js_url,
        mode="live" if settings.is_production else "test",
        payments_enabled=services.gateway is not None,
        currency=currency,
        top_up_min=money_out(
            currency, Money.from_decimal(currency, settings.topup_min).nanos
        ),
        top_up_max=money_out(
            currency, Money.from_decimal(currency, settings.topup_max).nanos
        ),
        top_up_presets=[
            money_out(currency, Money.from_decimal(currency, preset).nanos)
            for preset in settings.topup_presets
        ],
    )


@router.get("/profile")
def read_profile(services: ServicesDep, principal: UserDep) -> Profile:
    """Return the caller's balance and status."""
    with transaction(services.sessions) as session:
        account = find_account(session, principal.email)
        return profile_out(principal.email, services.settings.currency, account)


@router.post("/top-up")
def create_top_up(
    body: TopUpRequest,
    services: ServicesDep,
    principal: UserDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> TopUpResponse:
    """Start a top-up: a PENDING entry and a Stripe PaymentIntent to confirm."""
    # Counted here, after the body parsed, so malformed requests that never
    # reach Stripe do not use up the caller's allowance.
    limit_topups(principal, services)
    with metrics.counting(metrics.TOPUPS) as outcome:
        result = payments.create_topup(
            services.sessions,
            services.gateway,
            services.settings,
            principal.email,
            body.amount.to_money("amount"),
            idempotency_key or "",
            payment_method=body.payment_method_id,
            return_url=body.return_url,
        )
        outcome.name = "created" if result.success else "declined"
    info = result.payment_intent
    return TopUpResponse(
        success=result.success,
        message=result.message,
        stripe_payment_intent_id=result.entry.stripe_payment_intent_id
        or (info.id if info else None),
        # Nothing left to confirm once the top-up is COMPLETED.
        client_secret=info.client_secret if info and result.success else None,
        transaction=transaction_out(result.entry, principal.email),
    )


@router.get("/transactions")
def list_transactions(
    services: ServicesDep,
    principal: UserDep,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
    page_token: Annotated[str, Query(alias="pageToken", max_length=200)] = "",
    types: Annotated[list[str], Query(alias="type")] = [],  # noqa: B006
    statuses: Annotated[list[str], Query(alias="status")] = [],  # noqa: B006
) -> TransactionList:
    """List the caller's ledger entries, newest first."""
    with transaction(services.sessions) as session:
        account = find_account(session, principal.email)
        # No account yet means no entries, but the filters and the page token
        # are still checked, so a bad request is a 400 either way.
        page = history.list_entries(
            session,
            account.id if account else "",
            page_size,
            page_token,
            types,
            statuses,
        )
        return TransactionList(
            transactions=[transaction_out(e, principal.email) for e in page.entries],
            next_page_token=page.next_page_token,
        )


@router.get("/transactions/{transaction_id}")
def read_transaction(
    transaction_id: str, services: ServicesDep, principal: UserDep
) -> Transaction:
    """Return one ledger entry of the caller, for example a top-up being polled."""
    with transaction(services.sessions) as session:
        account = require_account(session, principal.email)
        entry = history.get_entry(session, account.id, transaction_id)
        return transaction_out(entry, account.email)
