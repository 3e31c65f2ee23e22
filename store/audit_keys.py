"""The audit key from settings: ``FOIFLOW_AUDIT_KEY``, else one generated and kept in the data dir.

Its own key, not the web app's ``secret_key``: that one signs CSRF tokens and may be rotated at
any time (it only ends sessions), while every audit row ever signed must stay verifiable, and a
key that leaks with the web app must not let anyone rewrite the log.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from settings import Settings
from store.audit import AuditKey, AuditKeyring, use_audit_keys

AUDIT_KEY_FILE = "audit_key"
MIN_KEY_CHARS = 32


def _generated(path: Path) -> str:
    """The key in ``path``, made (mode 0600) when there is none yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text("utf-8").strip()
        if len(key) < MIN_KEY_CHARS:
            raise RuntimeError(
                f"{path} holds no usable audit key (fewer than {MIN_KEY_CHARS} characters); "
                "restore it from a backup: rows it signed cannot be verified without it"
            ) from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return key


def _checked(key: str, setting: str) -> str:
    if len(key) < MIN_KEY_CHARS:
        raise ValueError(f"{setting}: an audit key needs at least {MIN_KEY_CHARS} characters")
    return key


def load_audit_keyring(settings: Settings) -> AuditKeyring:
    """The keys of ``settings``: never logged, never returned by any API."""
    configured = settings.audit_key.get_secret_value().strip()
    if configured:
        current = _checked(configured, "FOIFLOW_AUDIT_KEY")
    else:
        current = _generated(settings.ensure_data_dir() / AUDIT_KEY_FILE)
    previous = [
        _checked(k.strip(), "FOIFLOW_AUDIT_PREVIOUS_KEYS")
        for k in settings.audit_previous_keys.get_secret_value().split(",")
        if k.strip()
    ]
    return AuditKeyring(
        current=AuditKey(current.encode("utf-8")),
        previous=tuple(AuditKey(k.encode("utf-8")) for k in previous),
    )


def configure_audit(settings: Settings | Callable[[], Settings]) -> None:
    """Use the audit keys of ``settings`` in this process (read, or made, on first use; a
    function giving the settings is called then too, so a command that never logs reads none).

    Entry points call it: the worker's activities, the web app's store, the CLI, the calendar
    repository. Calling it again with the same settings changes nothing.
    """
    use_audit_keys(
        lambda: load_audit_keyring(settings if isinstance(settings, Settings) else settings())
    )
