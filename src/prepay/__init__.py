"""prepay: prepaid-credit billing with Stripe top-ups and local debits."""
