"""The case page's "After the response" partial (``pages/reviews/_stages.html``), rendered with
the pages' own environment from a review stage driven through the pure review file: each stage
shows what an officer needs, and nothing shows for a case without one."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

from domain.case import Actor
from domain.review import (
    AssignReviewer,
    NoticeDecision,
    Participants,
    RecordComplaint,
    RecordDecisionNotice,
    RecordReviewOutcome,
    RequestReview,
    ReviewInput,
    ReviewOutcome,
)
from statute import packaged_calendar
from statute.exemptions import Role
from web.pages.templating import make_environment
from workflows.review_file import ReviewFile

OFFICER = Actor(user_id="aisha-rahman", roles=[Role.FOI_OFFICER])
REVIEWER = Actor(user_id="olivia-grant", roles=[Role.MANAGER])
ISSUED = datetime(2025, 3, 3, 11, tzinfo=UTC)


def render(review: object) -> str:
    template = make_environment().get_template("pages/reviews/_stages.html")
    # The words a reader sees, without the markup between them.
    text = re.sub(r"<[^>]+>", " ", template.render(review=review))
    return " ".join(html.unescape(text).split())


def test_each_stage_as_the_case_page_shows_it() -> None:
    now = [ISSUED]
    calendar = packaged_calendar().window(date(2025, 1, 1), date(2027, 1, 1)).to_json()
    review = ReviewFile(
        ReviewInput(
            reference="01.FOI.25.000001",
            regime="foia",
            issued_at=ISSUED,
            original_outcome=None,
            participants=Participants(issued=[OFFICER.user_id]),
            calendar=calendar,
        ),
        now=lambda: now[0],
    )
    review.open_window()
    shown = render(review.view())
    assert "Review window open" in shown
    assert "Review may be asked for until Thursday 1 May 2025" in shown

    review.request(RequestReview(actor=OFFICER, received_on=date(2025, 3, 10)))
    shown = render(review.view())
    assert "Under internal review" in shown and "Not yet assigned" in shown
    assert "Internal review decision: Tuesday 8 April 2025" in shown

    review.assign(AssignReviewer(actor=OFFICER, reviewer=REVIEWER.user_id))
    now[0] = ISSUED + timedelta(days=50)
    review.decide(
        RecordReviewOutcome(
            actor=REVIEWER,
            outcome=ReviewOutcome.OVERTURNED,
            reasons="the prejudice was not shown",
            now_disclosed="the panel members' organisations",
        )
    )
    shown = render(review.view())
    assert "Original decision overturned on Tuesday 22 April 2025" in shown
    assert "Late" in shown and "Now disclosed the panel members' organisations" in shown

    review.complaint(RecordComplaint(actor=OFFICER, received_on=date(2025, 4, 23)))
    review.decision_notice(
        RecordDecisionNotice(
            actor=OFFICER,
            issued_on=date(2025, 4, 23),
            decision=NoticeDecision.UPHELD,
            steps="disclose the panel's terms of reference",
        )
    )
    shown = render(review.view())
    assert "With the regulator" in shown and "The Information Commissioner" in shown
    assert "Decision notice Wednesday 23 April 2025: Complaint upheld" in shown
    assert "disclose the panel's terms of reference by Wednesday 28 May 2025" in shown
    assert "Appeal window ends Wednesday 21 May 2025" in shown


def test_nothing_for_a_case_without_a_review_stage() -> None:
    assert render(None) == ""
