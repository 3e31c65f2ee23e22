"""Operator commands on a store they cannot use: one line naming the setting to check, exit 3,
never a traceback. And the values they take that would break running cases are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from store.db import dispose_engine, migrate

DEAD_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/foiflow"
UNAVAILABLE = 3

COMMANDS: list[tuple[str, ...]] = [
    ("store", "migrate"),
    ("store", "settings", "show"),
    ("store", "settings", "set", "name", "Somewhere Council"),
    ("store", "rules", "list"),
    ("calendar", "show"),
    ("calendar", "notify"),
    ("calendar", "add", "2026-06-15", "--division", "scotland", "--reason", "Extra"),
    ("deadline", "2025-03-03"),
]


def invoke(env: dict[str, str], *args: str) -> Any:
    return CliRunner(env=env).invoke(app, list(args))


def assert_one_line(result: Any, starts: str) -> None:
    assert result.exit_code == UNAVAILABLE, result.output
    assert not isinstance(result.exception, Exception), result.exception  # SystemExit only
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(starts), lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_dead_postgresql_url_is_one_line_naming_the_setting(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    result = invoke(
        {"FOIFLOW_DATA_DIR": str(tmp_path), "FOIFLOW_DATABASE_URL": DEAD_POSTGRES}, *args
    )
    assert_one_line(result, "error: FOIFLOW_DATABASE_URL: cannot use the store at postgresql")
    assert "Connection refused" in result.stderr
    assert "check the URL, that the database is up" in result.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_unusable_data_directory_is_one_line_naming_the_setting(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    in_the_way = tmp_path / "data"
    in_the_way.write_text("a file where the data directory should be")
    result = invoke({"FOIFLOW_DATA_DIR": str(in_the_way)}, *args)
    assert_one_line(
        result, f"error: FOIFLOW_DATA_DIR: cannot use {in_the_way} as the data directory"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("store", "settings", "set", "name", "Somewhere Council"),
        ("store", "units", "add", "stalking", "Stalking unit"),
        ("calendar", "add", "2026-06-15", "--division", "scotland", "--reason", "Extra"),
    ],
    ids=" ".join,
)
def test_writing_to_a_read_only_database_is_one_line_naming_the_setting(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    path = tmp_path / "foiflow.db"
    migrate(f"sqlite:///{path}")
    dispose_engine(f"sqlite:///{path}")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    env = {"FOIFLOW_DATA_DIR": str(tmp_path), "FOIFLOW_DATABASE_URL": read_only}
    assert invoke(env, "store", "settings", "show").exit_code == 0  # reading is fine
    result = invoke(env, *args)
    assert_one_line(result, "error: FOIFLOW_DATABASE_URL: cannot use the store at sqlite")
    assert "attempt to write a readonly database" in result.stderr
    assert not (tmp_path.parent / "file:").exists()  # no stray directory for the URI


def test_an_empty_read_only_database_cannot_be_migrated(tmp_path: Path) -> None:
    path = tmp_path / "foiflow.db"
    path.touch()
    env = {
        "FOIFLOW_DATA_DIR": str(tmp_path),
        "FOIFLOW_DATABASE_URL": f"sqlite:///file:{path}?mode=ro&uri=true",
    }
    result = invoke(env, "store", "migrate")
    assert_one_line(result, "error: FOIFLOW_DATABASE_URL: cannot use the store at sqlite")


def test_a_url_that_is_no_url_is_one_line(tmp_path: Path) -> None:
    env = {"FOIFLOW_DATA_DIR": str(tmp_path), "FOIFLOW_DATABASE_URL": "localhost:5432/foiflow"}
    result = invoke(env, "store", "migrate")
    assert_one_line(result, "error: FOIFLOW_DATABASE_URL: (unparsable) is not a database URL")


# --- values that would break running cases -----------------------------------------------------


@pytest.fixture
def store_env(tmp_path: Path) -> dict[str, str]:
    return {"FOIFLOW_DATA_DIR": str(tmp_path), "FOIFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1"}


@pytest.mark.parametrize(
    ("version", "said"),
    [
        ("9999", "error: version: no calendar v9999 (stored: v1)"),
        ("-1", "error: version: no calendar v-1 (stored: v1)"),
        ("0", "error: version: no calendar v0 (stored: v1)"),
    ],
)
def test_notify_announces_only_a_stored_version(
    store_env: dict[str, str], version: str, said: str
) -> None:
    result = invoke(store_env, "calendar", "notify", "--version", version)
    assert result.exit_code == 1
    assert result.stderr == f"{said}; `foiflow calendar show --all` lists them\n"
    assert "running cases told" not in result.stdout  # nothing was signalled


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("reminders.send_hour", "25", "reminders.send_hour: Input should be less than or equal"),
        ("reminders.send_hour", "-1", "reminders.send_hour: Input should be greater than or"),
        ("reminders.unit_reminder_before_task_due", "-2", "greater than or equal to 0"),
        ("reminders.officer_alert_at_working_day", "400", "less than or equal to 20"),
        ("cost_limit_hours", "inf", "cost_limit_hours: Input should be a finite number"),
        ("cost_limit_hours", "-3", "cost_limit_hours: Input should be greater than 0"),
        ("task_working_days", "-1", "task_working_days: Input should be greater than or"),
        ("name", "n" * 201, "name: String should have at most 200 characters"),
    ],
)
def test_settings_no_case_could_run_on_are_refused(
    store_env: dict[str, str], key: str, value: str, said: str
) -> None:
    result = invoke(store_env, "store", "settings", "set", key, value)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: refused: invalid value for {key}: ")
    assert said in result.stderr
    shown = invoke(store_env, "store", "settings", "show").stdout
    assert f"{key} = {value}\n" not in shown


def test_negative_numbers_reach_the_checks_as_values(store_env: dict[str, str]) -> None:
    # Not "No such option: -5": the value is read, and the check says what is wrong with it.
    rule = invoke(store_env, "store", "rules", "add", "stalking", "vawg", "--priority", "-5")
    assert rule.exit_code == 1
    assert rule.stderr == "error: refused: priority: Input should be greater than or equal to 0\n"
    hour = invoke(store_env, "store", "settings", "set", "reminders.send_hour", "-1")
    assert "No such option" not in hour.output
    assert "Input should be greater than or equal to 0" in hour.stderr


def test_a_seed_file_with_settings_no_case_could_run_on_is_refused(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "authority:\n  name: Somewhere\n  reminders:\n    send_hour: 25\n"
        "units:\n  - id: a\n    name: A\nrouting_rules:\n"
        "  - phrase: anything\n    unit: a\n    priority: -1\n"
    )
    result = invoke(store_env, "store", "seed", str(seed))
    assert result.exit_code == 1, result.output
    assert "authority.reminders.send_hour: Input should be less than or equal to 23" in (
        result.stderr
    )
    assert "routing_rules.0.priority: Input should be greater than or equal to 0" in (result.stderr)
