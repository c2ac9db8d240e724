"""API tokens: random bearer strings, stored only as their SHA-256 hash."""

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from prepay.auth.models import SCOPES, ApiToken
from prepay.errors import InvalidArgument
from prepay.ledger.accounts import normalize_email
from prepay.ledger.models import new_id, utcnow

TOKEN_PREFIX = "prepay_"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an email and a scope (user, service or admin)."""

    email: str
    scope: str
    # "token" for an API token, "oidc" for an ID token, "session" for the
    # page's cookie.
    via: str = "token"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, email: str, scope: str) -> tuple[str, ApiToken]:
    """Create a token; return (the bearer string, shown once, and its row)."""
    if scope not in SCOPES:
        raise InvalidArgument("scope", f"must be one of {', '.join(SCOPES)}")
    email = normalize_email(email, "email")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=new_id("tok"),
        token_hash=hash_token(token),
        email=email,
        scope=scope,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return token, row


def authenticate_token(
    connection: Session | Connection, token: str
) -> Principal | None:
    """Return the principal of a valid, unrevoked token, or None.

    Every API call runs this. Selecting two columns on a plain connection
    takes less than half the CPU time of loading the ORM row in a session.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    statement = select(ApiToken.email, ApiToken.scope).where(
        ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
    )
    row = connection.execute(statement).first()
    return Principal(row.email, row.scope) if row else None


def revoke_token(session: Session, token_id: str) -> bool:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(ApiToken.id)
    ).scalar_one_or_none()
    return result is not None


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))
