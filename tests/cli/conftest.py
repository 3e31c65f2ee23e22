"""The CLI tests' fixtures, defined in ``cli_support`` (a module name of its own, so tests can
import its helpers whatever order pytest collects the folders in)."""

from cli_support import api_settings, api_url, config_dir, foiflow, login_as

__all__ = ["api_settings", "api_url", "config_dir", "foiflow", "login_as"]
