"""On the real dev server (visibility, batch operations): intake dedupe and calendar batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

import starter
from cli.main import app
from domain.case import CaseView
from services.context import ServiceContext
from services.intake import start_case
from services.temporal import case_state, signal_calendar_change
from settings import Settings, get_settings
from statute.calendar import NORTHERN_IRELAND
from store.calendars import calendar_repository
from store.db import get_engine, migrate, session_scope
from store.models import CaseRow

from case_driver import SEED_FILE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dev_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The module's own store: the worker's activities and the test's CLI calls share it."""
    data_dir = tmp_path_factory.mktemp("dev-store")
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'store.db'}")
    migrate(settings.database_url)
    return settings


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
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(dev_settings.data_dir))
    monkeypatch.setenv("FOIFLOW_DATABASE_URL", dev_settings.database_url)
    monkeypatch.setenv("FOIFLOW_TASK_QUEUE", dev_worker.task_queue)
    settings = get_settings()
    ctx = ServiceContext(
        settings=settings, engine=get_engine(settings.database_url), client=dev_env.client
    )
    migrate(settings.database_url)
    request = yaml.safe_load(SEED_FILE.read_text())
    request.pop("reference")
    received = datetime.now(UTC).replace(microsecond=0)

    first = await start_case(ctx, request, received)
    assert not first.existing and first.reference.startswith(f"01.FOI.{received:%y}.")

    async def dedupe() -> Any:
        again = await start_case(ctx, request, received)
        return again if again.existing else None

    again = await _eventually(dedupe)  # visibility indexes the first case within moments
    assert again.reference == first.reference
    other = await start_case(ctx, {**request, "request_text": "1. Another question"}, received)
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
    # As an admin's new holiday sends it: the batch signal carries the calendar.
    await signal_calendar_change(dev_env.client, saved)

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

    # `python starter.py FILE` starts a case from a file, directly on Temporal and the store;
    # the same file again is that case. (The CLI's `foiflow start` goes through the API:
    # tests/cli/test_case_cli.py.)
    request_file = tmp_path / "request.yaml"
    request_file.write_text(yaml.safe_dump({**request, "request_text": "1. A third question"}))
    args = [str(request_file), "--received-at", received.isoformat()]
    assert await asyncio.to_thread(starter.main, args) == 0
    reference, due = capsys.readouterr().out.split("\t")
    assert due.startswith("due 20") and reference not in (first.reference, other.reference)
    assert await asyncio.to_thread(starter.main, args) == 0
    assert capsys.readouterr().out == f"{reference}\t{due.rstrip()} (already open)\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({**request, "regime": "sar"}))
    assert await asyncio.to_thread(starter.main, [str(broken)]) == 2
    assert capsys.readouterr().err == "error: regime: 'sar' is not one of foia, eir, foisa\n"
