"""The intake register: one reference per request, decided in the store before Temporal is asked.

Revision ID: 0003_intake_register
Revises: 0002_identity
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_intake_register"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_register",
        sa.Column("intake_key", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("intake_key", name=op.f("pk_intake_register")),
        sa.UniqueConstraint("reference", name=op.f("uq_intake_register_reference")),
    )


def downgrade() -> None:
    op.drop_table("intake_register")
