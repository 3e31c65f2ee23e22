"""The dashboard's on-time rate by month: issued cases by time of issue, read from the index
alone (status, issued_at and the two on-time flags), not from every issued case's row.

Revision ID: 0007_dashboard_indexes
Revises: 0004_delivery
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_dashboard_indexes"
down_revision: str | None = "0004_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_cases_status_issued_at"


def upgrade() -> None:
    op.create_index(
        INDEX, "cases", ["status", "issued_at", "on_time", "on_time_with_extensions"], unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="cases")
