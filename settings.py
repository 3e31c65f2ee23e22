"""Runtime settings: one object, built at each entry point (worker, CLI, web app), passed down.

Read from the environment with the ``FOIFLOW_`` prefix (and a ``.env`` file for development).
Temporal's own ``TEMPORAL_ADDRESS`` and ``TEMPORAL_NAMESPACE`` are honoured too, so a shell set
up for the ``temporal`` CLI points foiflow at the same server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GOVUK_FEED_URL = "https://www.gov.uk/bank-holidays.json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FOIFLOW_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Path(".data")
    # Empty: SQLite in the data directory. e.g. postgresql+psycopg://user@host/db
    database_url: str = ""
    temporal_address: str = Field(
        default="127.0.0.1:7233",
        validation_alias=AliasChoices("FOIFLOW_TEMPORAL_ADDRESS", "TEMPORAL_ADDRESS"),
    )
    temporal_namespace: str = Field(
        default="default",
        validation_alias=AliasChoices("FOIFLOW_TEMPORAL_NAMESPACE", "TEMPORAL_NAMESPACE"),
    )
    task_queue: str = "foiflow"
    calendar_feed_url: str = GOVUK_FEED_URL
    # The web app (API and pages).
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=1, le=65535)
    token_ttl_hours: float = Field(default=12, gt=0, le=24 * 90)
    session_ttl_hours: float = Field(default=12, gt=0, le=24 * 90)
    # Signs CSRF tokens. Empty: generated once and kept in $FOIFLOW_DATA_DIR/secret_key.
    secret_key: SecretStr = SecretStr("")
    # None: Secure cookies unless web_host is a loopback address (plain http in development).
    cookie_secure: bool | None = None
    # Failed logins within the window before further attempts get 429, per username and per
    # client address (higher: an office shares one address).
    login_window_minutes: int = Field(default=15, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)

    # Delivery: what links in messages point at, and how the outbox is drained.
    public_url: str = "http://127.0.0.1:8000"
    dispatch_in_worker: bool = True  # the worker drains the outbox beside its Temporal work
    dispatch_interval_seconds: float = Field(default=30, gt=0)
    delivery_max_attempts: int = Field(default=5, ge=1, le=20)
    delivery_backoff_seconds: float = Field(default=60, gt=0)  # doubled after each failed try
    # Messages go out on working days from the authority's send hour (reminders.send_hour) until
    # this local hour; anything later waits for the next working morning.
    delivery_until_hour: int = Field(default=18, ge=1, le=24)
    # The daily digest goes this long after the send hour, so the reminders cases queue at the
    # send hour are in it.
    digest_after_minutes: int = Field(default=5, ge=0, le=180)
    # Email over SMTP. The defaults reach the local sink `foiflow up` starts.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    mail_from: str = "FOI team <foi@foiflow.localhost>"
    # The local SMTP sink (development): where it listens, under data_dir/mail.
    mail_sink_port: int = Field(default=8025, ge=1, le=65535)
    # Chat channels: a JSON POST signed with HMAC-SHA256 of this secret.
    webhook_secret: SecretStr = SecretStr("")
    # GOV.UK Notify: an API key, its base URL, and the email template with ((subject)) and
    # ((body)) placeholders (a route's target may name another).
    notify_api_key: SecretStr = SecretStr("")
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_template_id: str = ""

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        resolved = self.data_dir.expanduser().resolve()
        object.__setattr__(self, "data_dir", resolved)
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{resolved / 'foiflow.db'}")
        return self

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


def get_settings() -> Settings:
    """A fresh settings object from the environment; entry points call this once and pass it on."""
    return Settings()
