"""The billing page's session cookie: a signed, timestamped email.

Each session has a CSRF token: an HMAC of the cookie's value under the
session secret. The page sends it back with every state-changing request,
which a cross-site form or script cannot do, because it can read neither the
HttpOnly cookie nor the page.
"""

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeTimedSerializer

from prepay.auth.tokens import Principal

COOKIE_NAME = "prepay_session"
MAX_AGE_SECONDS = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="prepay-session")
        self._csrf_key = hashlib.sha256(b"prepay-csrf|" + secret.encode()).digest()

    def sign(self, email: str) -> str:
        return self._serializer.dumps({"email": email})

    def load(self, cookie: str) -> Principal | None:
        try:
            data = self._serializer.loads(cookie, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        email = data.get("email") if isinstance(data, dict) else None
        return (
            Principal(email, "user", via="session") if isinstance(email, str) else None
        )

    def csrf_token(self, cookie: str) -> str:
        """Return the CSRF token bound to this session cookie's value."""
        return hmac.new(self._csrf_key, cookie.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, cookie: str, token: str | None) -> bool:
        if not token:
            return False
        expected = self.csrf_token(cookie).encode()
        return hmac.compare_digest(expected, token.encode("utf-8", "replace"))
