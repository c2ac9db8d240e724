"""Caller authentication: API tokens, ID tokens, page sessions and scopes."""
