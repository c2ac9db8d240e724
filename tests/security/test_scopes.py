"""Scopes: each route serves only the callers docs/security.md names for it."""

import re
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from prepay.api.app import create_app
from prepay.config import load_settings
from tests.conftest import Service
from tests.service.helpers import account_state, credit, money_json, usd

TABLE = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| (/\S*) \| (\w+) \|")
WHO = ("anyone", "operators", "user", "service", "admin", "Stripe")
EXAMPLE_PARAMETERS = {"{transaction_id}": "txn_missing", "{path}": "billing.css"}
DENIED = (401, 403)


def documented_routes() -> dict[tuple[str, str], str]:
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            method, path, who = match.groups()
            rows[(method, path)] = who
    return rows


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    routes = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            routes.add(("GET", f"{context.path}/{{path}}"))
            continue
        for method in context.methods or ():
            if method != "HEAD":
                routes.add((method, str(context.path)))
    return routes


def test_table_lists_every_route(tmp_path: Path) -> None:
    settings = load_settings(
        {"PREPAY_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path}/routes.db"}
    )
    app = create_app(settings)
    documented = documented_routes()

    served = app_routes(app)
    app.state.services.engine.dispose()

    assert served - set(documented) == set(), "routes missing from docs/security.md"
    assert set(documented) - served == set(), "rows for routes the app lacks"
    for (method, path), who in documented.items():
        assert who in WHO, f"{method} {path}: unknown caller {who!r}"


def call(service: Service, method: str, path: str, token: str | None) -> httpx.Response:
    for name, value in EXAMPLE_PARAMETERS.items():
        path = path.replace(name, value)
    body = {} if method != "GET" else None
    with service.client(token) as client:
        return client.request(method, path, json=body)


def test_each_route_rejects_wrong_callers(bare_service: Service) -> None:
    tokens = {
        scope: bare_service.token(f"{scope}@example.com", scope)
        for scope in ("user", "service", "admin")
    }
    expected_status = {
        "user": {None: 401, "service": 403, "admin": 403},
        "service": {None: 401, "user": 403},
        "admin": {None: 401, "user": 403, "service": 403},
        "Stripe": {None: 400, "admin": 400},
    }
    allowed = {
        "anyone": (None,),
        "operators": (None,),
        "user": ("user",),
        "service": ("service", "admin"),
        "admin": ("admin",),
        "Stripe": (),
    }
    for (method, path), who in documented_routes().items():
        for scope, status in expected_status.get(who, {}).items():
            token = tokens[scope] if scope else None
            response = call(bare_service, method, path, token)

            assert response.status_code == status, f"{method} {path} as {scope}"
        for scope in allowed[who]:
            token = tokens[scope] if scope else None
            response = call(bare_service, method, path, token)

            assert response.status_code not in DENIED, f"{method} {path} as {scope}"


def test_user_reads_only_own_entries(bare_service: Service) -> None:
    ann_entry = credit(bare_service, "ann@example.com", "30.00")
    credit(bare_service, "ben@example.com", "10.00")
    ben = bare_service.token("ben@example.com", "user")

    with bare_service.client(ben) as client:
        single = client.get(f"/v1/billing/transactions/{ann_entry.id}")
        absent = client.get("/v1/billing/transactions/txn_000000000000000000000000")
        listed = client.get("/v1/billing/transactions")
        exported = client.get("/v1/billing/transactions.csv")
        own_profile = client.get("/v1/billing/profile")

    # Another account's entry looks exactly like one that does not exist.
    assert single.status_code == 404
    assert absent.status_code == 404
    assert single.json()["error"]["message"].replace(ann_entry.id, "ID") == (
        absent.json()["error"]["message"].replace("txn_000000000000000000000000", "ID")
    )
    assert listed.status_code == 200
    assert ann_entry.id not in listed.text
    assert exported.status_code == 200
    assert ann_entry.id not in exported.text
    assert own_profile.json()["userEmail"] == "ben@example.com"
    assert own_profile.json()["availableBalance"]["units"] == "10"


def test_service_debits_but_cannot_read(bare_service: Service) -> None:
    credit(bare_service, "ann@example.com", "30.00")
    service_token = bare_service.token("runner@example.com", "service")
    debit = {
        "userEmail": "ann@example.com",
        "amount": money_json("2.50"),
        "idempotencyKey": "task-1",
    }
    adjustment = {
        "userEmail": "ann@example.com",
        "amount": money_json("100.00"),
        "reason": "goodwill",
    }

    with bare_service.client(service_token) as client:
        debited = client.post("/v1/billing/debits", json=debit)
        history = client.get(
            "/v1/billing/transactions", params={"userEmail": "ann@example.com"}
        )
        adjusted = client.post("/v1/billing/adjustments", json=adjustment)

    assert debited.status_code == 200, debited.text
    assert history.status_code == 403
    assert "ann@example.com" not in history.text
    assert adjusted.status_code == 403
    balance, _entries = account_state(bare_service, "ann@example.com")
    assert balance == usd("27.50").nanos


def test_only_admins_adjust(bare_service: Service) -> None:
    credit(bare_service, "ann@example.com", "30.00")
    adjustment = {
        "userEmail": "ann@example.com",
        "amount": money_json("5.00"),
        "reason": "goodwill",
    }
    statuses = {}
    for scope in ("user", "service", "admin"):
        token = bare_service.token(f"{scope}@example.com", scope)
        with bare_service.client(token) as client:
            statuses[scope] = client.post("/v1/billing/adjustments", json=adjustment)

    assert statuses["user"].status_code == 403
    assert statuses["service"].status_code == 403
    assert statuses["admin"].status_code == 200, statuses["admin"].text
    balance, _entries = account_state(bare_service, "ann@example.com")
    assert balance == usd("35.00").nanos


def test_user_cannot_debit_or_name_another(bare_service: Service) -> None:
    credit(bare_service, "ann@example.com", "30.00")
    ben = bare_service.token("ben@example.com", "user")
    debit = {
        "userEmail": "ann@example.com",
        "amount": money_json("2.50"),
        "idempotencyKey": "task-1",
    }
    top_up = {"amount": money_json("20.00"), "userEmail": "ann@example.com"}

    with bare_service.client(ben) as client:
        debited = client.post("/v1/billing/debits", json=debit)
        topped_up = client.post(
            "/v1/billing/top-up", json=top_up, headers={"Idempotency-Key": "k1"}
        )

    assert debited.status_code == 403
    assert topped_up.status_code == 400
    assert topped_up.json()["error"]["details"]["field"] == "userEmail"
    balance, entries = account_state(bare_service, "ann@example.com")
    assert balance == usd("30.00").nanos
    assert len(entries) == 1
