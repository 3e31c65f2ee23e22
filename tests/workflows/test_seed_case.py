"""The demo case end to end (01.FOI.23.031576): routing, answers, sign-offs, response, issue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case import CaseStatus, SignOffStatus, TaskStatus
from domain.messages import ApproveResponse, IssueResponse, SignOffDecision, UpdateResult
from settings import get_settings
from statute.exemptions import Outcome, Role
from store.audit import verify_audit
from store.db import get_engine, session_scope
from store.models import AuditRow, CaseRow
from store.rebuild import case_snapshot, rebuild_read_model, view_snapshot
from workflows.request import FoiRequestWorkflow

from case_driver import DPO, OFFICER, SENIOR, act, answer_seed, route_seed, start_seed


async def test_seed_case_end_to_end(env: WorkflowEnvironment, worker: Worker) -> None:
    received = await env.get_current_time()
    handle = await start_seed(env.client, worker.task_queue, received)

    view = await handle.query(FoiRequestWorkflow.state)
    assert view.status == CaseStatus.TRIAGE
    assert [q.number for q in view.questions] == [1, 2, 3, 4, 5, 6, 7]
    assert view.clock.due_date is not None and view.clock.working_days_remaining == 20

    await route_seed(handle)
    view = await handle.query(FoiRequestWorkflow.state)
    assert view.status == CaseStatus.IN_PROGRESS
    assert view.owning_units == ["community-engagement", "hate-crime", "vawg"]
    assert all(t.internal_due < view.clock.due_date for t in view.tasks)

    await answer_seed(handle)
    view = await handle.query(FoiRequestWorkflow.state)
    assert view.status == CaseStatus.SIGN_OFF
    sign_offs = {s.section: s for s in view.sign_offs}
    assert sign_offs.keys() == {"31", "40"}
    assert sign_offs["31"].required_role == Role.SENIOR_OFFICER
    assert sign_offs["40"].required_role == Role.DATA_PROTECTION_OFFICER
    assert sign_offs["31"].questions == [4, 5, 6, 7]
    assert {t.question for t in view.tasks if t.status == TaskStatus.LOCKED} == {4, 5, 6, 7}

    # An update answers with what it did; the case itself is a query away.
    result = await handle.execute_update(
        FoiRequestWorkflow.decide_sign_off,
        SignOffDecision(actor=SENIOR, section="31", approve=True),
    )
    view = await handle.query(FoiRequestWorkflow.state)
    assert result == UpdateResult(
        reference=view.reference,
        version=view.version,
        status=CaseStatus.SIGN_OFF,
        changed="s31 approved",
    )
    view = await act(
        handle,
        FoiRequestWorkflow.decide_sign_off,
        SignOffDecision(actor=DPO, section="s40", approve=True),
    )
    assert all(s.status == SignOffStatus.APPROVED for s in view.sign_offs)
    assert view.status == CaseStatus.RESPONSE_REVIEW
    assert view.response is not None
    letter = view.response.text
    # Every s17 element: refusal notice, exemptions named, why, public interest, review, ICO.
    for element in (
        "Refusal Notice under Section 17 of the Freedom of Information Act 2000",
        "Section 31(1)(a)(b) – Law enforcement",
        "Section 40(2)(3) – Personal information",
        "Disclosure would prejudice the prevention or detection of crime",
        "Factors favouring disclosure: Transparency about who advises the police",
        "Factors favouring non-disclosure: Members have been targeted",
        "absolute exemption",
        "internal review",
        "complain to the Information Commissioner under section 50 of the Act",
        "No information held",
        "Q7 - All individuals and the organisations they represent",
    ):
        assert element in letter, element
    assert "requester@example.org" not in letter

    await handle.execute_update(FoiRequestWorkflow.approve_response, ApproveResponse(actor=OFFICER))
    await env.sleep(timedelta(days=3))
    await handle.execute_update(FoiRequestWorkflow.issue_response, IssueResponse(actor=OFFICER))
    with env.auto_time_skipping_disabled():  # the case is closing: no clock to move
        result = await handle.result()
    assert result.status == CaseStatus.ISSUED
    assert result.outcome == Outcome.WITHHELD_IN_FULL
    assert result.on_time is True

    view = await handle.query(FoiRequestWorkflow.state)
    kinds = [e.kind for e in view.timeline]
    assert kinds[0] == "received" and kinds[-1] == "issued"
    assert "signed_off" in kinds and "composed" in kinds

    # The read model holds what the workflow holds (no requester), and rebuilding changes nothing.
    engine = get_engine(get_settings().database_url)
    with session_scope(engine) as session:
        assert case_snapshot(session, view.reference) == view_snapshot(view)
        row = session.get(CaseRow, view.reference)
        assert row is not None and row.status == "issued" and row.on_time is True
        assert "requester@example.org" not in str(row.model_dump())
        report = rebuild_read_model(session, [view])
        assert report.unchanged == [view.reference] and not report.changed
        assert verify_audit(session, view.reference) is None
        logged = session.scalars(
            select(AuditRow.text).where(AuditRow.chain == view.reference).order_by(AuditRow.seq)
        ).all()
        assert list(logged) == [e.text for e in view.timeline]
