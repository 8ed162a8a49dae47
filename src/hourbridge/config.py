"""Settings, read once in bootstrap from the environment (prefix ``HOURBRIDGE_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import SetupRefused


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOURBRIDGE_", extra="ignore")

    database_url: str = Field(
        "sqlite:///hourbridge.db",
        description="SQLAlchemy URL; default a SQLite file in the working folder. "
        "postgresql://user@host/db selects psycopg 3.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "WARNING", description="log level of the structured logs on stderr")
    log_format: Literal["console", "json"] = Field(
        "console", description="console: one readable line per event; json: one JSON object")
    tracing: Literal["none", "console", "otlp"] = Field(
        "none", description="where OpenTelemetry spans go: none, console (stdout) or otlp "
        "(OTLP/HTTP; endpoint from OTEL_EXPORTER_OTLP_ENDPOINT)")
    worker_batch: int = 200
    alert_rules: str | None = Field(
        None, description="path of the YAML file of SLA and business alert rules "
        "(docs/ALERTS.md); unset: the built-in rules")
    alert_interval_seconds: float = Field(
        60.0, gt=0, description="how often the worker (`hourbridge worker`, or the "
        "in-process one of `hourbridge serve`) checks the alert rules")
    worker_lease_seconds: float = Field(
        300.0, gt=0, description="how long a claimed outbox job stays a worker's without a "
        "heartbeat; a dead worker's jobs are rescued after it")
    schedules_file: str | None = Field(
        None, description="YAML or TOML file of schedules (syncs, billing and revenue runs, "
        "payroll and warehouse exports) the worker runs; see `hourbridge schedules --help`")
    nats_url: str | None = Field(
        None, description="nats:// URL of a NATS server with JetStream: when set, the worker "
        "also publishes every delivered outbox event there (stream HOURBRIDGE)")
    # Off by default: a worker process saves ~15 % of a large ingest here (2 cores) but
    # doubles its memory (a second interpreter with its own master data); set it to the
    # spare cores where memory is plentiful.
    intake_workers: int = Field(
        0, ge=0, description="processes that validate large time files beside the writing "
        "one (0: validate in the writing process only)")

    secret_key: SecretStr | None = Field(
        None, description="Fernet key (urlsafe base64 of 32 bytes) that encrypts tracker "
        "connection secrets at rest; needed by `connections` and `sync`")
    # API access (issue 14): keys come from `hourbridge keys create`; bearer JWTs of an
    # OAuth2 issuer are taken when all three oauth settings are set
    api_rate_limit: int = Field(
        600, ge=0, description="requests a minute per API key or token, shared by every "
        "server process, unless the key sets its own; 0: no limit")
    oauth_issuer: str | None = Field(None, description="`iss` of accepted bearer JWTs")
    oauth_audience: str | None = Field(None, description="`aud` accepted bearer JWTs name")
    oauth_jwks: str | None = Field(
        None, description="the issuer's keys: a JWKS file path or an https URL")
    session_hours: float = Field(
        8.0, gt=0, le=24 * 30, description="how long a dashboard login lasts")
    actor: str | None = Field(
        None, description="the name the command line records as who acted (default: the "
        "operating system user)")

    # the tracker imitations of the tests and benches serve plain HTTP on loopback; any
    # other plain-HTTP base URL is refused so a secret never crosses a network in clear
    allow_loopback_http: bool = True

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", "tracing", mode="before")
    @classmethod
    def _format_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


def load_settings() -> Settings:
    """The settings from the environment; a bad value is one ``SetupRefused`` line naming
    the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "HOURBRIDGE_" + "_".join(str(p) for p in first["loc"]).upper()
        raise SetupRefused(f"{name}: {first['msg']}") from None
