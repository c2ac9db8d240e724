"""Settings: secrets from the environment or mounted files, keys of the right mode."""

from pathlib import Path

import pytest

from prepay.config import ConfigError, load_settings, mask_secret

LIVE_KEY = "sk_live_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"
WEBHOOK_SECRET = "whsec_" + "0123456789abcdef0123456789abcdef"
SESSION_SECRET = "session-secret-of-forty-characters-long!"


def production(**overrides: str) -> dict[str, str]:
    environ = {
        "PREPAY_ENV": "prod",
        "STRIPE_SECRET_KEY": LIVE_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_live_" + "q" * 24,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SESSION_SECRET": SESSION_SECRET,
    }
    environ.update(overrides)
    return {name: value for name, value in environ.items() if value != "<unset>"}


def test_production_accepts_live_keys() -> None:
    settings = load_settings(production())

    assert settings.is_production
    assert settings.stripe_secret_key == LIVE_KEY
    assert settings.stripe_webhook_secret == [WEBHOOK_SECRET]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"STRIPE_SECRET_KEY": "sk_test_" + "a" * 24}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "rk_test_" + "a" * 24}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "<unset>"}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "sk_live_xxxxxxxxxxxxxxxx"}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_PUBLISHABLE_KEY": "pk_test_" + "a" * 24}, "STRIPE_PUBLISHABLE_KEY"),
        ({"STRIPE_WEBHOOK_SECRET": "<unset>"}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_..."}, "STRIPE_WEBHOOK_SECRET"),
        (
            {"STRIPE_WEBHOOK_SECRET": "<unset>", "STRIPE_ENABLED": "false"},
            "STRIPE_WEBHOOK_SECRET",
        ),
        ({"SESSION_SECRET": "<unset>"}, "SESSION_SECRET"),
        ({"SESSION_SECRET": "short"}, "SESSION_SECRET"),
        (
            {
                "OIDC_ISSUER": "https://securetoken.google.com/p",
                "OIDC_AUDIENCE": "p",
                "OIDC_JWKS_URL": "http://keys.example/jwks.json",
            },
            "OIDC_JWKS_URL",
        ),
    ],
)
def test_production_rejects(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(production(**overrides))


@pytest.mark.parametrize("env", ["dev", "test"])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE_SECRET_KEY", LIVE_KEY),
        ("STRIPE_SECRET_KEY", "rk_live_" + "a" * 24),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_" + "a" * 24),
    ],
)
def test_development_rejects_live_keys(env: str, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} is a live key"):
        load_settings({"PREPAY_ENV": env, name: value})


def test_every_problem_is_reported_at_once() -> None:
    environ = production(STRIPE_SECRET_KEY="sk_test_abc", SESSION_SECRET="<unset>")

    with pytest.raises(ConfigError) as raised:
        load_settings(environ)

    assert "STRIPE_SECRET_KEY" in str(raised.value)
    assert "SESSION_SECRET" in str(raised.value)


def test_secrets_read_from_files(tmp_path: Path) -> None:
    names = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SESSION_SECRET")
    environ = production()
    for name in names:
        path = tmp_path / name.lower()
        path.write_text(environ.pop(name) + "\n", encoding="utf-8")
        environ[f"{name}_FILE"] = str(path)

    settings = load_settings(environ)

    assert settings.stripe_secret_key == LIVE_KEY
    assert settings.stripe_webhook_secret == [WEBHOOK_SECRET]
    assert settings.session_secret == SESSION_SECRET


def test_rotating_webhook_secrets_split(tmp_path: Path) -> None:
    second = "whsec_" + "f" * 32
    path = tmp_path / "webhook"
    path.write_text(f"{WEBHOOK_SECRET}, {second}\n", encoding="utf-8")
    environ = production(STRIPE_WEBHOOK_SECRET="<unset>")
    environ["STRIPE_WEBHOOK_SECRET_FILE"] = str(path)

    settings = load_settings(environ)

    assert settings.stripe_webhook_secret == [WEBHOOK_SECRET, second]


def test_secret_file_problems_name_the_variable(tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    cases = [
        ({"STRIPE_SECRET_KEY_FILE": str(absent)}, f"cannot read {absent}"),
        ({"STRIPE_SECRET_KEY_FILE": str(empty)}, f"{empty} is empty"),
        (
            {"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_SECRET_KEY_FILE": str(empty)},
            "both STRIPE_SECRET_KEY and STRIPE_SECRET_KEY_FILE are set",
        ),
    ]
    for environ, message in cases:
        with pytest.raises(ConfigError) as raised:
            load_settings({"PREPAY_ENV": "test", **environ})

        assert "STRIPE_SECRET_KEY_FILE" in str(raised.value)
        assert message in str(raised.value)


def test_oidc_needs_all_three_settings() -> None:
    with pytest.raises(ConfigError, match="OIDC_AUDIENCE, OIDC_JWKS_URL"):
        load_settings({"PREPAY_ENV": "test", "OIDC_ISSUER": "https://issuer.example"})


def test_secrets_hidden_from_repr() -> None:
    settings = load_settings(production())

    shown = repr(settings)

    assert LIVE_KEY not in shown
    assert WEBHOOK_SECRET not in shown
    assert SESSION_SECRET not in shown


def test_mask_shows_prefix_and_last_four() -> None:
    assert mask_secret(LIVE_KEY) == "sk_live_...o5P6"
    assert mask_secret(WEBHOOK_SECRET) == "...cdef"
    assert mask_secret(None) == "<unset>"


def test_empty_environment_is_development() -> None:
    settings = load_settings({})

    assert settings.prepay_env == "dev"
    assert settings.stripe_webhook_secret == []
    assert settings.max_body_bytes == 64 * 1024
