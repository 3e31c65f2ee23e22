"""The case commands as users type them, logged in to the real API on a port (time-skipping
server, the session's worker and store): the demo case from triage to issue by the people who
own each step, `case` as each of them sees it, `tasks`, `sign-offs`, `cases` with filters and
pages, and every kind of failure as one line with its exit code."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from click.testing import Result
from temporalio.testing import WorkflowEnvironment

from services.context import ServiceContext

ROOT = Path(__file__).resolve().parents[2]
ANSWER_FILE = ROOT / "cli" / "demo" / "answer-exempt.yaml"
SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
Settled = Callable[[ServiceContext, str], Awaitable[None]]
Foiflow = Callable[..., Awaitable[Result]]
LoginAs = Callable[[str], Awaitable[Result]]


def rows(result: Result, reference: str) -> list[list[str]]:
    """The table rows for ``reference``, as cells."""
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in result.stdout.splitlines()
        if reference in line
    ]


def request_file(folder: Path, name: str, received_at: datetime, **changes: Any) -> Path:
    """The demo request without its fixed reference (each test gets a new case)."""
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document["received_at"] = received_at.isoformat()
    document.update(changes)
    path = folder / name
    path.write_text(yaml.safe_dump(document))
    return path


async def started(foiflow: Foiflow, path: Path) -> str:
    result = await foiflow("start", str(path))
    assert result.exit_code == 0, result.output
    reference, due = result.stdout.rstrip("\n").split("\t")
    assert re.fullmatch(r"due \d{4}-\d\d-\d\d", due), result.stdout
    return reference


async def test_the_demo_case_from_the_terminal(
    env: WorkflowEnvironment,
    system: ServiceContext,
    settled: Settled,
    foiflow: Foiflow,
    login_as: LoginAs,
    tmp_path: Path,
) -> None:
    received = await env.get_current_time()
    await login_as("aisha-rahman")
    path = request_file(tmp_path, "request.yaml", received)
    ref = await started(foiflow, path)
    again = await foiflow("start", str(path))
    assert again.stdout.startswith(f"{ref}\tdue ") and again.stdout.endswith(" (already open)\n")
    wrong_regime = request_file(tmp_path, "sar.yaml", received, regime="sar")
    refused_start = await foiflow("start", str(wrong_regime))
    assert (refused_start.exit_code, refused_start.stderr) == (
        1,
        "error: regime: 'sar' is not one of foia, eir, foisa\n",
    )
    await settled(system, ref)

    # Before routing: who asked, the questions with the units the rules suggest, what I may do.
    shown = await foiflow("case", ref)
    assert shown.exit_code == 0, shown.output
    assert "status: triage" in shown.stdout
    assert "requester: A. Requester <requester@example.org>" in shown.stdout
    lines = shown.stdout.splitlines()
    q1 = next(line for line in lines if line.startswith("│ 1 "))
    assert "All organisations and community groups represented on your VAWG" in q1
    assert "suggested: vawg" in q1 and "unrouted" in q1
    assert "suggested: hate-crime" in next(line for line in lines if line.startswith("│ 4 "))
    assert "You may: Route questions," in shown.stdout
    as_json = json.loads((await foiflow("case", ref, "--json")).stdout)
    assert as_json["requester"]["name"] == "A. Requester"
    assert {"action": "route", "label": "Route questions"} in as_json["actions"]

    asked = await foiflow("route", ref)
    assert asked.exit_code == 2
    assert "Q6: suggested community-engagement" in asked.stdout
    assert asked.stderr == "error: routes: give QUESTION=UNIT pairs or --accept-suggestions\n"
    bad_pair = await foiflow("route", ref, "one=vawg")
    assert (bad_pair.exit_code, bad_pair.stderr) == (
        2,
        "error: routes: 'one=vawg' is not QUESTION=UNIT\n",
    )
    # A unit contact may not route, nor start cases (403), nor know a triage case exists (404).
    await login_as("tom-oduya")
    not_theirs = await foiflow("route", ref, "1=vawg")
    assert (not_theirs.exit_code, not_theirs.stderr) == (1, "error: reference: no such case\n")
    forbidden = await foiflow("start", str(path))
    assert (forbidden.exit_code, forbidden.stderr) == (
        1,
        "error: actor: tom-oduya is not a foi_officer and cannot start cases\n",
    )

    await login_as("aisha-rahman")
    routed = await foiflow("route", ref, "--accept-suggestions")
    assert routed.stdout == f"{ref}: 7 question(s) routed; status in_progress\n"
    await settled(system, ref)
    again_routed = await foiflow("route", ref, "1=vawg")
    assert again_routed.exit_code == 1 and again_routed.stderr.startswith("error: ")

    # A unit contact sees the case routed to them — never who asked — and their tasks.
    await login_as("tom-oduya")
    seen = await foiflow("case", ref)
    assert seen.exit_code == 0, seen.output
    assert "A. Requester" not in seen.stdout and "requester@example.org" not in seen.stdout
    assert "requester:" not in seen.stdout
    assert "You may: Answer" in seen.stdout
    seen_json = await foiflow("case", ref, "--json")
    assert json.loads(seen_json.stdout)["requester"] is None
    assert "requester@example.org" not in seen_json.stdout
    letter_unseen = await foiflow("letter", ref)  # nothing composed yet
    assert letter_unseen.exit_code == 1 and letter_unseen.stderr.startswith("error: reference: ")

    tasks = await foiflow("tasks")
    assert tasks.exit_code == 0, tasks.output
    assert "open task(s) for tom-oduya" in tasks.stdout
    mine = rows(tasks, ref)
    assert [r[1:4] for r in mine] == [
        ["1", "vawg", "open"],
        ["2", "vawg", "open"],
        ["3", "vawg", "open"],
    ]
    tasks_json = [
        t for t in json.loads((await foiflow("tasks", "--json")).stdout) if t["reference"] == ref
    ]
    assert [t["question"] for t in tasks_json] == [1, 2, 3]
    assert mine[0][4:6] == [tasks_json[0]["internal_due"], tasks_json[0]["statutory_due"]]
    assert isinstance(tasks_json[0]["working_days_left"], int)

    # A refusal is one line naming the field; nothing is recorded.
    refused = await foiflow("answer", ref, "4", "--kind", "not_held", "--searches", "files")
    assert (refused.exit_code, refused.stderr) == (
        1,
        "error: actor: tom-oduya is not a member of unit hate-crime, which owns Q4\n",
    )
    for q in ("1", "2", "3"):
        done = await foiflow("answer", ref, q, "--kind", "not_held", "--searches", "panel files")
        assert done.stdout.startswith(f"{ref}: Q{q} answered (not_held); status in_progress")
        await settled(system, ref)
    for contact, questions in (("priya-nair", ("4", "5")), ("gareth-evans", ("6", "7"))):
        await login_as(contact)
        for q in questions:
            done = await foiflow("answer", ref, q, "--file", str(ANSWER_FILE))
            assert done.exit_code == 0, done.output
            await settled(system, ref)
    assert done.stdout == f"{ref}: Q7 answered (partly_held); status sign_off\n"
    await login_as("tom-oduya")
    assert rows(await foiflow("tasks"), ref) == []
    assert rows(await foiflow("sign-offs"), ref) == []  # a unit signs nothing off

    # What waits for my role: s31 for the senior officer, s40 for the DPO.
    await login_as("david-hughes")
    waiting = await foiflow("sign-offs")
    assert "sign-off(s) waiting for david-hughes" in waiting.stdout
    assert [r[1:5] for r in rows(waiting, ref)] == [
        ["s31", "Q4, Q5, Q6, Q7", "senior_officer", "priya-nair, gareth-evans"]
    ]
    approver_view = await foiflow("case", ref, "--json")
    assert json.loads(approver_view.stdout)["requester"] is None  # approvers never see who asked
    signed = await foiflow("sign-off", ref, "31")
    assert signed.stdout == f"{ref}: s31 approved; status sign_off\n"
    await settled(system, ref)
    await login_as("sarah-bennett")
    assert [r[1] for r in rows(await foiflow("sign-offs"), ref)] == ["s40"]
    dpo_json = json.loads((await foiflow("sign-offs", "--json")).stdout)
    assert [(s["reference"], s["section"]) for s in dpo_json if s["reference"] == ref] == [
        (ref, "40")
    ]
    signed = await foiflow("sign-off", ref, "40")
    assert signed.stdout == f"{ref}: s40 approved; status response_review\n"
    await settled(system, ref)

    await login_as("aisha-rahman")
    letter = await foiflow("letter", ref)
    assert "Refusal Notice under Section 17" in letter.stdout
    approved = await foiflow("approve", ref)
    assert approved.stdout == f"{ref}: response approved\n"
    await settled(system, ref)
    issued = await foiflow("issue", ref)
    assert issued.stdout.startswith(f"{ref}: issued on time (due ")
    assert issued.stdout.endswith("; outcome withheld_in_full\n")
    closed = await foiflow("withdraw", ref, "--reason", "late change")
    assert (closed.exit_code, closed.stderr) == (
        1,
        f"error: reference: case {ref} is closed; closed cases cannot change\n",
    )
    after = await foiflow("case", ref)
    assert "status: issued" in after.stdout and "You may: nothing now" in after.stdout

    await login_as("kevin-ashworth")  # an admin keeps reference data and knows no case
    unseen = await foiflow("letter", ref)
    assert (unseen.exit_code, unseen.stderr) == (1, "error: reference: no such case\n")


async def test_cases_filters_and_pages(
    env: WorkflowEnvironment,
    system: ServiceContext,
    settled: Settled,
    foiflow: Foiflow,
    login_as: LoginAs,
    tmp_path: Path,
) -> None:
    await login_as("aisha-rahman")
    # One case received long ago (its deadline passed: overdue) and routed; one new, in triage.
    old = await started(
        foiflow,
        request_file(tmp_path, "old.yaml", datetime.fromisoformat("2025-03-03T10:00:00+00:00")),
    )
    new = await started(
        foiflow,
        request_file(
            tmp_path, "new.yaml", await env.get_current_time(), request_text="1. Speed cameras"
        ),
    )
    await settled(system, old)
    routed = await foiflow("route", old, "--accept-suggestions")
    assert routed.exit_code == 0, routed.output
    await settled(system, old)
    await settled(system, new)

    async def listed(*options: str) -> set[str]:
        result = await foiflow("cases", "--per-page", "200", *options)
        assert result.exit_code == 0, result.output
        return {r[0] for r in rows(result, ".FOI.")}

    everything = await foiflow("cases")
    [old_row] = rows(everything, old)
    assert old_row[1:5] == ["in_progress", "foia", "2025-04-01", "yes"]
    assert old_row[5] == "community-engagement, hate-crime, vawg"
    assert re.search(r"^page 1 of \d+ \(\d+ cases\)$", everything.stdout, re.M)

    assert old in await listed("--overdue") and new not in await listed("--overdue")
    assert new in await listed("--not-overdue") and old not in await listed("--not-overdue")
    triage = await listed("--status", "triage")
    assert new in triage and old not in triage
    assert old in await listed("--status", "in_progress")
    assert old in await listed("--unit", "vawg") and new not in await listed("--unit", "vawg")
    early = await listed("--regime", "foia", "--due-before", "2025-04-02")
    assert old in early and new not in early
    assert old not in await listed("--regime", "eir", "--due-before", "2025-04-02")
    assert old not in await listed("--due-before", "2025-04-01")  # strictly before

    # One case a page: every page says where it is, and together they list each case once.
    first = await foiflow("cases", "--due-before", "2025-04-02", "--per-page", "1")
    counted = re.search(r"^page 1 of (\d+) \((\d+) cases\)$", first.stdout, re.M)
    assert counted is not None, first.stdout
    pages, total = int(counted[1]), int(counted[2])
    assert pages == total >= 1
    seen: list[str] = []
    for page in range(1, pages + 1):
        result = await foiflow(
            "cases", "--due-before", "2025-04-02", "--per-page", "1", "--page", str(page)
        )
        assert f"page {page} of {pages} ({total} cases)" in result.stdout
        found = rows(result, ".FOI.")
        assert len(found) == 1, result.stdout
        seen.append(found[0][0])
    assert old in seen and len(set(seen)) == len(seen) == total
    past_the_end = await foiflow("cases", "--due-before", "2025-04-02", "--page", "999")
    assert rows(past_the_end, ".FOI.") == []
    assert f"page 999 of {max(1, -(-total // 50))} ({total} cases)" in past_the_end.stdout
    as_json = json.loads((await foiflow("cases", "--due-before", "2025-04-02", "--json")).stdout)
    assert as_json["total"] == total and old in [c["reference"] for c in as_json["items"]]

    # A unit contact lists the cases routed to their unit only.
    await login_as("tom-oduya")
    theirs = await listed()
    assert old in theirs and new not in theirs

    # Bad filters are named by their option, before anything is sent.
    for options, expected in (
        (("--status", "open'); DROP"), "error: --status: Input should be 'triage'"),
        (("--unit", "vawg' OR 'x'='x"), "error: --unit: String should match pattern"),
        (("--due-before", "next week"), "error: --due-before: Input should be a valid date"),
        (("--per-page", "500"), "error: --per-page: Input should be less than or equal to 200"),
        (("--page", "0"), "error: --page: Input should be greater than or equal to 1"),
    ):
        bad = await foiflow("cases", *options)
        assert bad.exit_code == 2 and bad.stderr.startswith(expected), bad.stderr
        assert bad.stderr.count("\n") == 1

    await login_as("aisha-rahman")
    for reference in (old, new):
        withdrawn = await foiflow("withdraw", reference, "--reason", "test finished")
        assert withdrawn.stdout == f"{reference}: withdrawn\n"


async def test_input_is_checked_before_anything_is_sent(
    foiflow: Foiflow, login_as: LoginAs, tmp_path: Path
) -> None:
    # Not logged in at all: these fail on their input, not on the missing login.
    naive = await foiflow("clock", "01.FOI.26.000001", "extension", "--at", "2026-11-24T10:00")
    assert (naive.exit_code, naive.stderr) == (
        2,
        "error: --at: give a time zone, e.g. 2026-11-24T10:00:00+00:00\n",
    )
    unknown = await foiflow("clock", "01.FOI.26.000001", "extension", "--extension", "forever")
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: extension: Input should be ")
    assert unknown.stderr.count("\n") == 1
    bad_unit = await foiflow("reassign", "01.FOI.26.000001", "1", "Roads Policing", "--reason", "x")
    assert bad_unit.exit_code == 2 and bad_unit.stderr.startswith("error: unit: String should")
    broken = tmp_path / "answer.yaml"
    broken.write_text("kind: exempt\nclaims:\n  - subsections: '(1)'\n")
    result = await foiflow("answer", "01.FOI.26.000001", "4", "--file", str(broken))
    assert (result.exit_code, result.stderr) == (
        1,
        "error: answer.claims.0.section: Field required\n",
    )
    no_kind = await foiflow("answer", "01.FOI.26.000001", "4")
    assert no_kind.exit_code == 2 and no_kind.stderr.startswith("error: --kind: ")
    missing = await foiflow("start", str(tmp_path / "missing.yaml"))
    assert missing.exit_code == 2 and missing.stderr.startswith("error: file: cannot read ")
    naive_start = await foiflow("start", str(broken), "--received-at", "2026-11-24T10:00:00")
    assert (naive_start.exit_code, naive_start.stderr) == (
        2,
        "error: --received-at: give a time zone, e.g. 2026-11-24T10:00:00+00:00\n",
    )

    # Logged in: the API's refusals are one line, exit 1.
    await login_as("aisha-rahman")
    no_case = await foiflow("case", "01.FOI.26.NOPE")
    assert (no_case.exit_code, no_case.stderr) == (1, "error: reference: no such case\n")
    bad_reference = await foiflow("issue", "no such/ref")
    assert bad_reference.exit_code == 1 and bad_reference.stderr.count("\n") == 1
