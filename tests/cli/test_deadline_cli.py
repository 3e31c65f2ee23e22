"""The ``foiflow deadline`` contract: DATE<TAB>DUE per date, in order; one-line errors on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from statute import packaged_calendar

runner = CliRunner()
FINGERPRINT = packaged_calendar().fingerprint


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(tmp_path))
    return tmp_path


def test_the_documented_example() -> None:
    result = runner.invoke(app, ["deadline", "--regime", "foia", "2025-03-03"])
    assert result.exit_code == 0
    assert result.stdout == "2025-03-03\t2025-04-01\n"
    assert result.stderr == ""


def test_one_line_per_date_in_input_order() -> None:
    result = runner.invoke(
        app, ["deadline", "--regime", "foisa", "2026-07-01", "2025-03-03", "2026-07-01"]
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "2026-07-01\t2026-07-29",
        "2025-03-03\t2025-03-31",
        "2026-07-01\t2026-07-29",
    ]


@pytest.mark.parametrize(
    ("regime", "received", "due"),
    [
        ("foia", "2026-07-01", "2026-07-30"),
        ("eir", "2026-07-01", "2026-07-30"),
        ("foisa", "2026-07-01", "2026-07-29"),
        ("sar", "2025-01-31", "2025-02-28"),
        ("foia-review", "2025-03-03", "2025-04-01"),
        ("eir-reconsideration", "2025-03-03", "2025-05-01"),
    ],
)
def test_every_regime_code(regime: str, received: str, due: str) -> None:
    result = runner.invoke(app, ["deadline", "--regime", regime, received])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{received}\t{due}\n"


def test_bad_dates_fail_alone_with_a_reason_naming_them() -> None:
    result = runner.invoke(
        app,
        [
            *("deadline", "--regime", "foia"),
            *("2025-03-03", "2025-02-30", "3/3/2025", "2031-01-01", "2028-12-20", "2026-07-01"),
        ],
    )
    assert result.exit_code != 0
    assert result.stdout.splitlines() == ["2025-03-03\t2025-04-01", "2026-07-01\t2026-07-30"]
    errors = result.stderr.splitlines()
    assert len(errors) == 4
    assert errors[0].startswith("error: date '2025-02-30': not a real date")
    assert errors[1] == "error: date '3/3/2025': expected an ISO date, YYYY-MM-DD"
    assert errors[2].startswith(
        "error: date 2031-01-01: outside the calendar's coverage, 2012-01-01"
    )
    assert errors[3].startswith("error: date 2028-12-20: the due date falls after 2028-12-31")


def test_unknown_regime_is_one_line_naming_the_field() -> None:
    result = runner.invoke(app, ["deadline", "--regime", "gdpr", "2025-03-03"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: regime: 'gdpr' is not one of ")


def test_json_has_the_due_date_calendar_and_explanation() -> None:
    result = runner.invoke(app, ["deadline", "--regime", "foia", "--json", "2025-03-03", "bad"])
    assert result.exit_code != 0
    first, second = json.loads(result.stdout)
    assert first["date"] == "2025-03-03"
    assert first["due"] == "2025-04-01"
    assert first["calendar"] == {"version": 1, "fingerprint": FINGERPRINT}
    assert {"date": "2025-03-17", "reason": "St Patrick's Day (Northern Ireland)"} in first[
        "skipped_days"
    ]
    assert first["explanation"][-1] == f"Due Tue 1 Apr 2025, by calendar v1 ({FINGERPRINT})."
    assert second == {"date": "bad", "error": "date 'bad': expected an ISO date, YYYY-MM-DD"}


def test_explain_in_words() -> None:
    result = runner.invoke(app, ["deadline", "--regime", "foia", "--explain", "2026-07-01"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FOIA: 20 working days following the date of receipt")
    assert (
        "Mon 13 Jul 2026 skipped: Battle of the Boyne (Orangemen's Day), substitute day "
        "(Northern Ireland)." in lines
    )
    assert lines[-1] == f"Due Thu 30 Jul 2026, by calendar v1 ({FINGERPRINT})."


def test_explain_takes_one_date() -> None:
    result = runner.invoke(app, ["deadline", "--explain", "2026-07-01", "2026-07-02"])
    assert result.exit_code != 0
    assert result.stderr == "error: --explain: give exactly one DATE (and not --json)\n"


def test_rolling_a_weekend_receipt_is_an_option_never_the_default() -> None:
    statute = runner.invoke(app, ["deadline", "--regime", "foia", "2025-03-01"])
    rolled = runner.invoke(
        app, ["deadline", "--regime", "foia", "--roll-non-working-receipt", "2025-03-01"]
    )
    assert statute.stdout == "2025-03-01\t2025-03-31\n"
    assert rolled.stdout == "2025-03-01\t2025-04-01\n"


def test_a_proclaimed_holiday_moves_the_deadline() -> None:
    before = runner.invoke(app, ["deadline", "--regime", "foia", "2025-03-03"])
    added = runner.invoke(
        app,
        ["calendar", "add", "2025-03-20", "--division", "northern-ireland", "--reason", "Event"],
    )
    assert added.exit_code == 0, added.stderr
    after = runner.invoke(app, ["deadline", "--regime", "foia", "--json", "2025-03-03"])
    assert before.stdout == "2025-03-03\t2025-04-01\n"
    (result,) = json.loads(after.stdout)
    assert result["due"] == "2025-04-02"
    assert result["calendar"]["version"] == 2


def test_the_installed_command(data_dir: Path) -> None:
    foiflow = Path(sys.executable).parent / "foiflow"
    assert foiflow.exists(), f"{foiflow} is missing: install the project into the venv"
    completed = subprocess.run(
        [str(foiflow), "deadline", "--regime", "foia", "2025-03-03", "2025-13-01"],
        capture_output=True,
        text=True,
        env={**os.environ, "FOIFLOW_DATA_DIR": str(data_dir)},
        timeout=60,
        check=False,
    )
    assert completed.stdout == "2025-03-03\t2025-04-01\n"
    assert completed.returncode == 1
    assert completed.stderr.startswith("error: date '2025-13-01': not a real date")
    assert completed.stderr.count("\n") == 1
