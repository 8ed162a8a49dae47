"""Settings, read once in bootstrap from the environment (prefix ``HOURBRIDGE_``)."""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOURBRIDGE_", extra="ignore")

    database_url: str = Field(
        "sqlite:///hourbridge.db",
        description="SQLAlchemy URL; default a SQLite file in the working folder. "
        "postgresql://user@host/db selects psycopg 3.",
    )
    nats_url: str | None = Field(None, description="optional NATS JetStream fan-out")
    log_level: str = "WARNING"
    worker_batch: int = 200
    intake_workers: int = Field(
        default_factory=lambda: max(0, (os.cpu_count() or 1) - 1),
        description="processes that validate large time files beside the writing one "
        "(0: validate in the writing process only)",
    )
