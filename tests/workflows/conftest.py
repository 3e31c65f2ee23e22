"""Workflow tests: the Temporal fixtures (``env``, ``worker``, ``client``, ``dev_env``) are in
tests/conftest.py; here, closing what each test left open."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from case_driver import close_started_cases


@pytest.fixture(autouse=True)
async def withdraw_open_cases() -> AsyncIterator[None]:
    """Close what a test left open, so later time skips don't drag its reminders along."""
    yield
    await close_started_cases()
