"""The handler of each Stripe event type that prepay applies.

Any other type is stored and marked IGNORED, so it is still on record.
"""

from prepay.ledger import disputes, payment_intents, refunds
from prepay.ledger.events import Handler

HANDLERS: dict[str, Handler] = {
    **payment_intents.HANDLERS,
    **refunds.HANDLERS,
    **disputes.HANDLERS,
}
