"""Committed histories replay against the current workflow code (determinism guard).

A change to deployed workflow logic that is not behind ``workflow.patched`` fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from services.payload_codec import data_converter
from settings import get_settings
from worker import SANDBOX, WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_histories_are_committed() -> None:
    assert {p.stem for p in HISTORIES} >= {
        "seed_on_time",
        "seed_late_after_clarification",
        "review_complaint_complied",  # ReviewWorkflow: review, regulator, compliance, closed
        "seed_lean_projection",
        "seed_calendar_in_signal",  # a calendar change carrying the calendar
        # The routing in the start's workflow task, before and after open-before-first-action.
        "seed_routed_with_start_unpatched",
        "seed_routed_with_start",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    # The committed histories were recorded with plain payloads (as every case started before
    # encryption was): the encrypting converter must pass them through.
    converter = data_converter(get_settings())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter, workflow_runner=SANDBOX)
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
