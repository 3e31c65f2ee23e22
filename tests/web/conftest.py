"""The web tests' fixtures, defined in ``web_support`` (a module name of its own, so tests can
import its helpers whatever order pytest collects the folders in)."""

from web_support import (
    admin_headers,
    app,
    case_api,
    case_settings,
    case_store,
    case_worker,
    cases_app,
    client,
    headers,
    runtime,
    seeded_template,
    settings,
    tokens,
    with_passwords,
)

__all__ = [
    "admin_headers",
    "app",
    "case_api",
    "case_settings",
    "case_store",
    "case_worker",
    "cases_app",
    "client",
    "headers",
    "runtime",
    "seeded_template",
    "settings",
    "tokens",
    "with_passwords",
]
