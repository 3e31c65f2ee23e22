"""A keyed audit log: an algorithm marker on every row, and the chain of heads.

Rows already written keep ``alg = 'sha256'`` (their plain hash chain verifies as before); rows
written from now on are HMAC-SHA256 with the audit key. The key is not known here (migrations run
without settings), so existing heads are recorded in the chain of heads by the first keyed write,
not by this migration.

Revision ID: 0006_audit_keys
Revises: 0003_intake_register
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_audit_keys"
down_revision: str | None = "0005_disclosure_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(
            sa.Column("alg", sa.String(length=40), server_default="sha256", nullable=False)
        )
    op.create_table(
        "audit_head_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_head_log")),
    )
    op.create_index("ix_audit_head_log_chain_seq", "audit_head_log", ["chain", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_head_log_chain_seq", table_name="audit_head_log")
    op.drop_table("audit_head_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("alg")
