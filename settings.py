"""Runtime settings, read from the environment (``FOIFLOW_*``) with laptop-friendly defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

GOVUK_FEED_URL = "https://www.gov.uk/bank-holidays.json"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"FOIFLOW_{name}", default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", ".data")).resolve())
    temporal_address: str = field(
        default_factory=lambda: _env("TEMPORAL_ADDRESS", "127.0.0.1:7233")
    )
    temporal_namespace: str = field(default_factory=lambda: _env("TEMPORAL_NAMESPACE", "default"))
    task_queue: str = field(default_factory=lambda: _env("TASK_QUEUE", "foiflow"))
    calendar_feed_url: str = field(
        default_factory=lambda: _env("CALENDAR_FEED_URL", GOVUK_FEED_URL)
    )
    database_url_override: str | None = field(
        default_factory=lambda: os.environ.get("FOIFLOW_DATABASE_URL")
    )

    @property
    def database_url(self) -> str:
        if self.database_url_override:
            return self.database_url_override
        return f"sqlite:///{self.data_dir / 'foiflow.db'}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


def get_settings() -> Settings:
    return Settings()
