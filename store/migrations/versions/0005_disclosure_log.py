"""The disclosure log: issued responses as published, without the requester's identity.

Revision ID: 0005_disclosure_log
Revises: 0003_intake_register
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_disclosure_log"
down_revision: str | None = "0003_intake_register"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosure_log",
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("response_text", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("withhold_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_disclosure_log")),
    )
    op.create_index(
        "ix_disclosure_log_published_issued_on",
        "disclosure_log",
        ["published", "issued_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_disclosure_log_published_issued_on", table_name="disclosure_log")
    op.drop_table("disclosure_log")
