"""Settings, read once from the environment into one typed object.

Each secret may also come from ``NAME_FILE``, the path of a mounted secret.
The checks here refuse to start with keys of the wrong mode, so a test key
never reaches production and a live key never reaches a laptop.
"""

import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

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


class ConfigError(ValueError):
    """A setting that is missing, malformed or wrong for the environment."""


def mask_secret(value: str | None) -> str:
    """Show a key's prefix and last four characters, never the rest."""
    if not value:
        return "<unset>"
    prefix = value.split("_", 2)
    head = "_".join(prefix[:2]) + "_" if len(prefix) > 2 else ""
    return f"{head}...{value[-4:]}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    prepay_env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite:///prepay.db"
    stripe_enabled: bool = True
    stripe_secret_key: str | None = None
    stripe_webhook_secret: Annotated[list[str], NoDecode] = Field(default_factory=list)
    stripe_publishable_key: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_js_url: str = "https://js.stripe.com/v3/"
    session_secret: str | None = None
    currency: str = "USD"
    # Top-up limits and presets, in major units of the account's currency.
    topup_min: Decimal = Decimal("10.00")
    topup_max: Decimal = Decimal("10000.00")
    topup_presets: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [25, 50, 100, 200, 500]
    )
    # Webhook timestamps further than this from now, either way, are rejected.
    webhook_tolerance_seconds: int = 300

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
        key = self.stripe_secret_key or ""
        if self.prepay_env == "prod":
            if self.stripe_enabled and not key.startswith(("sk_live_", "rk_live_")):
                raise ConfigError(
                    "STRIPE_SECRET_KEY must be a live key (sk_live_...) when "
                    "PREPAY_ENV=prod; set it, or set STRIPE_ENABLED=false"
                )
            if self.stripe_enabled and not self.stripe_webhook_secret:
                raise ConfigError(
                    "STRIPE_WEBHOOK_SECRET is missing; production never "
                    "processes unsigned webhooks"
                )
            if not self.session_secret:
                raise ConfigError("SESSION_SECRET is required when PREPAY_ENV=prod")
        elif key.startswith(("sk_live_", "rk_live_")):
            raise ConfigError(
                f"STRIPE_SECRET_KEY is a live key but PREPAY_ENV={self.prepay_env}; "
                "use a test key (sk_test_...) outside production"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.prepay_env == "prod"

    @property
    def payments_enabled(self) -> bool:
        return self.stripe_enabled and bool(self.stripe_secret_key)


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
    """Fill NAME from the file at NAME_FILE, unless NAME itself is set."""
    values: dict[str, str] = {}
    for name in _SECRET_NAMES:
        path = environ.get(f"{name}_FILE")
        if path and name not in environ:
            values[name] = Path(path).read_text(encoding="utf-8").strip()
    return values


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the process environment, or from the mapping given.

    Raises ConfigError with every problem found, each naming its variable.
    """
    env = dict(os.environ if environ is None else environ)
    env.update(_read_secret_files(env))
    known = set(Settings.model_fields)
    values = {k.lower(): v for k, v in env.items() if k.lower() in known}
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
