"""schemathesis against /openapi.json: no 5xx, and every response fits the schema."""

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from prepay.api.app import create_app
from tests.conftest import Service, service_settings
from tests.security.conftest import running_service
from tests.security.test_scopes import documented_routes

# Examples per operation: enough to find schema drift, bounded to keep the
# suite fast.
MAX_EXAMPLES = 30


def _app_schema() -> dict[str, object]:
    """Return the OpenAPI document of an app built with the suite's settings."""
    settings = service_settings("sqlite://", "http://127.0.0.1:9", "whsec_fuzz")
    app = create_app(settings)
    document: dict[str, object] = app.openapi()
    app.state.services.engine.dispose()
    return document


# Loaded at import, because schemathesis 4.32.5's fixture-based loader
# (schemathesis.pytest.from_fixture) fails under pytest 9.2 on the missing
# Function._nodeid. The test below checks that the live document is the same.
APP_SCHEMA = _app_schema()
schema = schemathesis.openapi.from_dict(APP_SCHEMA)
# The service ignores query parameters it does not know, as HTTP APIs do, so
# an extra one is no negative case. The same examples run every time, so a
# failure is never a matter of luck.
schema.config.generation.update(allow_extra_parameters=False, deterministic=True)


@pytest.fixture
def fuzzed_service(sqlite_url: str) -> Iterator[Service]:
    with running_service(sqlite_url) as service:
        yield service


@pytest.fixture
def caller_tokens(fuzzed_service: Service) -> dict[str, str]:
    return {
        scope: fuzzed_service.token(f"fuzz-{scope}@example.com", scope)
        for scope in ("user", "service", "admin")
    }


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_matches_its_schema(
    case: schemathesis.Case, fuzzed_service: Service, caller_tokens: dict[str, str]
) -> None:
    operation = case.operation
    who = documented_routes()[(operation.method.upper(), operation.path)]
    headers = {}
    if who in caller_tokens:
        headers["Authorization"] = f"Bearer {caller_tokens[who]}"

    # Schema-valid requests may still break business rules, such as top-up
    # limits or an unknown time zone, so a 400 for them is not a failure.
    case.call_and_validate(
        base_url=fuzzed_service.url,
        headers=headers,
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


def test_served_schema_is_the_fuzzed_one(fuzzed_service: Service) -> None:
    with fuzzed_service.client() as client:
        served = client.get("/openapi.json")

    assert served.status_code == 200
    assert served.json() == APP_SCHEMA
