"""``prepay token``: create and revoke API tokens."""

import argparse

from prepay.auth.tokens import create_token, list_tokens, revoke_token
from prepay.config import Settings
from prepay.db import transaction
from prepay.operations.common import open_database


def _create(args: argparse.Namespace, settings: Settings) -> int:
    with open_database(settings) as factory, transaction(factory) as session:
        token, row = create_token(session, args.email, args.scope)
    print(f"created {row.scope} token {row.id} for {row.email}")  # noqa: T201
    # The bearer string alone on the last line, so scripts can take it with tail -1.
    print(token)  # noqa: T201
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    with open_database(settings) as factory, transaction(factory) as session:
        revoked = revoke_token(session, args.token_id)
    if not revoked:
        print(f"no active token {args.token_id}")  # noqa: T201
        return 1
    print(f"revoked {args.token_id}")  # noqa: T201
    return 0


def _list(_args: argparse.Namespace, settings: Settings) -> int:
    """Print each token's id, scope, email and state; the secrets are not stored."""
    with open_database(settings) as factory, transaction(factory) as session:
        for row in list_tokens(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            print(f"{row.id}  {row.scope:<7}  {row.email}  {state}")  # noqa: T201
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    token = commands.add_parser("token", help="manage API tokens")
    actions = token.add_subparsers(dest="token_command", required=True)

    create = actions.add_parser("create", help="create a token and print it last")
    create.add_argument("--email", required=True, help="the caller's email address")
    create.add_argument("--scope", required=True, choices=("user", "service", "admin"))
    create.set_defaults(handler=_create)

    listing = actions.add_parser("list", help="list tokens by id, scope and email")
    listing.set_defaults(handler=_list)

    revoke = actions.add_parser("revoke", help="revoke a token by its id (tok_...)")
    revoke.add_argument("token_id")
    revoke.set_defaults(handler=_revoke)
