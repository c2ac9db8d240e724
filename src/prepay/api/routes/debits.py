"""Debits, called by the task runner with a service token."""

from fastapi import APIRouter

from prepay import metrics
from prepay.api.deps import ServiceDep, ServicesDep
from prepay.api.schemas import DebitRequest, DebitResponse, transaction_out
from prepay.ledger import debits
from prepay.ledger.accounts import normalize_email

router = APIRouter(prefix="/v1/billing", tags=["debits"])


@router.post("/debits")
def create_debit(
    body: DebitRequest, services: ServicesDep, _caller: ServiceDep
) -> DebitResponse:
    """Pay a task from the user's balance, once per idempotency key."""
    email = normalize_email(body.user_email)
    with metrics.counting(metrics.DEBITS) as outcome:
        result = debits.debit(
            services.sessions,
            email,
            body.amount.to_money("amount"),
            body.idempotency_key,
            body.description,
            body.metadata,
        )
        outcome.name = "replayed" if result.replayed else "completed"
    return DebitResponse(
        transaction=transaction_out(result.entry, email), replayed=result.replayed
    )
