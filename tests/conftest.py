"""Shared test set-up: every test run gets its own data directory and SQLite store."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# Before anything reads settings: tests never touch a developer's .data directory.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="foiflow-test-"))
os.environ.setdefault("FOIFLOW_DATA_DIR", str(_DATA_DIR))
os.environ.pop("FOIFLOW_DATABASE_URL", None)


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # The report is printed by now. Interpreter finalisation can abort ("PyGILState_Release")
    # while the Temporal core runtime's threads are alive; exit with pytest's own status instead.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
