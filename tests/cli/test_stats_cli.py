"""`foiflow stats` as a manager or FOI officer types it, against the real API served on a port,
on a store of its own holding the statistics portfolio (known figures: tests/store has them):
a table by default, CSV with --csv, and refusals as one line with their exit codes."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import Result

from settings import Settings
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.seed import apply_seed, load_seed

from cli_support import PASSWORD, Foiflow, api_app, serving

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from case_factory import add_statistics_portfolio

DEMO_SEED = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"
PERIOD = ("--from", "2025-01-01", "--to", "2025-06-30")


@pytest.fixture
async def stats_api(tmp_path: Path) -> AsyncIterator[str]:
    url = f"sqlite:///{tmp_path / 'foiflow.db'}"
    migrate(url)
    with session_scope(get_engine(url)) as session:
        apply_seed(session, load_seed(DEMO_SEED), "seed")
        add_statistics_portfolio(session)
    settings = Settings(data_dir=tmp_path, database_url=url, temporal_address="127.0.0.1:1")
    async with serving(api_app(settings)) as api:
        yield api
    dispose_engine(url)


async def login(foiflow: Foiflow, api: str, user: str) -> Result:
    result = await foiflow(
        "login", "--api", api, "--username", user, "--password-stdin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    return result


async def test_stats_as_a_table_and_as_csv(foiflow: Foiflow, stats_api: str) -> None:
    await login(foiflow, stats_api, "aisha-rahman")
    shown = await foiflow("stats", *PERIOD)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.replace("┃", "│").splitlines()
    assert lines[0] == "Requests received 2025-01-01 to 2025-06-30"
    cells = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in lines
        if line.count("│") > 2
    }
    assert cells["measure"] == ["2025-Q1", "2025-Q2", "total"]
    assert cells["received"] == ["9", "5", "14"]
    assert cells["in time with a permitted extension"] == ["1", "0", "1"]
    assert cells["refused vexatious"] == ["1", "1", "2"]
    assert cells["FOIA s40"] == ["2", "0", "2"]
    assert cells["EIR reg 12(5)(a)"] == ["1", "0", "1"]
    assert cells["internal reviews"] == ["4", "1", "5"]
    assert cells["complaints to the regulator"] == ["2", "1", "3"]

    as_csv = await foiflow("stats", *PERIOD, "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["period"] for r in rows] == ["2025-Q1", "2025-Q2", "total"]
    total = rows[-1]
    assert (total["received"], total["resolved"], total["in_time"], total["late"]) == (
        "14",
        "12",
        "7",
        "2",
    )
    assert total["exemption foisa FOISA s35"] == "1"
    assert (total["complaints_to_regulator"], total["complaints_recorded"]) == ("3", "recorded")

    eir = await foiflow("stats", *PERIOD, "--regime", "eir", "--csv")
    assert [r["received"] for r in csv.DictReader(io.StringIO(eir.stdout))] == ["1", "0", "1"]


async def test_stats_refusals(foiflow: Foiflow, stats_api: str) -> None:
    await login(foiflow, stats_api, "tom-oduya")
    refused = await foiflow("stats", *PERIOD)
    assert (refused.exit_code, refused.stderr) == (
        1,
        "error: this needs the foi_officer or manager role; you have unit_contact\n",
    )
    bad = await foiflow("stats", "--from", "2025-07-01", "--to", "2025-01-01")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "error: --to: 2025-01-01 is before from (2025-07-01)\n",
    )
    bad = await foiflow("stats", "--from", "1/1/2025", "--to", "2025-01-01")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "error: --from: '1/1/2025' is not a date in the form YYYY-MM-DD\n",
    )
    both = await foiflow("stats", *PERIOD, "--csv", "--json")
    assert both.exit_code == 2
