"""Actors, the seed case and its answers, for driving FoiRequestWorkflow as its users would."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from activities.case_activities import load_calendar_window
from domain.case import (
    CLOSED_STATUSES,
    Actor,
    Answer,
    AnswerKind,
    CasePolicy,
    CaseView,
    ExemptionClaim,
    RequestIntake,
)
from domain.intake import split_questions
from domain.messages import (
    AnswerTask,
    ApproveResponse,
    CloseCase,
    IssueResponse,
    LoadCalendar,
    Notification,
    RequestInput,
    Route,
    RouteQuestions,
    SignOffDecision,
)
from domain.projection import CaseChanges
from services.temporal import case_calendar, start_case
from settings import get_settings
from statute import CalendarData, packaged_calendar
from statute.calendar import CalendarError
from statute.exemptions import Role
from store.calendars import calendar_repository
from workflows import rules
from workflows.case_file import CaseFile
from workflows.request import FoiRequestWorkflow

SEED_FILE = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed_case.yaml"

OFFICER = Actor(user_id="foi.officer", roles=[Role.FOI_OFFICER], units=["foi"])
VAWG = Actor(user_id="vawg.contact", roles=[Role.UNIT_CONTACT], units=["vawg"])
HATE = Actor(user_id="hate.contact", roles=[Role.UNIT_CONTACT], units=["hate-crime"])
COMMUNITY = Actor(
    user_id="community.contact", roles=[Role.UNIT_CONTACT], units=["community-engagement"]
)
SENIOR = Actor(user_id="senior.officer", roles=[Role.SENIOR_OFFICER])
DPO = Actor(user_id="data.protection", roles=[Role.DATA_PROTECTION_OFFICER])
QUALIFIED_PERSON = Actor(user_id="qualified.person", roles=[Role.QUALIFIED_PERSON])

SEED_ROUTES = {
    1: "vawg",
    2: "vawg",
    3: "vawg",
    4: "hate-crime",
    5: "hate-crime",
    6: "community-engagement",
    7: "community-engagement",
}
UNIT_ACTORS = {"vawg": VAWG, "hate-crime": HATE, "community-engagement": COMMUNITY}

_counter = itertools.count(random.randrange(100_000))
_started: list[WorkflowHandle[FoiRequestWorkflow, Any]] = []


def noon_on(day: date) -> datetime:
    """Midday in London on ``day``: after that day's 09:00 reminders, before the next day's."""
    return datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/London"))


def new_reference() -> str:
    return f"01.FOI.26.{next(_counter):06d}"


def seed_intake(
    received_at: datetime, reference: str | None = None, **changes: Any
) -> RequestIntake:
    data = yaml.safe_load(SEED_FILE.read_text())
    data["reference"] = reference or new_reference()
    data["received_at"] = received_at
    data["questions"] = [q.model_dump() for q in split_questions(data["request_text"])]
    data.update(changes)
    return RequestIntake.model_validate(data)


NOT_HELD = Answer(
    kind=AnswerKind.NOT_HELD,
    searches="VAWG strategic unit records and panel files searched; the panel is being set up",
    note="The MPS is in the process of developing a VAWG panel.",
)

S31 = ExemptionClaim(
    section="31",
    subsections="(1)(a)(b)",
    applies_to="the organisations and groups on the panels",
    reason="Disclosure would reveal how the MPS gathers community intelligence.",
    prejudice="the prevention or detection of crime and the apprehension or prosecution of "
    "offenders",
    likelihood="would",
    public_interest_for=["Transparency about who advises the police"],
    public_interest_against=["Members have been targeted; groups would refuse to work with us"],
)
S40 = ExemptionClaim(
    section="40",
    subsections="(2)(3)",
    applies_to="names of individual members",
    reason="Names are personal data; disclosure would breach the first data protection principle.",
)

PARTLY_EXEMPT = Answer(
    kind=AnswerKind.PARTLY_HELD,
    searches="No central register of advisory group members is kept; unit records searched",
    claims=[S31, S40],
)


def seed_answer(question: int) -> Answer:
    return NOT_HELD if question <= 3 else PARTLY_EXEMPT


async def start_seed(
    client: Client,
    task_queue: str,
    received_at: datetime,
    policy: CasePolicy | None = None,
    **changes: Any,
) -> WorkflowHandle[FoiRequestWorkflow, Any]:
    intake = seed_intake(received_at, **changes)
    calendars = calendar_repository(get_settings())
    inp = RequestInput(intake=intake, policy=policy or CasePolicy())
    handle = await start_case(client, inp, task_queue, calendars)
    _started.append(handle)
    return handle


async def state_of(handle: WorkflowHandle[Any, Any]) -> CaseView:
    view: CaseView = await handle.query(FoiRequestWorkflow.state)
    return view


async def act(handle: WorkflowHandle[Any, Any], update: Any, arg: Any) -> CaseView:
    """Run an update as a user would, then read the case: updates return only what changed."""
    await handle.execute_update(update, arg)
    return await state_of(handle)


async def close_started_cases() -> None:
    while _started:
        handle = _started.pop()
        view = await handle.query(FoiRequestWorkflow.state)
        if view.status not in CLOSED_STATUSES:
            await handle.execute_update(
                FoiRequestWorkflow.close_case, CloseCase(actor=OFFICER, reason="test finished")
            )


def seed_routing() -> RouteQuestions:
    """The officer routing the seed's questions to their units."""
    return RouteQuestions(
        actor=OFFICER, routes=[Route(question=q, unit=u) for q, u in SEED_ROUTES.items()]
    )


async def route_seed(handle: WorkflowHandle[FoiRequestWorkflow, Any]) -> None:
    await handle.execute_update(FoiRequestWorkflow.route_questions, seed_routing())


