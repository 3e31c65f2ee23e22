"""The review stage's rules for each regime, on the pure review file (no Temporal): the window
and the review clock on the regime's own working days, the FOIA-only extension, and the
regulator each regime names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.case import Actor
from domain.review import (
    ExtendReview,
    NoticeDecision,
    Participants,
    RecordComplaint,
    RecordDecisionNotice,
    RequestReview,
    ReviewInput,
)
from statute import packaged_calendar
from statute.exemptions import Role
from workflows.review_file import ReviewFile
from workflows.rules import Rejected

OFFICER = Actor(user_id="foi.officer", roles=[Role.FOI_OFFICER])
UNIT = Actor(user_id="unit.contact", roles=[Role.UNIT_CONTACT])
# Issued Mon 2 Mar 2026: the windows run over St Patrick's Day (17 Mar, Northern Ireland) and
# Easter Monday (6 Apr, not a Scottish bank holiday): not working days for FOIA and the EIR (a
# bank holiday anywhere in the UK), working days for FOISA (s73: Scottish bank holidays).
ISSUED = datetime(2026, 3, 2, 11, tzinfo=UTC)
LATER = datetime(2026, 3, 20, 11, tzinfo=UTC)


def review_file(regime: str, now: datetime = ISSUED) -> ReviewFile:
    calendar = packaged_calendar().window(date(2025, 1, 1), date(2027, 1, 1)).to_json()
    review = ReviewFile(
        ReviewInput(
            reference="01.FOI.25.000002",
            regime=regime,
            issued_at=ISSUED,
            original_outcome=None,
            participants=Participants(),
            calendar=calendar,
        ),
        now=lambda: now,
    )
    review.open_window()
    return review


def test_the_window_counts_each_regimes_working_days() -> None:
    foia, eir, foisa = (review_file(r).state.window_ends for r in ("foia", "eir", "foisa"))
    assert foia == eir
    assert foia is not None and foisa is not None
    assert (foia - foisa).days == 2  # two working days fewer skipped: two days sooner
    assert "FOISA 2002 s20(5)" in review_file("foisa").state.timeline[0].text
    assert "EIR 2004 reg 11(2)" in review_file("eir").state.timeline[0].text


@pytest.mark.parametrize(
    ("regime", "working_days", "citation"),
    [
        ("foia", 20, "s45 Code"),
        ("eir", 40, "EIR 2004 reg 11(4)"),
        ("foisa", 20, "FOISA 2002 s21(1)"),
    ],
)
def test_each_regimes_review_clock(regime: str, working_days: int, citation: str) -> None:
    review = review_file(regime, LATER)
    review.request(RequestReview(actor=OFFICER, received_on=LATER.date()))
    assert f"{working_days} working days, {citation}" in review.state.timeline[-1].text
    if regime == "foia":
        review.check_extend(ExtendReview(actor=OFFICER, reason="many documents"))
    else:
        with pytest.raises(Rejected, match=f"extension: a {regime.upper()} review may not be"):
            review.check_extend(ExtendReview(actor=OFFICER, reason="many documents"))


def test_who_may_open_a_review_and_when() -> None:
    review = review_file("foia", datetime(2026, 7, 1, 11, tzinfo=UTC))
    with pytest.raises(Rejected, match=r"actor: only an FOI officer may open a review"):
        review.check_request(RequestReview(actor=UNIT, received_on=LATER.date()))
    with pytest.raises(Rejected, match=r"received_on: 2026-03-01 is before the response"):
        review.check_request(RequestReview(actor=OFFICER, received_on=date(2026, 3, 1)))
    ends = review.state.window_ends
    assert ends is not None
    late = ends + timedelta(days=1)
    with pytest.raises(Rejected, match=rf"received_on: {late} is after the review window closed"):
        review.check_request(RequestReview(actor=OFFICER, received_on=late))
    review.check_request(RequestReview(actor=OFFICER, received_on=ends))  # its last day: in time


@pytest.mark.parametrize(
    ("regime", "regulator"),
    [
        ("foia", "the Information Commissioner under section 50 of the Freedom of Information"),
        (
            "eir",
            "the Information Commissioner under section 50 of the Freedom of Information "
            "Act 2000, as applied by regulation 18",
        ),
        (
            "foisa",
            "the Scottish Information Commissioner under section 47 of the Freedom of "
            "Information (Scotland) Act 2002",
        ),
    ],
)
def test_the_complaint_names_each_regimes_regulator(regime: str, regulator: str) -> None:
    review = review_file(regime, LATER)
    review.request(RequestReview(actor=OFFICER, received_on=date(2026, 3, 10)))
    review.check_complaint(RecordComplaint(actor=OFFICER, received_on=LATER.date()))
    review.complaint(RecordComplaint(actor=OFFICER, received_on=LATER.date()))
    assert f"complaint to {regulator}" in review.state.timeline[-1].text


@pytest.mark.parametrize(("regime", "days"), [("foia", 28), ("eir", 28), ("foisa", 42)])
def test_a_decision_notice_may_be_appealed_within_each_regimes_window(
    regime: str, days: int
) -> None:
    review = review_file(regime, LATER)
    review.request(RequestReview(actor=OFFICER, received_on=date(2026, 3, 10)))
    review.complaint(RecordComplaint(actor=OFFICER, received_on=LATER.date()))
    notice_on = date(2026, 5, 1)
    review.decision_notice(
        RecordDecisionNotice(actor=OFFICER, issued_on=notice_on, decision=NoticeDecision.UPHELD)
    )
    assert review.state.regulator is not None
    # FOIA s57 and EIR reg 18: the First-tier Tribunal, 28 days; FOISA s56: the Court of
    # Session, 42 days.
    assert review.state.regulator.appeal_by == notice_on + timedelta(days=days)
