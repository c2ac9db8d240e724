"""OpenID Connect ID tokens, such as Firebase's, verified against the issuer's JWKS.

A token is accepted only when its signature verifies with a key from the
issuer's JSON Web Key Set, under the asymmetric algorithm that key is bound
to. Its ``iss``, ``aud``, ``exp``, ``iat`` and ``sub`` claims must be valid,
and it must carry a verified ``email``. The header's ``alg`` never chooses
the algorithm: ``none`` and HMAC are rejected, so a token "signed" with the
public key as an HMAC secret does not verify.

Keys are cached for the ``max-age`` the issuer's response allows (Google
sends several hours for Firebase). An unknown ``kid`` fetches the set again,
because the issuer may have rotated keys. A fetch that still lacks the
``kid`` blocks further fetches for ``UNKNOWN_KID_COOLDOWN_SECONDS``, so
tokens with made-up ``kid`` values cannot flood the issuer with requests.
"""

import logging
import re
import threading
import time
from typing import Any

import httpx
import jwt

from prepay.auth.tokens import Principal
from prepay.config import Settings
from prepay.errors import IdentityProviderUnavailable, InvalidArgument, Unauthenticated
from prepay.ledger.accounts import normalize_email

log = logging.getLogger(__name__)

# Asymmetric algorithms only; an HMAC algorithm would let anyone holding the
# public key sign tokens.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
# Clock skew allowed between the issuer and this server, in seconds.
LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 8192
DEFAULT_MAX_AGE_SECONDS = 3600
MIN_MAX_AGE_SECONDS = 60
MAX_MAX_AGE_SECONDS = 24 * 3600
UNKNOWN_KID_COOLDOWN_SECONDS = 60
FETCH_TIMEOUT_SECONDS = 5.0
_MAX_AGE = re.compile(r"max-age=(\d+)")


class JwksCache:
    """The issuer's signing keys by ``kid``, fetched when stale or missing."""

    def __init__(
        self,
        url: str,
        client: httpx.Client | None = None,
        unknown_kid_cooldown: float = UNKNOWN_KID_COOLDOWN_SECONDS,
    ) -> None:
        self._url = url
        self._client = client or httpx.Client(
            timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False
        )
        self._cooldown = unknown_kid_cooldown
        self._keys: dict[str, jwt.PyJWK] = {}
        self._expires_at = 0.0
        self._miss_until = 0.0
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> jwt.PyJWK | None:
        """Return the key with this ``kid``, fetching the set when needed.

        Raises IdentityProviderUnavailable when no key was ever fetched and
        the issuer cannot be reached.
        """
        with self._lock:
            now = time.monotonic()
            stale = now >= self._expires_at
            if stale or (kid not in self._keys and now >= self._miss_until):
                self._refresh(now)
                if kid not in self._keys:
                    self._miss_until = now + self._cooldown
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        try:
            response = self._client.get(self._url)
            response.raise_for_status()
            keys = _parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("jwks fetch failed url=%s error=%s", self._url, exc)
            if not self._keys:
                raise IdentityProviderUnavailable(
                    "the identity provider's signing keys cannot be fetched; "
                    "try again in a moment"
                ) from None
            # Keep serving the keys we have rather than locking everyone out.
            self._expires_at = now + MIN_MAX_AGE_SECONDS
            return
        self._keys = keys
        self._expires_at = now + _max_age(response.headers.get("cache-control"))
        log.info("jwks fetched url=%s kids=%s", self._url, sorted(keys))


def _parse_jwks(document: Any) -> dict[str, jwt.PyJWK]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the JWKS document has no 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC"):
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        if key.algorithm_name in ALGORITHMS:
            keys[entry["kid"]] = key
    return keys


def _max_age(cache_control: str | None) -> float:
    match = _MAX_AGE.search(cache_control or "")
    seconds = int(match.group(1)) if match else DEFAULT_MAX_AGE_SECONDS
    return float(min(max(seconds, MIN_MAX_AGE_SECONDS), MAX_MAX_AGE_SECONDS))


class OidcVerifier:
    """Turns an ID token into a user principal, or raises Unauthenticated."""

    def __init__(self, issuer: str, audience: str, jwks: JwksCache) -> None:
        self._issuer = issuer
        self._audience = audience
        self._jwks = jwks

    def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("the ID token is too long")
        key = self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub"],
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the ID token is invalid: {_reason(exc)}") from None
        return Principal(_verified_email(claims), "user", via="oidc")

    def _signing_key(self, token: str) -> jwt.PyJWK:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the ID token is not a JWT") from None
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated(
                f"the ID token must be signed with one of {', '.join(ALGORITHMS)}"
            )
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("the ID token has no 'kid' header")
        key = self._jwks.key_for(kid)
        if key is None:
            raise Unauthenticated(
                "the ID token's signing key is not in the issuer's key set"
            )
        return key


def _reason(exc: jwt.PyJWTError) -> str:
    reasons: list[tuple[type[jwt.PyJWTError], str]] = [
        (jwt.ExpiredSignatureError, "it has expired; sign in again"),
        (jwt.InvalidIssuerError, "it was issued by another issuer"),
        (jwt.InvalidAudienceError, "it was issued for another audience"),
        (jwt.ImmatureSignatureError, "it is not valid yet"),
        (jwt.MissingRequiredClaimError, str(exc)),
        (jwt.InvalidSignatureError, "its signature does not verify"),
        (jwt.InvalidAlgorithmError, "its algorithm does not match its key"),
    ]
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    return "it is malformed"


def _verified_email(claims: dict[str, Any]) -> str:
    if claims.get("email_verified") is not True:
        raise Unauthenticated(
            "the ID token's email is not verified; verify the address with "
            "the identity provider first"
        )
    try:
        return normalize_email(claims.get("email"), "email")
    except InvalidArgument:
        raise Unauthenticated("the ID token carries no valid 'email' claim") from None


def build_verifier(settings: Settings) -> OidcVerifier | None:
    """Return the verifier that OIDC_* settings describe, or None when unset."""
    if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url):
        return None
    jwks = JwksCache(settings.oidc_jwks_url)
    return OidcVerifier(settings.oidc_issuer, settings.oidc_audience, jwks)
