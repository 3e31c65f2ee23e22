"""``python worker.py`` and ``python starter.py`` as an operator runs them: a part they need that
is down, or a request that cannot become a case, is one line naming what to check — never a
traceback — and the worker waits for a database that is still starting."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from settings import Settings, get_settings
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import IntakeRow, ReferenceCounterRow
from worker import wait_for_store

ROOT = Path(__file__).resolve().parents[1]
SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
DEAD_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/foiflow"


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in done.stderr, done.stderr
    return [line for line in done.stderr.splitlines() if "error" in line]


def consumed() -> tuple[int, int]:
    with session_scope(get_engine(get_settings().database_url)) as session:
        counters = session.scalar(select(func.coalesce(func.sum(ReferenceCounterRow.last), 0)))
        intakes = session.scalar(select(func.count()).select_from(IntakeRow))
    return int(counters or 0), int(intakes or 0)


# --- the worker ----------------------------------------------------------------------------------


def test_the_worker_with_temporal_down_says_which_setting(tmp_path: Path) -> None:
    done = run("worker.py", FOIFLOW_DATA_DIR=str(tmp_path), FOIFLOW_TEMPORAL_ADDRESS="127.0.0.1:1")
    assert done.returncode == 3
    [line] = error_lines(done)
    assert line.endswith(
        "error: FOIFLOW_TEMPORAL_ADDRESS: cannot reach Temporal at 127.0.0.1:1; is `make run` up?"
    )


def test_the_worker_with_an_unusable_data_directory_says_so_and_stops(tmp_path: Path) -> None:
    in_the_way = tmp_path / "data"
    in_the_way.write_text("not a directory")
    done = run("worker.py", FOIFLOW_DATA_DIR=str(in_the_way))
    assert done.returncode == 3
    [line] = error_lines(done)
    assert f"error: FOIFLOW_DATA_DIR: cannot use {in_the_way} as the data directory" in line


async def test_the_worker_waits_for_the_database_one_line_per_attempt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=DEAD_POSTGRES)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 5:
            raise TimeoutError("the test stops waiting")

    caplog.set_level(logging.INFO, logger="foiflow.worker")
    with pytest.raises(TimeoutError):
        await wait_for_store(settings, sleep=sleep, first=1, longest=4)
    assert waits == [1, 2, 4, 4, 4]  # doubling, bounded
    lines = [r.getMessage() for r in caplog.records if r.name == "foiflow.worker"]
    assert len(lines) == 5
    for attempt, (line, wait) in enumerate(zip(lines, waits, strict=True), 1):
        assert line.startswith(
            f"store not ready (attempt {attempt}; next in {wait:g}s): FOIFLOW_DATABASE_URL: "
            "cannot use the store at postgresql+psycopg://nobody@127.0.0.1:1/foiflow"
        )


async def test_the_worker_goes_on_once_the_database_is_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A database that is not there yet (read-only: nothing creates it) appears while it waits.
    path = tmp_path / "foiflow.db"
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///file:{path}?mode=ro&uri=true")

    async def sleep(seconds: float) -> None:
        migrate(f"sqlite:///{path}")
        dispose_engine(f"sqlite:///{path}")

    caplog.set_level(logging.INFO, logger="foiflow.worker")
    await wait_for_store(settings, sleep=sleep)
    lines = [r.getMessage() for r in caplog.records if r.name == "foiflow.worker"]
    assert len(lines) == 2
    assert lines[0].startswith("store not ready (attempt 1; next in 1s): ")
    assert "unable to open database file" in lines[0]
    assert lines[1] == "store ready after 2 attempts"


# --- the starter ---------------------------------------------------------------------------------


def request_file(tmp_path: Path, **changes: object) -> Path:
    document = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document.update(changes)
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_starter_with_temporal_down_says_which_setting(tmp_path: Path) -> None:
    done = run(
        "starter.py",
        str(request_file(tmp_path)),
        FOIFLOW_DATA_DIR=str(tmp_path),
        FOIFLOW_TEMPORAL_ADDRESS="127.0.0.1:1",
    )
    assert done.returncode == 3
    assert error_lines(done) == [
        "error: FOIFLOW_TEMPORAL_ADDRESS: cannot reach Temporal at 127.0.0.1:1; is `make run` up?"
    ]


def test_the_starter_with_a_dead_database_says_which_setting(tmp_path: Path) -> None:
    done = run(
        "starter.py",
        str(request_file(tmp_path)),
        FOIFLOW_DATA_DIR=str(tmp_path),
        FOIFLOW_DATABASE_URL=DEAD_POSTGRES,
    )
    assert done.returncode == 3
    [line] = error_lines(done)
    assert line.startswith("error: FOIFLOW_DATABASE_URL: cannot use the store at postgresql")


def test_the_starter_refuses_a_binary_file_in_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "scan.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 10)
    done = run("starter.py", str(binary), FOIFLOW_DATA_DIR=str(tmp_path))
    assert done.returncode == 2
    assert error_lines(done) == [f"error: file: {binary} is not UTF-8 text (is it a binary file?)"]


@pytest.mark.parametrize(
    ("received_at", "said"),
    [
        ("2030-06-03T10:00:00+00:00", "error: received_at: 2030-06-03 is outside the bank-holiday"),
        ("1900-01-02T10:00:00+00:00", "error: received_at: 1900-01-02 is outside the bank-holiday"),
        (1_700_000_000, "error: received_at: expected a date and time with its zone"),
    ],
)
def test_the_starter_refuses_a_receipt_the_calendar_cannot_count_and_uses_nothing(
    env: WorkflowEnvironment, directory: None, tmp_path: Path, received_at: object, said: str
) -> None:
    # A live Temporal (the test server) and the session's store: the refusal is the request's.
    before = consumed()
    done = run(
        "starter.py",
        str(request_file(tmp_path, received_at=received_at)),
        FOIFLOW_TEMPORAL_ADDRESS=env.client.service_client.config.target_host,
    )
    assert done.returncode == 2, done.stderr
    [line] = error_lines(done)
    assert line.startswith(said), line
    assert consumed() == before
