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


# ---- clock events: the contract's `--event KIND=DATE`, worked out by hand ------------------------
# FOIA counts a bank holiday in any part of the UK (s10(6)); FOISA only Scotland's (s73). Each
# expected date below is counted day by day in the comment beside it.

EVENT_TABLE = [
    pytest.param(
        "foia",
        "2025-04-03",
        ["clarification_requested=2025-04-07", "clarification_received=2025-04-17"],
        # Day 0 is 17 Apr (s1(3)); 18 Apr Good Friday and 21 Apr Easter Monday skipped: 22 Apr
        # is day 1, 2 May day 9; 5 May (early May) skipped; 6 May day 10 … 20 May day 20.
        "2025-05-20",
        id="clarification-pause-over-easter",
    ),
    pytest.param(
        "foisa",
        "2025-04-03",
        ["clarification_requested=2025-04-07", "clarification_received=2025-04-17"],
        # The same under FOISA: Easter Monday is not a Scottish bank holiday, so it is day 1 and
        # everything lands a day earlier.
        "2025-05-19",
        id="foisa-clarification-counts-easter-monday",
    ),
    pytest.param(
        "foia",
        "2025-04-03",
        ["clarification_requested=2025-04-07"],
        "paused",
        id="awaiting-clarification",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["clarification_requested=2025-03-05", "clarification_received=2025-04-07"],
        # First due 1 Apr; the clarification arrives after it, on 7 Apr (day 0): 8–11 Apr days
        # 1–4, 14–17 Apr 5–8, Easter skipped, 22 Apr–2 May 9–17, 5 May skipped, 6–8 May 18–20.
        "2025-05-08",
        id="clarification-after-the-original-due-date",
    ),
    pytest.param(
        "foia",
        "2025-04-07",
        ["fees_notice_given=2025-04-16", "fee_received=2025-04-23"],
        # 8–15 Apr days 1–6; 16, 17, 22, 23 Apr disregarded (s10(2)) and 18, 21 Apr holidays;
        # 24 Apr–2 May days 7–13; 5 May skipped; 6–14 May days 14–20.
        "2025-05-14",
        id="fees-pause-over-easter",
    ),
    pytest.param(
        "foia",
        "2025-04-07",
        ["fees_notice_given=2025-04-16"],
        "paused",
        id="awaiting-the-fee",
    ),
    pytest.param(
        "eir",
        "2025-03-03",
        ["reg7_extension=2025-03-20"],
        # reg 7(1): 40 working days from 3 Mar: day 20 is 1 Apr (17 Mar, NI, skipped); 2–17 Apr
        # days 21–32; Easter skipped; 22 Apr–1 May days 33–40.
        "2025-05-01",
        id="eir-reg7-to-40-working-days",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["public_interest_extension=2025-03-25/20"],
        # s10(3): 20 further working days after 1 Apr, the cap: 2–17 Apr 1–12, Easter skipped,
        # 22 Apr–1 May 13–20.
        "2025-05-01",
        id="public-interest-extension-at-the-cap",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["public_interest_extension=2025-03-25/5", "public_interest_extension=2025-04-02/10"],
        # 5 further days (2–8 Apr), then 10 more: 9–11 and 14–17 Apr are 7, Easter skipped,
        # 22–24 Apr the last 3.
        "2025-04-24",
        id="two-public-interest-extensions-within-the-cap",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        [
            "fees_notice_given=2025-03-13",
            "fee_received=2025-03-20",
            "public_interest_extension=2025-03-31/2",
        ],
        # 13, 14, 18, 19, 20 Mar disregarded (17 Mar is a holiday): due 8 Apr; then 2 more: 10 Apr.
        "2025-04-10",
        id="fee-then-extension",
    ),
]


@pytest.mark.parametrize(("regime", "received", "events", "due"), EVENT_TABLE)
def test_clock_events_move_the_due_date(
    regime: str, received: str, events: list[str], due: str
) -> None:
    args = ["deadline", "--regime", regime, received]
    for event in events:
        args += ["--event", event]
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    assert result.stdout == f"{received}\t{due}\n"