async def start_seed_routed(
    client: Client, task_queue: str, received_at: datetime
) -> WorkflowHandle[FoiRequestWorkflow, Any]:
    """The seed case started and routed in one workflow task (update-with-start): the
    routing's handler runs before the workflow's main method."""
    intake = seed_intake(received_at)
    inp = RequestInput(intake=intake, policy=CasePolicy())
    inp.calendar = case_calendar(inp, calendar_repository(get_settings()))
    start = WithStartWorkflowOperation(
        FoiRequestWorkflow.run,
        inp,
        id=intake.reference,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    await client.execute_update_with_start_workflow(
        FoiRequestWorkflow.route_questions, seed_routing(), start_workflow_operation=start
    )
    return await start.workflow_handle()


async def answer_seed(
    handle: WorkflowHandle[FoiRequestWorkflow, Any], questions: range = range(1, 8)
) -> None:
    for q in questions:
        await handle.execute_update(
            FoiRequestWorkflow.answer_task,
            AnswerTask(actor=UNIT_ACTORS[SEED_ROUTES[q]], question=q, answer=seed_answer(q)),
        )


async def sign_off_and_approve(handle: WorkflowHandle[FoiRequestWorkflow, Any]) -> None:
    """The seed case's sign-offs by the policy's roles, then the officer's approval."""
    for actor, section in ((SENIOR, "31"), (DPO, "40")):
        await handle.execute_update(
            FoiRequestWorkflow.decide_sign_off,
            SignOffDecision(actor=actor, section=section, approve=True),
        )
    await handle.execute_update(FoiRequestWorkflow.approve_response, ApproveResponse(actor=OFFICER))


async def seed_case_issued(
    env: WorkflowEnvironment,
    handle: WorkflowHandle[FoiRequestWorkflow, Any],
    after: timedelta = timedelta(days=2),
) -> None:
    """The seed case's whole life: routed, answered, signed off and approved; ``after`` that
    long, the officer issues the response."""
    await route_seed(handle)
    await answer_seed(handle)
    await sign_off_and_approve(handle)
    await env.sleep(after)
    await handle.execute_update(FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))


# ---- the case outside Temporal: pure modules, in-memory ports ---------------------------------

LONDON = ZoneInfo("Europe/London")
# Mon 3 Mar 2025: due Tue 1 Apr under FOIA (17 Mar, St Patrick's Day, is skipped).
MARCH_2025 = datetime(2025, 3, 3, 10, tzinfo=LONDON)


class MemoryCalendars:
    """Calendar versions held in memory (version 1: the packaged GOV.UK snapshot)."""

    def __init__(self, *versions: CalendarData) -> None:
        self.versions = list(versions) or [packaged_calendar()]

    def latest(self) -> CalendarData:
        return self.versions[-1]

    def get(self, version: int) -> CalendarData:
        for data in self.versions:
            if data.version == version:
                return data
        raise CalendarError(f"version: no calendar v{version}")


@dataclass
class RecordingOutbox:
    queued: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def enqueue(self, notification: Notification) -> bool:
        if notification.key in self.queued:
            return False
        n = notification
        self.queued[n.key] = (n.audience, n.subject, n.body)
        return True


@dataclass
class RecordingReadModel:
    outbox: RecordingOutbox = field(default_factory=RecordingOutbox)
    views: dict[str, CaseView] = field(default_factory=dict)
    changes: dict[str, list[CaseChanges]] = field(default_factory=dict)

    def apply(self, view: CaseView) -> bool:
        held = self.views.get(view.reference)
        if held is not None and held.version >= view.version:
            return False
        timeline = [*(held.timeline if held else []), *view.timeline]
        self.views[view.reference] = view.model_copy(update={"timeline": timeline})
        return True

    def apply_changes(self, changes: CaseChanges) -> bool:
        """Messages go to ``outbox``; the projection is kept as received, by reference."""
        for notice in changes.notices:
            self.outbox.enqueue(notice)
        held = self.changes.get(changes.reference)
        if held and held[-1].version >= changes.version:
            return False
        self.changes.setdefault(changes.reference, []).append(changes)
        return True

    def status(self, reference: str) -> str:
        """The status the read model holds for ``reference``."""
        if reference in self.changes:
            return self.changes[reference][-1].case.status
        return str(self.views[reference].status)


class ManualClock:
    """``now`` for a case outside Temporal: it moves only when the test moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def move_to(self, at: datetime) -> None:
        assert at >= self.at, "time never goes back"
        self.at = at


def case_file(
    received: datetime = MARCH_2025, policy: CasePolicy | None = None
) -> tuple[CaseFile, ManualClock]:
    """The seed request as a CaseFile, opened an hour after receipt."""
    intake = seed_intake(received, reference="01.FOI.25.000001")
    calendar = load_calendar_window(MemoryCalendars(), LoadCalendar.around(None, received.date()))
    clock = ManualClock(received + timedelta(hours=1))
    inp = RequestInput(intake=intake, policy=policy or CasePolicy(), calendar=calendar)
    case = CaseFile(inp, now=clock)
    case.open()
    return case, clock


def route_file(case: CaseFile) -> CaseFile:
    """The seed routes, checked by the rules and applied, as the workflow does."""
    routes = [Route(question=q, unit=u) for q, u in SEED_ROUTES.items()]
    inp = RouteQuestions(actor=OFFICER, routes=routes)
    rules.check_route(case.state, case.intake.questions, inp)
    case.route(inp)
    return case


def answer_file(case: CaseFile, questions: range = range(1, 8)) -> CaseFile:
    for q in questions:
        inp = AnswerTask(actor=UNIT_ACTORS[SEED_ROUTES[q]], question=q, answer=seed_answer(q))
        rules.check_answer(case.state, inp)
        case.answer(inp)
    return case
