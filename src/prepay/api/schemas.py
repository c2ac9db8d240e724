"""Request and response bodies: camelCase JSON in the proto3 mapping's shape."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
)
from pydantic.alias_generators import to_camel

from prepay.ledger.models import Account, LedgerEntry
from prepay.money import Money

MetadataValue = Annotated[StrictStr, Field(max_length=500)]
# Stripe's own limits on metadata, so anything we store could also go there.
Metadata = Annotated[
    dict[Annotated[str, Field(max_length=40)], MetadataValue], Field(max_length=20)
]


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid"
    )


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


class RequestModel(ApiModel):
    """A request body. No string in it may hold NUL, which PostgreSQL rejects."""

    @field_validator("*", mode="after")
    @classmethod
    def _reject_nul(cls, value: object) -> object:
        if _contains_nul(value):
            raise ValueError("must not contain NUL characters (\\x00)")
        return value


class MoneyIn(RequestModel):
    """google.type.Money; ``units`` is an int64 and ``nanos`` an int32, each
    as a string or an integer, as the proto3 JSON mapping allows."""

    currency_code: StrictStr
    units: StrictStr | StrictInt = "0"
    nanos: StrictInt | StrictStr = 0

    def to_money(self, field: str = "amount") -> Money:
        return Money.from_json(self.model_dump(by_alias=True), field)


class MoneyOut(ApiModel):
    currency_code: str
    units: str
    nanos: int


def money_out(currency: str, nanos: int) -> MoneyOut:
    return MoneyOut.model_validate(Money(currency, nanos).to_json())


class TopUpRequest(RequestModel):
    amount: MoneyIn
    payment_method_id: Annotated[StrictStr, Field(max_length=255)] | None = None
    return_url: Annotated[StrictStr, Field(max_length=2048)] | None = None


class DebitRequest(RequestModel):
    user_email: Annotated[StrictStr, Field(max_length=320)]
    amount: MoneyIn
    idempotency_key: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    description: Annotated[StrictStr, Field(max_length=500)] = ""
    metadata: Metadata = Field(default_factory=dict)


class Transaction(ApiModel):
    """A ledger entry (BillingTransaction). ``amount`` is positive and ``type``
    gives its direction, except ADJUSTMENT, whose amount carries its sign."""

    transaction_id: str
    user_email: str
    type: str
    status: str
    amount: MoneyOut
    balance_before: MoneyOut | None
    balance_after: MoneyOut | None
    description: str
    created_at: str
    completed_at: str | None
    stripe_payment_intent_id: str | None
    metadata: dict[str, Any]
    failure_code: str | None
    failure_message: str | None


class TransactionList(ApiModel):
    transactions: list[Transaction]
    next_page_token: str


class Profile(ApiModel):
    """A user's billing profile (UserBillingProfile)."""

    user_email: str
    available_balance: MoneyOut
    held_balance: MoneyOut
    status: str
    created_at: str | None
    updated_at: str | None


class TopUpResponse(ApiModel):
    success: bool
    message: str
    stripe_payment_intent_id: str | None
    client_secret: str | None
    transaction: Transaction


class DebitResponse(ApiModel):
    transaction: Transaction
    replayed: bool


class ConfigResponse(ApiModel):
    publishable_key: str | None
    stripe_js_url: str
    mode: str
    payments_enabled: bool
    currency: str
    top_up_min: MoneyOut
    top_up_max: MoneyOut
    top_up_presets: list[MoneyOut]


def rfc3339(value: datetime | None) -> str | None:
    """Format as RFC 3339 in UTC; SQLite hands back naive datetimes, which are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def transaction_out(entry: LedgerEntry, email: str) -> Transaction:
    shown = (
        entry.amount_nanos if entry.type == "ADJUSTMENT" else abs(entry.amount_nanos)
    )

    def balance(nanos: int | None) -> MoneyOut | None:
        return None if nanos is None else money_out(entry.currency, nanos)

    return Transaction(
        transaction_id=entry.id,
        user_email=email,
        type=entry.type,
        status=entry.status,
        amount=money_out(entry.currency, shown),
        balance_before=balance(entry.balance_before_nanos),
        balance_after=balance(entry.balance_after_nanos),
        description=entry.description,
        created_at=rfc3339(entry.created_at) or "",
        completed_at=rfc3339(entry.completed_at),
        stripe_payment_intent_id=entry.stripe_payment_intent_id,
        metadata=dict(entry.metadata_ or {}),
        failure_code=entry.failure_code,
        failure_message=entry.failure_message,
    )


def profile_out(email: str, currency: str, account: Account | None) -> Profile:
    if account is None:
        zero = money_out(currency, 0)
        return Profile(
            user_email=email,
            available_balance=zero,
            held_balance=zero,
            status="ACTIVE",
            created_at=None,
            updated_at=None,
        )
    return Profile(
        user_email=account.email,
        available_balance=money_out(
            account.currency, account.balance_nanos - account.held_nanos
        ),
        held_balance=money_out(account.currency, account.held_nanos),
        status=account.status,
        created_at=rfc3339(account.created_at),
        updated_at=rfc3339(account.updated_at),
    )