REFUSED_EVENTS = [
    pytest.param(
        "foisa",
        "2025-03-03",
        ["public_interest_extension=2025-03-20/10"],
        "error: event 'public_interest_extension=2025-03-20/10': the Freedom of Information "
        "(Scotland) Act 2002 has no public interest extension (foisa); only FOIA allows one "
        "(s10(3))",
        id="foisa-has-no-public-interest-extension",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["public_interest_extension=2025-03-25/21"],
        "error: event 'public_interest_extension=2025-03-25/21': extension beyond the cap — 21 "
        "further working days in all, at most 20 allowed (FOIA s10(3) and s17(2); ICO guidance "
        "caps it at 20 further working days)",
        id="public-interest-extension-over-the-cap",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["public_interest_extension=2025-03-25/15", "public_interest_extension=2025-04-10/6"],
        "error: event 'public_interest_extension=2025-04-10/6': extension beyond the cap — 21 "
        "further working days in all, at most 20 allowed (FOIA s10(3) and s17(2); ICO guidance "
        "caps it at 20 further working days)",
        id="extensions-adding-up-over-the-cap",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["reg7_extension=2025-03-20"],
        "error: event 'reg7_extension=2025-03-20': the Freedom of Information Act 2000 has no "
        "reg 7 extension (foia); only the EIR allow one (reg 7(1): complex and voluminous, 40 "
        "working days)",
        id="reg7-is-the-eirs",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["public_interest_extension=2025-04-02/10"],
        "error: event 'public_interest_extension=2025-04-02/10': notice must be given within "
        "the time for compliance (due 2025-04-01), not on 2025-04-02",
        id="extension-claimed-after-the-due-date",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["fee_received=2025-03-10"],
        "error: event 'fee_received=2025-03-10': no fees notice was given before the fee arrived",
        id="fee-without-a-notice",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["clarification_requested=2025-03-05", "public_interest_extension=2025-03-06/5"],
        "error: event 'public_interest_extension=2025-03-06/5': the clock is paused; there is "
        "no deadline to extend",
        id="extension-while-paused",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["clarification_requested=2025-03-10", "clarification_received=2025-03-07"],
        "error: event 'clarification_received=2025-03-07': before the event it follows "
        "(2025-03-10); give events in time order",
        id="events-out-of-order",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["clarification_requested=2025-03-01"],
        "error: event 'clarification_requested=2025-03-01': before the request was received "
        "(2025-03-03)",
        id="event-before-receipt",
    ),
    pytest.param(
        "foia",
        "2025-03-03",
        ["fees_notice_given=2025-03-04", "fee_received=2025-06-04"],
        "error: event 'fee_received=2025-06-04': 2025-06-04 is after 2025-06-03, the end of "
        "the 3 months beginning with the fees notice of 2025-03-04; the duty to comply has "
        "lapsed (s9(2))",
        id="fee-after-the-three-months",
    ),
]


@pytest.mark.parametrize(("regime", "received", "events", "message"), REFUSED_EVENTS)
def test_an_invalid_event_sequence_is_one_line_and_exit_1(
    regime: str, received: str, events: list[str], message: str
) -> None:
    args = ["deadline", "--regime", regime, received]
    for event in events:
        args += ["--event", event]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("fee_received", "event 'fee_received': expected KIND=DATE, one of clarification_"),
        ("lapsed=2025-03-04", "event 'lapsed=2025-03-04': unknown kind 'lapsed' (one of "),
        ("fee_received=4/3/2025", "event 'fee_received=4/3/2025': expected an ISO date"),
        ("fee_received=2025-02-30", "event 'fee_received=2025-02-30': not a real date"),
        (
            "public_interest_extension=2025-03-20",
            "event 'public_interest_extension=2025-03-20': give the further working days "
            "claimed, public_interest_extension=DATE/N",
        ),
        ("public_interest_extension=2025-03-20/ten", "N must be a whole number of working days"),
        ("reg7_extension=2025-03-20/20", "only public_interest_extension takes /N"),
    ],
)
def test_a_malformed_event_is_a_usage_error(event: str, message: str) -> None:
    result = runner.invoke(app, ["deadline", "--regime", "foia", "2025-03-03", "--event", event])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: event '{event}': ")
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_events_belong_to_one_receipt_date() -> None:
    result = runner.invoke(
        app,
        ["deadline", "2025-03-03", "2025-03-04", "--event", "clarification_requested=2025-03-05"],
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --event: clock events belong to one receipt; give exactly one DATE\n"
    )


def test_events_with_json_and_explain() -> None:
    events = ["--event", "clarification_requested=2025-04-07"]
    paused = runner.invoke(app, ["deadline", "--json", "2025-04-03", *events])
    (result,) = json.loads(paused.stdout)
    assert result["due"] == "paused" and result["due_date"] is None
    assert result["paused"] is True
    assert result["events"] == ["clarification_requested=2025-04-07"]
    assert result["pause_reason"] == "awaiting clarification requested on 2025-04-07 (s1(3))"

    events += ["--event", "clarification_received=2025-04-17"]
    explained = runner.invoke(app, ["deadline", "--explain", "2025-04-03", *events])
    assert explained.exit_code == 0
    lines = explained.stdout.splitlines()
    assert (
        "Mon 7 Apr 2025: clarification requested: the clock stops until it is received (s1(3))."
        in lines
    )
    assert (
        "Thu 17 Apr 2025: clarification received: 20 working days start afresh from 2025-04-17 "
        "(s1(3))." in lines
    )
    assert "Fri 18 Apr 2025 skipped: Good Friday (all of the UK)." in lines
    assert lines[-1] == f"Due Tue 20 May 2025, by calendar v1 ({FINGERPRINT})."


def test_the_installed_command_with_events(data_dir: Path) -> None:
    foiflow = Path(sys.executable).parent / "foiflow"
    env = {**os.environ, "FOIFLOW_DATA_DIR": str(data_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(foiflow), "deadline", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    ok = run("--regime", "eir", "2025-03-03", "--event", "reg7_extension=2025-03-20")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "2025-03-03\t2025-05-01\n", "")
    refused = run(
        "--regime", "foisa", "2025-03-03", "--event", "public_interest_extension=2025-03-20/10"
    )
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "no public interest extension" in refused.stderr
