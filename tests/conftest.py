"""Shared test set-up: every test run gets its own data directory and SQLite store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Before anything reads settings: tests never touch a developer's .data directory.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="foiflow-test-"))
os.environ.setdefault("FOIFLOW_DATA_DIR", str(_DATA_DIR))
os.environ.pop("FOIFLOW_DATABASE_URL", None)
