"""`foiflow refuse-vexatious` as an FOI officer types it, against the real API (time-skipping
server, the session's worker and store): FOIA's s17(5) notice, FOISA's s16(5) for a repeated
request, the EIR refused with the reason, and usage errors before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from click.testing import Result
from temporalio.testing import WorkflowEnvironment

from services.context import ServiceContext

SEED_CASE = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed_case.yaml"
Settled = Callable[[ServiceContext, str], Awaitable[None]]
Foiflow = Callable[..., Awaitable[Result]]
LoginAs = Callable[[str], Awaitable[Result]]


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


async def test_refusing_requests_as_vexatious_or_repeated(
    env: WorkflowEnvironment,
    system: ServiceContext,
    settled: Settled,
    foiflow: Foiflow,
    login_as: LoginAs,
    tmp_path: Path,
) -> None:
    # Three requests a minute apart: the same text at the same moment is one request.
    received = await env.get_current_time()
    await login_as("aisha-rahman")
    foia = await started(foiflow, request_file(tmp_path, "foia.yaml", received))
    await settled(system, foia)

    usage = await foiflow("refuse-vexatious", foia)
    assert usage.exit_code == 2 and "--reason" in usage.stderr
    bad = await foiflow(
        "refuse-vexatious", foia, "--reason", "again", "--previous-notice", "not a reference"
    )
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: previous_notice: ")

    refused = await foiflow(
        "refuse-vexatious",
        foia,
        "--reason",
        "The ninth request this month about the same panel.",
        "--advice",
        "We will answer a request on a different matter.",
    )
    assert (refused.exit_code, refused.stdout) == (
        0,
        f"{foia}: refused under s14(1); status response_review\n",
    )
    letter = await foiflow("letter", foia)
    assert "Refusal Notice under Section 17(5) of the Freedom of Information Act 2000" in (
        letter.stdout
    )
    again = await foiflow("refuse-vexatious", foia, "--reason", "again")
    assert (again.exit_code, again.stderr) == (
        1,
        "error: status: the case is response_review; refuse as vexatious or repeated is not "
        "possible now\n",
    )

    foisa_file = request_file(
        tmp_path, "foisa.yaml", received - timedelta(minutes=1), regime="foisa"
    )
    foisa = await started(foiflow, foisa_file)
    await settled(system, foisa)
    repeated = await foiflow(
        "refuse-vexatious",
        foisa,
        "--repeated",
        "--reason",
        "The same request as last month's, answered in full.",
        "--previous-notice",
        foia,
    )
    assert repeated.stdout == f"{foisa}: refused under s14(2); status response_review\n"
    letter = await foiflow("letter", foisa)
    assert "No further refusal notice is given for this request (section 16(5) of the Act)." in (
        letter.stdout
    )
    assert f"your earlier request {foia}" in letter.stdout

    eir = await started(
        foiflow, request_file(tmp_path, "eir.yaml", received - timedelta(minutes=2), regime="eir")
    )
    await settled(system, eir)
    no_s14 = await foiflow("refuse-vexatious", eir, "--reason", "vexatious")
    assert no_s14.exit_code == 1
    assert no_s14.stderr.startswith(
        "error: regime: the EIR have no section 14; refuse a manifestly unreasonable request "
        "under regulation 12(4)(b)"
    )
    for reference in (foia, foisa, eir):
        await foiflow("withdraw", reference, "--reason", "test finished")
