"""The case commands as a user types them, against the time-skipping server: the demo case from
triage to issue, the new `case` view before routing, `tasks` and `sign-offs`, and every kind of
failure as one line with its exit code."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

from cli.main import app
from services.context import ServiceContext

from case_driver import close_started_cases, start_seed

ANSWER_FILE = Path(__file__).resolve().parents[2] / "cli" / "demo" / "answer-exempt.yaml"
Settled = Callable[[ServiceContext, str], Awaitable[None]]


@pytest.fixture
def foiflow(env: WorkflowEnvironment, directory: None) -> Callable[..., Awaitable[Result]]:
    """Run ``foiflow ARGS`` against the test server, off the event loop the worker runs on."""
    runner = CliRunner()
    environment = {
        "FOIFLOW_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "COLUMNS": "250",  # one table row per line
    }

    async def run(*args: str, **extra: str) -> Result:
        return await asyncio.to_thread(runner.invoke, app, list(args), env={**environment, **extra})

    return run


def rows(result: Result, reference: str) -> list[list[str]]:
    """The table rows for ``reference``, as cells."""
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in result.stdout.splitlines()
        if reference in line
    ]


async def test_the_demo_case_from_the_terminal(
    env: WorkflowEnvironment,
    worker: Worker,
    system: ServiceContext,
    settled: Settled,
    foiflow: Callable[..., Awaitable[Result]],
) -> None:
    handle = await start_seed(env.client, worker.task_queue, await env.get_current_time())
    ref = handle.id
    try:
        await settled(system, ref)
        await _walk_through(ref, system, settled, foiflow)
    finally:
        await close_started_cases()


async def _walk_through(
    ref: str, system: ServiceContext, settled: Settled, foiflow: Callable[..., Awaitable[Any]]
) -> None:
    # Before routing: the questions, each with the unit the rules suggest, and what I may do.
    shown = await foiflow("case", ref, "--as", "aisha-rahman")
    assert shown.exit_code == 0, shown.stderr
    assert "status: triage" in shown.stdout
    lines = shown.stdout.splitlines()
    q1 = next(line for line in lines if line.startswith("│ 1 "))
    assert "All organisations and community groups represented on your VAWG" in q1
    assert "suggested: vawg" in q1 and "unrouted" in q1
    assert "suggested: hate-crime" in next(line for line in lines if line.startswith("│ 4 "))
    assert "aisha-rahman may: Route questions," in shown.stdout
    as_nobody = await foiflow("case", ref, "--json")
    assert json.loads(as_nobody.stdout)["requester"] is None  # no --as: no requester, as before

    asked = await foiflow("route", ref, "--as", "aisha-rahman")
    assert asked.exit_code == 2
    assert "Q6: suggested community-engagement" in asked.stdout
    assert asked.stderr == "error: routes: give QUESTION=UNIT pairs or --accept-suggestions\n"
    bad_pair = await foiflow("route", ref, "one=vawg", "--as", "aisha-rahman")
    assert (bad_pair.exit_code, bad_pair.stderr) == (
        2,
        "error: routes: 'one=vawg' is not QUESTION=UNIT\n",
    )
    routed = await foiflow("route", ref, "--as", "aisha-rahman", "--accept-suggestions")
    assert routed.stdout == f"{ref}: 7 question(s) routed; status in_progress\n"
    await settled(system, ref)

    # My tasks: the unit's deadline, the case's deadline, working days left.
    tasks = await foiflow("tasks", "--as", "tom-oduya")
    assert tasks.exit_code == 0, tasks.stderr
    mine = rows(tasks, ref)
    assert [r[1:4] for r in mine] == [
        ["1", "vawg", "open"],
        ["2", "vawg", "open"],
        ["3", "vawg", "open"],
    ]
    as_json = [
        t
        for t in json.loads((await foiflow("tasks", "--as", "tom-oduya", "--json")).stdout)
        if t["reference"] == ref
    ]
    assert [t["question"] for t in as_json] == [1, 2, 3]
    assert mine[0][4:6] == [as_json[0]["internal_due"], as_json[0]["statutory_due"]]
    assert isinstance(as_json[0]["working_days_left"], int)

    # A refusal is one line naming the field; nothing is recorded.
    refused = await foiflow(
        "answer", ref, "4", "--as", "tom-oduya", "--kind", "not_held", "--searches", "files"
    )
    assert (refused.exit_code, refused.stderr) == (
        1,
        "error: actor: tom-oduya is not a member of unit hate-crime, which owns Q4\n",
    )
    for q in ("1", "2", "3"):
        done = await foiflow(
            "answer", ref, q, "--as", "tom-oduya", "--kind", "not_held", "--searches", "panel files"
        )
        assert done.stdout.startswith(f"{ref}: Q{q} answered (not_held); status in_progress")
        await settled(system, ref)
    for q, contact in (
        ("4", "priya-nair"),
        ("5", "priya-nair"),
        ("6", "gareth-evans"),
        ("7", "gareth-evans"),
    ):
        done = await foiflow("answer", ref, q, "--as", contact, "--file", str(ANSWER_FILE))
        assert done.exit_code == 0, done.stderr
        await settled(system, ref)
    assert done.stdout == f"{ref}: Q7 answered (partly_held); status sign_off\n"
    assert rows(await foiflow("tasks", "--as", "tom-oduya"), ref) == []

    # What waits for my role: s31 for the senior officer, s40 for the DPO, nothing for a unit.
    waiting = rows(await foiflow("sign-offs", "--as", "david-hughes"), ref)
    assert [r[1:5] for r in waiting] == [
        ["s31", "Q4, Q5, Q6, Q7", "senior_officer", "priya-nair, gareth-evans"]
    ]
    assert [r[1] for r in rows(await foiflow("sign-offs", "--as", "sarah-bennett"), ref)] == ["s40"]
    assert rows(await foiflow("sign-offs", "--as", "tom-oduya"), ref) == []

    signed = await foiflow("sign-off", ref, "31", "--as", "david-hughes")
    assert signed.stdout == f"{ref}: s31 approved; status sign_off\n"
    signed = await foiflow("sign-off", ref, "40", "--as", "sarah-bennett")
    assert signed.stdout == f"{ref}: s40 approved; status response_review\n"
    letter = await foiflow("letter", ref)
    assert "Refusal Notice under Section 17" in letter.stdout
    unseen = await foiflow("letter", ref, "--as", "kevin-ashworth")  # an admin knows no case
    assert (unseen.exit_code, unseen.stderr) == (1, "error: reference: no such case\n")
    approved = await foiflow("approve", ref, "--as", "aisha-rahman")
    assert approved.stdout == f"{ref}: response approved\n"
    issued = await foiflow("issue", ref, "--as", "aisha-rahman")
    assert issued.stdout.startswith(f"{ref}: issued on time (due ")
    assert issued.stdout.endswith("; outcome withheld_in_full\n")

    closed = await foiflow("withdraw", ref, "--as", "aisha-rahman", "--reason", "late change")
    assert (closed.exit_code, closed.stderr) == (
        1,
        f"error: reference: case {ref} is closed; closed cases cannot change\n",
    )


async def test_failures_are_one_line_with_an_exit_code(
    foiflow: Callable[..., Awaitable[Result]],
) -> None:
    missing = await foiflow("case", "01.FOI.26.NOPE", "--as", "aisha-rahman")
    assert (missing.exit_code, missing.stderr) == (1, "error: reference: no such case\n")
    stranger = await foiflow("tasks", "--as", "nobody")
    assert (stranger.exit_code, stranger.stderr) == (
        1,
        "error: --as: 'nobody' is not in the directory (see `foiflow store users list`)\n",
    )
    left = await foiflow("sign-offs", "--as", "left-the-force")
    assert left.stderr == (
        "error: --as: 'left-the-force' is no longer active in the directory "
        "(see `foiflow store users list`)\n"
    )
    down = await foiflow("case", "01.FOI.26.000001", FOIFLOW_TEMPORAL_ADDRESS="127.0.0.1:1")
    assert (down.exit_code, down.stderr) == (
        3,
        "error: FOIFLOW_TEMPORAL_ADDRESS: cannot reach Temporal at 127.0.0.1:1; "
        "is `make run` up?\n",
    )
    naive = await foiflow(
        "clock", "01.FOI.26.000001", "extension", "--as", "aisha-rahman", "--at", "2026-11-24T10:00"
    )
    assert (naive.exit_code, naive.stderr) == (
        2,
        "error: --at: give a time zone, e.g. 2026-11-24T10:00:00+00:00\n",
    )
    unknown = await foiflow(
        "clock", "01.FOI.26.000001", "extension", "--as", "aisha-rahman", "--extension", "forever"
    )
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: extension: Input should be ")
    assert unknown.stderr.count("\n") == 1
    bad_unit = await foiflow(
        "reassign",
        "01.FOI.26.000001",
        "1",
        "Roads Policing",
        "--reason",
        "x",
        "--as",
        "aisha-rahman",
    )
    assert bad_unit.exit_code == 2 and bad_unit.stderr.startswith("error: unit: String should")


async def test_an_answer_file_is_checked_before_anything_is_sent(
    tmp_path: Path, foiflow: Callable[..., Awaitable[Result]]
) -> None:
    broken = tmp_path / "answer.yaml"
    broken.write_text("kind: exempt\nclaims:\n  - subsections: '(1)'\n")
    result = await foiflow(
        "answer", "01.FOI.26.000001", "4", "--as", "priya-nair", "--file", str(broken)
    )
    assert (result.exit_code, result.stderr) == (
        1,
        "error: answer.claims.0.section: Field required\n",
    )
