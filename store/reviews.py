"""Reviews and complaints in the read model: ``ReviewWorkflow``'s projection.

Applied only when newer than the stored row (activities may be retried or redelivered).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.review import ReviewView
from store.models import ReviewRow, utcnow


def apply_review_view(session: Session, view: ReviewView) -> bool:
    """Write ``view`` when it is newer than the stored one; True when it was applied."""
    row = session.get(ReviewRow, view.reference)
    if row is not None and row.version >= view.version:
        return False
    if row is None:
        row = ReviewRow(
            reference=view.reference, version=view.version, regime=view.regime, stage=""
        )
        session.add(row)
    regulator = view.regulator
    row.version = view.version
    row.regime = view.regime
    row.stage = view.stage.value
    row.window_ends = view.window_ends
    row.requested_on = view.requested_on
    row.due = view.due
    row.extended = view.extended
    row.reviewer = view.reviewer
    row.outcome = view.outcome.value if view.outcome else None
    row.decided_on = view.decided_on
    row.on_time = view.on_time
    row.complaint_received_on = regulator.complaint_received_on if regulator else None
    row.decision_notice_on = regulator.decision_notice_on if regulator else None
    row.notice_decision = regulator.decision.value if regulator and regulator.decision else None
    row.compliance_due = regulator.compliance_due if regulator else None
    row.complied_on = regulator.complied_on if regulator else None
    row.appeal_by = regulator.appeal_by if regulator else None
    row.view = view.model_dump(mode="json")
    row.updated_at = utcnow()
    return True


def get_review(session: Session, reference: str) -> ReviewView | None:
    row = session.get(ReviewRow, reference)
    return ReviewView.model_validate(row.view) if row is not None else None


def reviews_for(session: Session, references: list[str]) -> list[ReviewRow]:
    if not references:
        return []
    return list(
        session.scalars(select(ReviewRow).where(ReviewRow.reference.in_(references))).all()  # type: ignore[attr-defined]
    )
