"""The billing page's session cookie: a signed, timestamped email."""

from itsdangerous import BadSignature, URLSafeTimedSerializer

from prepay.auth.tokens import Principal

COOKIE_NAME = "prepay_session"
MAX_AGE_SECONDS = 12 * 3600


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="prepay-session")

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
