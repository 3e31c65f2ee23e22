"""Indexes for the case lists at 100,000 cases: pages in the list's order (due date, then
reference) read from an index however deep, the status filter and a unit's tasks answered from
their indexes alone, and joins that only ask whether a case is open.

Revision ID: 0009_list_indexes
Revises: 0008_review_stage
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_list_indexes"
down_revision: str | None = "0008_review_stage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each replaced index is a prefix of its successor: nothing that used it loses its plan.
    op.create_index(
        "ix_cases_status_due_date_reference", "cases", ["status", "due_date", "reference"]
    )
    op.drop_index("ix_cases_status_due_date", table_name="cases")
    op.create_index("ix_cases_due_date_reference", "cases", ["due_date", "reference", "status"])
    op.create_index("ix_cases_reference_status", "cases", ["reference", "status"])
    op.create_index(
        "ix_case_tasks_unit_status_due",
        "case_tasks",
        ["unit", "status", "internal_due", "reference"],
    )
    op.drop_index("ix_case_tasks_unit_status", table_name="case_tasks")


def downgrade() -> None:
    op.create_index("ix_case_tasks_unit_status", "case_tasks", ["unit", "status"])
    op.drop_index("ix_case_tasks_unit_status_due", table_name="case_tasks")
    op.drop_index("ix_cases_reference_status", table_name="cases")
    op.drop_index("ix_cases_due_date_reference", table_name="cases")
    op.create_index("ix_cases_status_due_date", "cases", ["status", "due_date"])
    op.drop_index("ix_cases_status_due_date_reference", table_name="cases")
