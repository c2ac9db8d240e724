"""Manual adjustments by an admin: signed credits and debits with a reason."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field, StrictBool, StrictStr

from prepay.api.deps import AdminDep, ServicesDep
from prepay.api.schemas import (
    ApiModel,
    MoneyIn,
    RequestModel,
    Transaction,
    transaction_out,
)
from prepay.ledger.accounts import normalize_email
from prepay.ledger.adjustments import MAX_REASON_LENGTH, Adjustment, adjust

router = APIRouter(prefix="/v1/billing", tags=["adjustments"])


class AdjustmentRequest(RequestModel):
    user_email: Annotated[StrictStr, Field(max_length=320)]
    # Signed: positive adds to the balance, negative takes from it.
    amount: MoneyIn
    reason: Annotated[StrictStr, Field(min_length=1, max_length=MAX_REASON_LENGTH)]
    # A negative adjustment that the available balance does not cover is
    # rejected like a debit unless this is true.
    allow_negative: StrictBool = False
    idempotency_key: (
        Annotated[StrictStr, Field(min_length=1, max_length=255)] | None
    ) = None


class AdjustmentResponse(ApiModel):
    transaction: Transaction
    replayed: bool


@router.post("/adjustments")
def create_adjustment(
    body: AdjustmentRequest, services: ServicesDep, admin: AdminDep
) -> AdjustmentResponse:
    """Credit or debit a user's balance by hand, recorded with the admin and reason."""
    email = normalize_email(body.user_email)
    request = Adjustment(
        amount=body.amount.to_money("amount"),
        reason=body.reason,
        actor=admin.email,
        source="api",
        allow_negative=body.allow_negative,
        idempotency_key=body.idempotency_key,
    )
    result = adjust(services.sessions, email, request)
    return AdjustmentResponse(
        transaction=transaction_out(result.entry, email), replayed=result.replayed
    )
