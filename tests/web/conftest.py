"""The web tests' fixtures, defined in ``web_support`` (a module name of its own, so tests can
import its helpers whatever order pytest collects the folders in)."""

from web_support import (
    admin_headers,
    api,
    app,
    case_api,
    case_app,
    case_settings,
    case_store,
    case_worker,
    cases_app,
    client,
    headers,
    runtime,
    seeded_template,
    session_settings,
    settings,
    tokens,
    with_passwords,
)

__all__ = [
    "admin_headers",
    "api",
    "app",
    "case_api",
    "case_app",
    "case_settings",
    "case_store",
    "case_worker",
    "cases_app",
    "client",
    "headers",
    "runtime",
    "seeded_template",
    "session_settings",
    "settings",
    "tokens",
    "with_passwords",
]
