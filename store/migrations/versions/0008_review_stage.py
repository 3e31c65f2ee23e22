"""Reviews and complaints: a request's review window, internal review and regulator stage.

Revision ID: 0008_review_stage
Revises: 0007_dashboard_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_review_stage"
down_revision: str | None = "0007_dashboard_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_reviews",
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("window_ends", sa.Date(), nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("complaint_received_on", sa.Date(), nullable=True),
        sa.Column("decision_notice_on", sa.Date(), nullable=True),
        sa.Column("notice_decision", sa.String(length=32), nullable=True),
        sa.Column("compliance_due", sa.Date(), nullable=True),
        sa.Column("complied_on", sa.Date(), nullable=True),
        sa.Column("appeal_by", sa.Date(), nullable=True),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_case_reviews")),
    )
    op.create_index(op.f("ix_case_reviews_stage"), "case_reviews", ["stage"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_reviews_stage"), table_name="case_reviews")
    op.drop_table("case_reviews")
