"""Settings, read once from the environment into one typed object.

Each secret may also come from ``NAME_FILE``, the path of a mounted secret.
The checks here refuse to start with keys of the wrong mode, so a test key
never reaches production and a live key never reaches a laptop.
"""

import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

_SECRET_NAMES = (
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_PUBLISHABLE_KEY",
    "SESSION_SECRET",
    "DATABASE_URL",
)
LIVE_SECRET_PREFIXES = ("sk_live_", "rk_live_")
TEST_SECRET_PREFIXES = ("sk_test_", "rk_test_")
# Text that marks a value copied from an example instead of a real secret.
_PLACEHOLDER_MARKS = ("xxxx", "...", "<", "changeme", "change-me", "placeholder")
MIN_SESSION_SECRET_LENGTH = 32


class ConfigError(ValueError):
    """A setting that is missing, malformed or wrong for the environment."""


def mask_secret(value: str | None) -> str:
    """Show a key's prefix and last four characters, never the rest."""
    if not value:
        return "<unset>"
    prefix = value.split("_", 2)
    head = "_".join(prefix[:2]) + "_" if len(prefix) > 2 else ""
    return f"{head}...{value[-4:]}"


def _looks_like_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(mark in lowered for mark in _PLACEHOLDER_MARKS)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    prepay_env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = Field(default="sqlite:///prepay.db", repr=False)
    stripe_enabled: bool = True
    stripe_secret_key: str | None = Field(default=None, repr=False)
    stripe_webhook_secret: Annotated[list[str], NoDecode] = Field(
        default_factory=list, repr=False
    )
    stripe_publishable_key: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_js_url: str = "https://js.stripe.com/v3/"
    session_secret: str | None = Field(default=None, repr=False)
    # OpenID Connect ID tokens (Firebase Authentication is one issuer): all
    # three or none. For Firebase the issuer is
    # https://securetoken.google.com/PROJECT_ID and the audience PROJECT_ID.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    currency: str = "USD"
    # Top-up limits and presets, in major units of the account's currency.
    topup_min: Decimal = Decimal("10.00")
    topup_max: Decimal = Decimal("10000.00")
    topup_presets: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [25, 50, 100, 200, 500]
    )
    # Top-up requests one account may make per window, counted per process.
    topup_rate_limit: int = Field(default=10, ge=1)
    topup_rate_window_seconds: int = Field(default=600, ge=1)
    # Request bodies larger than these, in bytes, are rejected with 413.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_webhook_body_bytes: int = Field(default=512 * 1024, ge=1024)
    # Webhook timestamps further than this from now, either way, are rejected.
    webhook_tolerance_seconds: int = Field(default=300, ge=1)

    @field_validator("stripe_webhook_secret", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("topup_presets", mode="before")
    @classmethod
    def _split_presets(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check_keys_match_environment(self) -> "Settings":
        if self.prepay_env == "prod":
            problems = _production_problems(self)
        else:
            problems = _development_problems(self)
        problems += _oidc_problems(self)
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    @property
    def is_production(self) -> bool:
        return self.prepay_env == "prod"

    @property
    def payments_enabled(self) -> bool:
        return self.stripe_enabled and bool(self.stripe_secret_key)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)


def _production_problems(settings: Settings) -> list[str]:
    problems = []
    key = settings.stripe_secret_key or ""
    if settings.stripe_enabled and not key.startswith(LIVE_SECRET_PREFIXES):
        problems.append(
            "STRIPE_SECRET_KEY must be a live key (sk_live_...) when "
            "PREPAY_ENV=prod; set it, or set STRIPE_ENABLED=false"
        )
    elif key and _looks_like_placeholder(key):
        problems.append("STRIPE_SECRET_KEY is a placeholder; set the real live key")
    publishable = settings.stripe_publishable_key or ""
    if publishable and not publishable.startswith("pk_live_"):
        problems.append(
            "STRIPE_PUBLISHABLE_KEY must be a live key (pk_live_...) when "
            "PREPAY_ENV=prod"
        )
    # Refunds and disputes keep arriving while STRIPE_ENABLED=false switches
    # top-ups off, so the webhook secret is required either way.
    if not settings.stripe_webhook_secret:
        problems.append(
            "STRIPE_WEBHOOK_SECRET is missing; production never processes "
            "unsigned webhooks"
        )
    elif any(_looks_like_placeholder(s) for s in settings.stripe_webhook_secret):
        problems.append("STRIPE_WEBHOOK_SECRET is a placeholder; set the real one")
    secret = settings.session_secret or ""
    if len(secret) < MIN_SESSION_SECRET_LENGTH:
        problems.append(
            f"SESSION_SECRET must be at least {MIN_SESSION_SECRET_LENGTH} "
            "characters when PREPAY_ENV=prod, for example from "
            "'python -c \"import secrets; print(secrets.token_urlsafe(32))\"'"
        )
    return problems


def _development_problems(settings: Settings) -> list[str]:
    env = settings.prepay_env
    problems = []
    if (settings.stripe_secret_key or "").startswith(LIVE_SECRET_PREFIXES):
        problems.append(
            f"STRIPE_SECRET_KEY is a live key but PREPAY_ENV={env}; "
            "use a test key (sk_test_...) outside production"
        )
    if (settings.stripe_publishable_key or "").startswith("pk_live_"):
        problems.append(
            f"STRIPE_PUBLISHABLE_KEY is a live key but PREPAY_ENV={env}; "
            "use a test key (pk_test_...) outside production"
        )
    return problems


def _oidc_problems(settings: Settings) -> list[str]:
    values = {
        "OIDC_ISSUER": settings.oidc_issuer,
        "OIDC_AUDIENCE": settings.oidc_audience,
        "OIDC_JWKS_URL": settings.oidc_jwks_url,
    }
    missing = [name for name, value in values.items() if not value]
    if len(missing) not in (0, len(values)):
        given = ", ".join(name for name in values if name not in missing)
        return [
            f"{', '.join(missing)} must be set too when {given} is set; "
            "OIDC sign-in needs the issuer, the audience and the JWKS URL"
        ]
    jwks_url = settings.oidc_jwks_url or ""
    if settings.is_production and jwks_url and not jwks_url.startswith("https://"):
        return ["OIDC_JWKS_URL must be an https:// URL when PREPAY_ENV=prod"]
    return []


class _MappingSettings(Settings):
    """Settings from an explicit mapping alone, ignoring the process environment."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _read_secret_files(environ: dict[str, str]) -> dict[str, str]:
    """Fill NAME from the file at NAME_FILE; setting both is an error."""
    values: dict[str, str] = {}
    for name in _SECRET_NAMES:
        path = environ.get(f"{name}_FILE")
        if not path:
            continue
        if environ.get(name):
            raise ConfigError(f"both {name} and {name}_FILE are set; keep one of them")
        try:
            values[name] = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(
                f"{name}_FILE: cannot read {path}: {reason}; mount the secret "
                "there or unset the variable"
            ) from None
        if not values[name]:
            raise ConfigError(f"{name}_FILE: {path} is empty")
    return values


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the process environment, or from the mapping given.

    Raises ConfigError with every problem found, each naming its variable.
    """
    env = dict(os.environ if environ is None else environ)
    env.update(_read_secret_files(env))
    known = set(Settings.model_fields)
    values: dict[str, Any] = {
        k.lower(): v for k, v in env.items() if k.lower() in known
    }
    try:
        return _MappingSettings(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise ConfigError("; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
