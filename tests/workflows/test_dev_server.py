"""On the real dev server (visibility, batch operations): intake dedupe and calendar batches."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

from activities.store_adapters import store_activities
from cli.main import app
from domain.case import CaseView
from services.temporal import DATA_CONVERTER, case_state, signal_calendar_change
from settings import Settings, get_settings
from starter import start_request
from statute.calendar import NORTHERN_IRELAND
from store.calendars import calendar_repository
from store.db import get_engine, session_scope
from store.models import CaseRow
from store.seed import apply_seed, load_seed
from worker import build_worker
from workflows.search_attributes import ALL_KEYS

from case_driver import SEED_FILE
from conftest import _binary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=_binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--headless"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="module")
def dev_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The module's own store: the worker's activities and the test's CLI calls share it."""
    data_dir = tmp_path_factory.mktemp("dev-store")
    return Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'store.db'}")


@pytest.fixture(scope="module")
async def dev_worker(
    dev_env: WorkflowEnvironment, executor: ThreadPoolExecutor, dev_settings: Settings
) -> AsyncIterator[Worker]:
    activities = store_activities(dev_settings)
    async with build_worker(dev_env.client, f"dev-{uuid.uuid4()}", executor, activities) as w:
        yield w


async def _eventually(check: Any) -> Any:
    """Visibility and batch jobs are eventually consistent: poll, bounded."""
    for _ in range(100):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError("condition never held")


async def test_same_request_twice_is_one_case_and_batches_reach_every_case(
    dev_env: WorkflowEnvironment,
    dev_worker: Worker,
    dev_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(dev_settings.data_dir))
    monkeypatch.setenv("FOIFLOW_DATABASE_URL", dev_settings.database_url)
    monkeypatch.setenv("FOIFLOW_TASK_QUEUE", dev_worker.task_queue)
    settings = get_settings()
    request = yaml.safe_load(SEED_FILE.read_text())
    request.pop("reference")
    received = datetime.now(UTC).replace(microsecond=0)

    first = await start_request(dev_env.client, settings, request, received)
    assert not first.existing and first.reference.startswith(f"01.FOI.{received:%y}.")

    async def dedupe() -> Any:
        again = await start_request(dev_env.client, settings, request, received)
        return again if again.existing else None

    again = await _eventually(dedupe)  # visibility indexes the first case within moments
    assert again.reference == first.reference
    other = await start_request(
        dev_env.client, settings, {**request, "request_text": "1. Another question"}, received
    )
    assert other.reference != first.reference

    repository = calendar_repository(settings)
    latest = repository.latest()
    view: CaseView = await case_state(dev_env.client, first.reference)
    holiday = view.clock.start_date
    while True:  # the first working day after receipt becomes a holiday
        holiday += timedelta(days=1)
        if holiday.weekday() < 5 and holiday.isoformat() not in str(view.clock.explanation):
            break
    saved = repository.save_new(
        latest.with_proclaimed(holiday, [NORTHERN_IRELAND], "Proclaimed", version=0)
    )
    await signal_calendar_change(dev_env.client, saved.version)

    async def moved() -> bool:
        views = [await case_state(dev_env.client, r) for r in (first.reference, other.reference)]
        return all(v.clock.calendar_version == saved.version for v in views)

    await _eventually(moved)
    view = await case_state(dev_env.client, first.reference)
    assert view.timeline[-1].kind == "calendar_changed"
    assert "added (Northern Ireland: Proclaimed)" in view.timeline[-1].text

    # `foiflow store rebuild` reads every case back from Temporal: the live read model matches.
    monkeypatch.setenv("FOIFLOW_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    runner = CliRunner()

    async def rebuild_is_clean() -> Any:
        result = await asyncio.to_thread(runner.invoke, app, ["store", "rebuild", "--dry-run"])
        return result if result.stdout.startswith("2 unchanged, 0 added, 0 corrected") else None

    result = await _eventually(rebuild_is_clean)
    assert result.exit_code == 0, result.stderr

    # A row edited behind foiflow's back is corrected by a real rebuild.
    with session_scope(get_engine(settings.database_url)) as session:
        session.execute(
            update(CaseRow).where(CaseRow.reference == first.reference).values(status="issued")  # type: ignore[arg-type]
        )
    result = await asyncio.to_thread(runner.invoke, app, ["store", "rebuild"])
    assert result.stdout.startswith("1 unchanged, 0 added, 1 corrected"), result.stdout
    assert f"~ {first.reference}: status" in result.stdout

    # Units never see who asked; the FOI officer does.
    with session_scope(get_engine(settings.database_url)) as session:
        apply_seed(session, load_seed(ROOT / "cli" / "demo" / "seed.yaml"))
    as_unit = await asyncio.to_thread(
        runner.invoke, app, ["case", first.reference, "--as", "tom-oduya", "--json"]
    )
    assert as_unit.exit_code == 0, as_unit.stderr
    assert json.loads(as_unit.stdout)["requester"] is None
    assert request["requester"]["email"] not in as_unit.stdout
    as_officer = await asyncio.to_thread(
        runner.invoke, app, ["case", first.reference, "--as", "aisha-rahman", "--json"]
    )
    assert json.loads(as_officer.stdout)["requester"]["email"] == request["requester"]["email"]
    refused = await asyncio.to_thread(
        runner.invoke, app, ["route", first.reference, "1=vawg", "--as", "tom-oduya"]
    )
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "error: actor: tom-oduya is not a foi_officer and cannot route questions"
    )
