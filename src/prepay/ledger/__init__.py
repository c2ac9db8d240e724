"""The ledger: accounts, entries, debits, top-up states and Stripe events.

It uses SQL and money, and imports nothing of HTTP or of the ``stripe`` package.
"""
