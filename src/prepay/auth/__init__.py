"""Who is calling: API tokens, page sessions and scopes."""
