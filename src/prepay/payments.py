"""Top-up orchestration: the ledger's PENDING entry, then Stripe's PaymentIntent.

The local entry is written before Stripe is called, so no PaymentIntent can
exist without a top-up that it pays. A crash or timeout in between leaves a
PENDING entry with no PaymentIntent. The client's retry with the same
Idempotency-Key then reaches the same PaymentIntent through Stripe's own
idempotency key. The webhook can still find the entry through the
PaymentIntent's metadata.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from prepay.config import Settings
from prepay.db import transaction
from prepay.errors import (
    AlreadyExists,
    InvalidArgument,
    PaymentsDisabled,
    RateLimited,
)
from prepay.ledger import topups
from prepay.ledger.accounts import get_or_create_account, set_stripe_customer
from prepay.ledger.models import LedgerEntry, utcnow
from prepay.ledger.payment_intents import ACCOUNT_KEY, EMAIL_KEY, TRANSACTION_KEY
from prepay.money import Money, to_stripe_currency
from prepay.stripe_gateway import (
    PaymentDeclined,
    PaymentIntentInfo,
    PaymentProviderRejected,
    StripeGateway,
)

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
# Unpaid top-ups an account may have open at once. Each one is a
# PaymentIntent at Stripe, so this bounds what one user can make us create.
MAX_PENDING_TOPUPS = 5
# Only recent unpaid top-ups count towards that bound, so a user who walked
# away from a few payments (a closed tab during 3D Secure) is not locked out
# until `prepay sync-payments` settles the old ones.
PENDING_WINDOW = timedelta(hours=1)
_PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{1,250}")


@dataclass(frozen=True)
class TopUpResult:
    success: bool
    message: str
    entry: LedgerEntry
    payment_intent: PaymentIntentInfo | None


def check_topup_amount(settings: Settings, amount: Money) -> None:
    """Raise InvalidArgument unless ``amount`` is within the top-up limits."""
    amount.check_chargeable("amount")
    low = Money.from_decimal(amount.currency, settings.topup_min)
    high = Money.from_decimal(amount.currency, settings.topup_max)
    if not low <= amount <= high:
        raise InvalidArgument(
            "amount",
            f"must be between {low.to_decimal()} and {high.to_decimal()} "
            f"{amount.currency}, got {amount.to_decimal()}",
        )


def _stripe_key(account_id: str, client_key: str) -> str:
    digest = hashlib.sha256(client_key.encode()).hexdigest()
    return f"prepay-topup-{account_id}-{digest}"


def create_topup(
    factory: sessionmaker[Session],
    gateway: StripeGateway | None,
    settings: Settings,
    email: str,
    amount: Money,
    client_key: str,
    payment_method: str | None = None,
    return_url: str | None = None,
) -> TopUpResult:
    if gateway is None:
        raise PaymentsDisabled(
            "payments are switched off; balances and debits still work"
        )
    if not client_key or len(client_key) > MAX_KEY_LENGTH:
        raise InvalidArgument(
            "Idempotency-Key", f"header is required, 1 to {MAX_KEY_LENGTH} characters"
        )
    if amount.currency != settings.currency:
        raise InvalidArgument(
            "amount.currencyCode",
            f"is {amount.currency}; top-ups are in {settings.currency}",
        )
    check_topup_amount(settings, amount)
    _check_payment_method(payment_method)

    with transaction(factory) as session:
        account = get_or_create_account(session, email, settings.currency)
        if account.currency != amount.currency:
            raise InvalidArgument(
                "amount.currencyCode",
                f"is {amount.currency} but the account is in {account.currency}",
            )
        if topups.find_topup(session, account.id, client_key) is None:
            since = utcnow() - PENDING_WINDOW
            if topups.count_pending(session, account.id, since) >= MAX_PENDING_TOPUPS:
                raise RateLimited(
                    f"{MAX_PENDING_TOPUPS} top-ups from the last hour are still "
                    "waiting for payment; pay one of them, or try again later"
                )
        entry = topups.open_topup(session, account, amount, client_key)
        account_id, customer_id = account.id, account.stripe_customer_id

    replay = _replay(gateway, entry)
    if replay is not None:
        return replay

    if customer_id is None:
        customer_id = gateway.create_customer(email, account_id)
        with transaction(factory) as session:
            set_stripe_customer(session, account_id, customer_id)

    try:
        info = gateway.create_payment_intent(
            amount_minor=amount.to_minor_units(),
            currency=to_stripe_currency(amount.currency),
            customer=customer_id,
            metadata={
                ACCOUNT_KEY: account_id,
                TRANSACTION_KEY: entry.id,
                EMAIL_KEY: email,
            },
            idempotency_key=_stripe_key(account_id, client_key),
            description=f"prepay top-up {entry.id}",
            payment_method=payment_method,
            return_url=return_url,
        )
    except PaymentDeclined as declined:
        return _record_decline(factory, entry, declined)
    except (InvalidArgument, PaymentProviderRejected):
        # Stripe refused the request itself and made no PaymentIntent, so
        # the entry can never be paid; a new attempt needs a new key.
        with transaction(factory) as session:
            topups.cancel_topup(session, entry, "rejected_by_stripe")
        raise

    with transaction(factory) as session:
        topups.attach_payment_intent(session, entry.id, info.id)
        refreshed = session.get(LedgerEntry, entry.id, populate_existing=True)
    return TopUpResult(True, "payment created", refreshed or entry, info)


def _replay(gateway: StripeGateway, entry: LedgerEntry) -> TopUpResult | None:
    """Build the result for a repeated Idempotency-Key from its earlier top-up.

    Returns None when the top-up still needs its PaymentIntent.
    """
    if entry.status == "CANCELED":
        raise AlreadyExists(
            f"top-up {entry.id} made with this Idempotency-Key was canceled; "
            "start a new top-up with a new key",
            transactionId=entry.id,
        )
    if entry.status == "COMPLETED":
        return TopUpResult(True, "top-up already completed", entry, None)
    if entry.stripe_payment_intent_id is None:
        return None
    # PENDING, or FAILED after a decline: the same PaymentIntent can be
    # confirmed again, with another card.
    info = gateway.retrieve_payment_intent(entry.stripe_payment_intent_id)
    return TopUpResult(True, "top-up already created", entry, info)


def _check_payment_method(payment_method: str | None) -> None:
    if payment_method is not None and not _PAYMENT_METHOD_ID.fullmatch(payment_method):
        raise InvalidArgument(
            "paymentMethodId", "must be a PaymentMethod id such as pm_1Abc..."
        )


def _record_decline(
    factory: sessionmaker[Session], entry: LedgerEntry, declined: PaymentDeclined
) -> TopUpResult:
    with transaction(factory) as session:
        if declined.payment_intent is not None:
            topups.attach_payment_intent(session, entry.id, declined.payment_intent.id)
        topups.fail_topup(session, entry, declined.decline_code, declined.message)
        refreshed = session.get(LedgerEntry, entry.id, populate_existing=True)
    log.info("top-up %s declined code=%s", entry.id, declined.decline_code)
    return TopUpResult(
        False, declined.message, refreshed or entry, declined.payment_intent
    )
