"""`foiflow review …` as FOI officers and a reviewer type it, against the real API: a refused
request issued, its review opened from the requester's message, the officer who issued it
refused as reviewer, the reviewer's outcome and its letter; usage errors before anything is
sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from click.testing import Result
from temporalio.testing import WorkflowEnvironment
from test_regime_cli import request_file, started

from services.context import ServiceContext

Settled = Callable[[ServiceContext, str], Awaitable[None]]
Foiflow = Callable[..., Awaitable[Result]]
LoginAs = Callable[[str], Awaitable[Result]]


async def test_a_review_from_the_terminal(
    env: WorkflowEnvironment,
    system: ServiceContext,
    settled: Settled,
    foiflow: Foiflow,
    login_as: LoginAs,
    tmp_path: Path,
) -> None:
    received = await env.get_current_time()
    await login_as("aisha-rahman")
    reference = await started(foiflow, request_file(tmp_path, "r.yaml", received))
    await settled(system, reference)
    for step in (
        ("refuse-vexatious", reference, "--reason", "The ninth request this month."),
        ("approve", reference),
        ("issue", reference),
    ):
        result = await foiflow(*step)
        assert result.exit_code == 0, result.output

    shown = await foiflow("review", "show", reference)
    assert shown.exit_code == 0 and "review may be asked for until" in shown.stdout

    bad = await foiflow("review", "open", reference, "--received", "2026-13-01")
    assert bad.exit_code == 2
    today = (await env.get_current_time()).date().isoformat()
    opened = await foiflow("review", "open", reference, "--received", today)
    assert opened.exit_code == 0, opened.output
    assert f"review asked for {today}; due " in opened.stdout

    mine = await foiflow("review", "assign", reference, "aisha-rahman")
    assert mine.exit_code == 1
    assert mine.stderr.startswith(
        "error: reviewer: aisha-rahman approved and issued the original response"
    ), mine.stderr
    assigned = await foiflow("review", "assign", reference, "olivia-grant")
    assert assigned.exit_code == 0 and "reviewer: olivia-grant" in assigned.stdout

    await login_as("olivia-grant")
    vague = await foiflow(
        "review", "outcome", reference, "overturned", "--reasons", "not vexatious"
    )
    assert vague.exit_code == 1 and vague.stderr.startswith("error: now_disclosed: ")
    decided = await foiflow(
        "review",
        "outcome",
        reference,
        "overturned",
        "--reasons",
        "The requests had a serious purpose.",
        "--now-disclosed",
        "the request will be answered in full",
    )
    assert decided.exit_code == 0, decided.output
    assert "outcome: overturned on" in decided.stdout and "(on time)" in decided.stdout
    letter = await foiflow("review", "letter", reference)
    assert "The review overturns the original decision." in letter.stdout
    assert "Information Commissioner under section 50" in letter.stdout
