"""Runtime settings: one object, built at each entry point (worker, CLI, web app), passed down.

Read from the environment with the ``FOIFLOW_`` prefix (and a ``.env`` file for development).
Temporal's own ``TEMPORAL_ADDRESS`` and ``TEMPORAL_NAMESPACE`` are honoured too, so a shell set
up for the ``temporal`` CLI points foiflow at the same server.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

GOVUK_FEED_URL = "https://www.gov.uk/bank-holidays.json"
ENV_PREFIX = "FOIFLOW_"
PAYLOAD_KEY_BYTES = 32  # AES-256
_PAYLOAD_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise PydanticCustomError(
            "port", "{value} is not a port number (1 to 65535)", {"value": value}
        )
    return value


Port = Annotated[int, AfterValidator(_port)]
WorkerSandbox = Literal["on", "off"]


def split_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as host and port; ValueError when it is not one."""
    host, sep, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"{address!r} is not HOST:PORT (e.g. 127.0.0.1:7233)")
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"{address!r}: {int(port)} is not a port number (1 to 65535)")
    return host, int(port)


def parse_payload_keys(text: str) -> dict[str, bytes]:
    """``FOIFLOW_PAYLOAD_KEYS`` (``id:base64key,…``) as ``{id: key}``, in the order given.

    ValueError names the entry by its position or id, never by its key material.
    """
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(text.split(","), 1):
        if not entry.strip():
            continue
        key_id, sep, encoded = (part.strip() for part in entry.partition(":"))
        if not sep or not encoded:
            raise ValueError(
                f"entry {position} is not ID:BASE64KEY (e.g. k1:<openssl rand -base64 32>)"
            )
        if not _PAYLOAD_KEY_ID.fullmatch(key_id):
            raise ValueError(
                f"entry {position}: a key id is 1 to 64 letters, digits, '.', '_' or '-'"
            )
        try:
            # Standard or URL-safe alphabet, padding as given.
            key = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"key {key_id!r} is not base64") from None
        if len(key) != PAYLOAD_KEY_BYTES:
            raise ValueError(
                f"key {key_id!r} is {len(key)} bytes; AES-256 needs {PAYLOAD_KEY_BYTES} "
                "(make one with `openssl rand -base64 32`)"
            )
        if key_id in keys:
            raise ValueError(f"key id {key_id!r} is listed twice")
        keys[key_id] = key
    return keys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        frozen=True,
        # Errors never repeat what was given: several settings are keys.
        hide_input_in_errors=True,
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
    # The authority's own letter templates: a file here (e.g. ``letters/response.html``)
    # replaces foiflow's template of the same name; anything not overridden comes from foiflow.
    templates_dir: Path | None = None
    # The web app (API and pages).
    web_host: str = "127.0.0.1"
    web_port: Port = 8000
    # The Temporal Web UI of the dev server `foiflow up` starts (its gRPC port is the one in
    # temporal_address). Give each stack its own ports to run two side by side.
    temporal_ui_port: Port = 8233
    token_ttl_hours: float = Field(default=12, gt=0, le=24 * 90)
    session_ttl_hours: float = Field(default=12, gt=0, le=24 * 90)
    # Signs CSRF tokens. Empty: generated once and kept in $FOIFLOW_DATA_DIR/secret_key.
    secret_key: SecretStr = SecretStr("")
    # Keys the audit log's hash chains (HMAC-SHA256). Empty: generated once and kept in
    # $FOIFLOW_DATA_DIR/audit_key. Every process writing one store must share it: set it when the
    # worker and the web app run on different hosts. Separate from secret_key, which may be
    # rotated at will; a rotated audit key must stay listed in audit_previous_keys.
    audit_key: SecretStr = SecretStr("")
    # Earlier audit keys, comma-separated: rows they signed still verify.
    audit_previous_keys: SecretStr = SecretStr("")
    # Temporal payload encryption (AES-256-GCM; docs/deploy.md): ``id:base64key`` pairs,
    # comma-separated. Every listed key decrypts; payload_key_id (else the first listed)
    # encrypts. Empty: one key generated once into $FOIFLOW_DATA_DIR/payload_keys. Every process
    # on one Temporal namespace (worker, web app, dispatcher, CLI) must list the same keys.
    payload_keys: SecretStr = SecretStr("")
    payload_key_id: str = ""
    # Browser origins of the Temporal Web UI that may call the codec endpoint (/codec),
    # comma-separated, e.g. https://temporal.example.org. Empty: the dev server's UI that
    # `foiflow up` starts (http://127.0.0.1 and http://localhost at temporal_ui_port).
    temporal_ui_origins: str = ""
    # None: Secure cookies unless web_host is a loopback address (plain http in development).
    cookie_secure: bool | None = None
    # Failed logins within the window before further attempts get 429, per username and per
    # client address (higher: an office shares one address).
    login_window_minutes: int = Field(default=15, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)

    # Operations (docs/deploy.md). Logs: readable lines in development, one JSON object per line
    # in production; never requester data (emails are redacted as a safety net).
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # The worker's Temporal SDK metrics for Prometheus on this port (all interfaces); 0: off.
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    # Worker tuning (bench/RESULTS.md has the measurements behind the defaults). Cases kept in
    # the worker's cache (a case woken outside it replays its history from the start), workflow
    # and activity tasks run at once, and the threads the (synchronous) activities run on.
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    worker_max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    worker_max_concurrent_activities: int = Field(default=8, ge=1)
    worker_activity_threads: int = Field(default=8, ge=1, le=256)
    # "on": every case runs in Temporal's sandbox, its workflow module imported afresh and its
    # calls checked for determinism; "off": plain Python, about a third less worker CPU a case
    # (bench/RESULTS.md). The test suite's workers and the replay tests always run sandboxed:
    # that is where a non-deterministic call is caught, before it is deployed.
    worker_sandbox: WorkerSandbox = "off"
    # Cases a calendar change signals a second (the batch operation's rate); 0: the Temporal
    # server's own limit (worker.batcherRPS, 50 by default). Below what the workers can re-plan,
    # every case keeps answering queries while the change spreads.
    calendar_signal_rate: float = Field(default=0.0, ge=0)
    # TLS to Temporal: files in PEM. A client certificate and key give mutual TLS; a CA alone
    # verifies a server with a private CA. Temporal's own variable names are honoured too.
    temporal_tls: bool = Field(
        default=False, validation_alias=AliasChoices("FOIFLOW_TEMPORAL_TLS", "TEMPORAL_TLS")
    )
    temporal_tls_cert: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("FOIFLOW_TEMPORAL_TLS_CERT", "TEMPORAL_TLS_CERT"),
    )
    temporal_tls_key: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("FOIFLOW_TEMPORAL_TLS_KEY", "TEMPORAL_TLS_KEY"),
    )
    temporal_tls_ca: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("FOIFLOW_TEMPORAL_TLS_CA", "TEMPORAL_TLS_CA"),
    )
    temporal_tls_server_name: str = Field(
        default="",
        validation_alias=AliasChoices(
            "FOIFLOW_TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_TLS_SERVER_NAME"
        ),
    )
    # Temporal Cloud's API keys (TLS is then on without further settings).
    temporal_api_key: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("FOIFLOW_TEMPORAL_API_KEY", "TEMPORAL_API_KEY"),
    )

    @field_validator("payload_keys")
    @classmethod
    def _payload_keys_usable(cls, value: SecretStr) -> SecretStr:
        try:
            parse_payload_keys(value.get_secret_value())
        except ValueError as exc:
            raise PydanticCustomError("payload_keys", "{reason}", {"reason": str(exc)}) from None
        return value

    @field_validator("temporal_ui_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",")):
            if origin and not _ORIGIN.fullmatch(origin):
                raise PydanticCustomError(
                    "origin",
                    "'{origin}' is not an origin: scheme://host[:port], no path "
                    "(e.g. https://temporal.example.org)",
                    {"origin": origin[:100]},
                )
        return value

    @model_validator(mode="after")
    def _payload_key_listed(self) -> Settings:
        if not self.payload_key_id:
            return self
        listed = list(parse_payload_keys(self.payload_keys.get_secret_value()))
        if self.payload_key_id not in listed:
            raise PydanticCustomError(
                "payload_key_id",
                "FOIFLOW_PAYLOAD_KEY_ID: no key '{key_id}' in FOIFLOW_PAYLOAD_KEYS ({listed}); "
                "name one of its ids",
                {
                    "key_id": self.payload_key_id[:64],
                    "listed": "it lists " + ", ".join(listed) if listed else "it is empty",
                },
            )
        return self

    @property
    def codec_origins(self) -> list[str]:
        """The browser origins allowed to call the codec endpoint (``temporal_ui_origins``)."""
        given = [o.strip() for o in self.temporal_ui_origins.split(",") if o.strip()]
        port = self.temporal_ui_port
        return given or [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _client_certificate_pair(self) -> Settings:
        # A certificate without its key (or the reverse) cannot make a TLS handshake: say which.
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            present, missing = (
                ("temporal_tls_cert", "temporal_tls_key")
                if self.temporal_tls_key is None
                else ("temporal_tls_key", "temporal_tls_cert")
            )
            raise PydanticCustomError(
                "tls_pair",
                "{missing}: must be set with {present} (mutual TLS needs both)",
                {"missing": env_name(missing), "present": env_name(present)},
            )
        return self

    @property
    def temporal_uses_tls(self) -> bool:
        return bool(
            self.temporal_tls
            or self.temporal_tls_cert
            or self.temporal_tls_ca
            or self.temporal_api_key.get_secret_value()
        )

    @field_validator("temporal_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        try:
            split_address(value)
        except ValueError as exc:
            raise PydanticCustomError("address", str(exc)) from None
        return value

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


def env_name(field: str) -> str:
    """The environment variable that sets ``field`` (its first alias, else the prefixed name)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    if isinstance(alias, str):
        return alias
    return ENV_PREFIX + field.upper()


def settings_problem(exc: ValidationError) -> str:
    """The first thing wrong with the environment's settings, as ``VARIABLE: reason``."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    where = env_name(loc[0]) if loc and not loc[0].startswith(ENV_PREFIX) else ".".join(loc)
    return f"{where}: {error['msg']}" if where else error["msg"]


def get_settings() -> Settings:
    """A fresh settings object from the environment; entry points call this once and pass it on."""
    return Settings()
