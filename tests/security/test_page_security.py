"""The billing page: cookie flags, CSRF on every cookie-borne change, a strict CSP."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx

from prepay.auth.sessions import COOKIE_NAME
from tests.conftest import Service
from tests.security.conftest import running_service
from tests.service.helpers import account_state, money_json

META_TOKEN = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


@contextmanager
def signed_in(service: Service, email: str) -> Iterator[httpx.Client]:
    """Yield a client that signed in on the page, with its session cookie."""
    with httpx.Client(base_url=service.url, timeout=15) as client:
        response = client.post("/billing/sign-in", data={"email": email})
        assert response.status_code == 303, response.text
        yield client


def page_token(client: httpx.Client) -> str:
    match = META_TOKEN.search(client.get("/billing").text)
    assert match, "the page has no csrf-token meta element"
    return match.group(1)


def top_up(client: httpx.Client, **headers: str) -> httpx.Response:
    return client.post(
        "/v1/billing/top-up",
        json={"amount": money_json("20.00")},
        headers={"Idempotency-Key": "page-topup-1", **headers},
    )


def test_session_cookie_flags(bare_service: Service) -> None:
    # Two clients, because a signed-in client would need a CSRF token.
    with httpx.Client(base_url=bare_service.url) as client:
        plain = client.post("/billing/sign-in", data={"email": "ann@example.com"})
    with httpx.Client(base_url=bare_service.url) as client:
        # uvicorn trusts X-Forwarded-Proto from 127.0.0.1, as from a proxy.
        behind_tls = client.post(
            "/billing/sign-in",
            data={"email": "ann@example.com"},
            headers={"X-Forwarded-Proto": "https"},
        )

    for response in (plain, behind_tls):
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith(f"{COOKIE_NAME}=")
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/" in cookie
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "secure" in behind_tls.headers["set-cookie"].lower()


def test_cookie_change_without_token_is_403(service: Service) -> None:
    with signed_in(service, "ben@example.com") as other:
        foreign_token = page_token(other)
    with signed_in(service, "ann@example.com") as client:
        cases = {
            "no token": {},
            "empty token": {"X-CSRF-Token": ""},
            "wrong token": {"X-CSRF-Token": "0" * 64},
            "another session's token": {"X-CSRF-Token": foreign_token},
            "non-ASCII token": {"X-CSRF-Token": "é".encode("latin-1")},
            "empty Authorization": {"Authorization": ""},
        }
        for case, headers in cases.items():
            response = top_up(client, **headers)

            assert response.status_code == 403, case
            assert response.json()["error"]["code"] == "PERMISSION_DENIED", case
            assert "CSRF" in response.json()["error"]["message"], case

    _balance, entries = account_state_or_empty(service, "ann@example.com")
    assert entries == []


def test_malformed_cookie_cannot_hide_session(bare_service: Service) -> None:
    with signed_in(bare_service, "ann@example.com") as client:
        session = client.cookies[COOKIE_NAME]
    # http.cookies stops parsing at the first cookie with an open quote.
    header = f'tossed="x; {COOKIE_NAME}={session}'

    with httpx.Client(base_url=bare_service.url) as client:
        response = client.post(
            "/v1/billing/top-up",
            json={"amount": money_json("20.00")},
            headers={"Cookie": header, "Idempotency-Key": "tossed"},
        )

    assert response.status_code == 403, response.text
    assert "CSRF" in response.json()["error"]["message"]


def test_cookie_change_with_token_passes(service: Service) -> None:
    with signed_in(service, "ann@example.com") as client:
        response = top_up(client, **{"X-CSRF-Token": page_token(client)})

    assert response.status_code == 200, response.text
    assert response.json()["transaction"]["userEmail"] == "ann@example.com"


def test_cross_site_form_post_is_403(service: Service) -> None:
    with signed_in(service, "ann@example.com") as client:
        form = client.post(
            "/v1/billing/top-up",
            content='{"amount": {"currencyCode": "USD", "units": "20"}}',
            headers={
                "Content-Type": "text/plain",
                "Origin": "https://attacker.example",
                "Idempotency-Key": "cross-site",
            },
        )
        sign_out = client.post("/billing/sign-out", data={})
        still_signed_in = client.get("/v1/billing/profile")

    assert form.status_code == 403
    assert sign_out.status_code == 403
    assert still_signed_in.status_code == 200


def test_sign_out_form_carries_token(bare_service: Service) -> None:
    with signed_in(bare_service, "ann@example.com") as client:
        token = page_token(client)
        response = client.post("/billing/sign-out", data={"csrf_token": token})
        after = client.get("/v1/billing/profile")

    assert response.status_code == 303
    assert after.status_code == 401


def test_bearer_requests_skip_csrf(bare_service: Service) -> None:
    credit_email = "ann@example.com"
    token = bare_service.token("runner@example.com", "service")
    debit = {
        "userEmail": credit_email,
        "amount": money_json("1.00"),
        "idempotencyKey": "task-1",
    }
    with signed_in(bare_service, "ben@example.com") as client:
        response = client.post(
            "/v1/billing/debits",
            json=debit,
            headers={"Authorization": f"Bearer {token}"},
        )

    # The debit reaches the ledger, which finds no account: not a CSRF 403.
    assert response.status_code == 404, response.text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_scripts = 0
        self.handlers: list[str] = []
        self.styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = "src" not in found
        self.handlers += [name for name in found if name.startswith("on")]
        self.styles += "style" in found

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_page_policy_admits_only_stripe_js(service: Service) -> None:
    stripe_origin = "{0.scheme}://{0.netloc}".format(
        urlsplit(service.settings.stripe_js_url)
    )
    with signed_in(service, "ann@example.com") as client:
        page = client.get("/billing")
    directives = policy(page.headers["content-security-policy"])
    tags = _Tags()
    tags.feed(page.text)

    assert page.status_code == 200
    assert directives["script-src"] == ["'self'", stripe_origin]
    assert set(directives["connect-src"]) <= {"'self'", stripe_origin}
    assert set(directives["frame-src"]) <= {stripe_origin}
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "*" not in " ".join(sum(directives.values(), []))
    assert "unsafe" not in page.headers["content-security-policy"]
    sources = sorted(str(script.get("src")) for script in tags.scripts)
    assert sources == ["/static/billing.js", service.settings.stripe_js_url]
    assert tags.inline_scripts == 0
    assert tags.handlers == []
    assert tags.styles == 0
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_api_and_error_responses_carry_headers(bare_service: Service) -> None:
    with bare_service.client() as client:
        responses = [
            client.get("/v1/billing/config"),
            client.get("/v1/billing/profile"),
            client.post("/v1/billing/debits", content=b"x" * 70_000),
        ]

    assert [r.status_code for r in responses] == [200, 401, 413]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in responses[0].headers


def account_state_or_empty(service: Service, email: str) -> tuple[int, list[object]]:
    try:
        balance, entries = account_state(service, email)
    except Exception:  # noqa: BLE001 (no account row means no entries)
        return 0, []
    return balance, list(entries)


def test_production_hardening(database_url: str) -> None:
    settings = {
        "PREPAY_ENV": "prod",
        "STRIPE_ENABLED": "false",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "SESSION_SECRET": "s" * 40,
    }
    with running_service(database_url, **settings) as service:
        with service.client() as client:
            config = client.get("/v1/billing/config")
            docs = client.get("/docs")
            document = client.get("/openapi.json")
            sign_in = client.post("/billing/sign-in", data={"email": "a@example.com"})

    assert config.status_code == 200
    assert config.headers["strict-transport-security"].startswith("max-age=")
    assert docs.status_code == 404
    assert document.status_code == 200
    assert sign_in.status_code == 404
    assert "set-cookie" not in sign_in.headers
