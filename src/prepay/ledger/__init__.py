"""The ledger: accounts, entries, debits, top-up states and Stripe events.

It knows SQL and money, and nothing of HTTP or of the ``stripe`` package.
"""
