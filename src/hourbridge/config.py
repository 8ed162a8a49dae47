"""Settings, read once in bootstrap from the environment (prefix ``HOURBRIDGE_``)."""

from __future__ import annotations

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
    # Off by default: a worker process saves ~15 % of a large ingest here (2 cores) but
    # doubles its memory (a second interpreter with its own master data); set it to the
    # spare cores where memory is plentiful.
    intake_workers: int = Field(
        0, ge=0, description="processes that validate large time files beside the writing "
        "one (0: validate in the writing process only)")
