"""Delivery: the outbox drained by a dispatcher, one row per recipient, channels, digests.

Plain SQLAlchemy types only (no imports from store.models), so this file keeps describing the
schema as it was even after the models change.

Revision ID: 0004_delivery
Revises: 0003_intake_register
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_delivery"
down_revision: str | None = "0006_audit_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX = "notification_outbox"
DELIVERIES = "notification_deliveries"


def upgrade() -> None:
    # Batch mode: SQLite cannot add constraints or drop columns in place (a no-op elsewhere).
    with op.batch_alter_table(OUTBOX) as batch:
        batch.add_column(sa.Column("reference", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_notification_outbox_reference"), ["reference"], unique=False)
        batch.create_index(
            "ix_notification_outbox_status_not_before", ["status", "not_before"], unique=False
        )
    # Rows a sender marked sent before there was a status.
    op.execute(sa.text(f"UPDATE {OUTBOX} SET status = 'sent' WHERE sent_at IS NOT NULL"))

    op.create_table(
        DELIVERIES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("dispatcher", sa.String(length=64), nullable=True),
        sa.Column("digest_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            [f"{OUTBOX}.id"],
            name=op.f("fk_notification_deliveries_outbox_id_notification_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_notification_deliveries_message_id")),
        sa.UniqueConstraint(
            "outbox_id",
            "recipient",
            "channel",
            name=op.f("uq_notification_deliveries_outbox_id_recipient_channel"),
        ),
    )
    op.create_index(
        op.f("ix_notification_deliveries_outbox_id"), DELIVERIES, ["outbox_id"], unique=False
    )
    op.create_index(
        op.f("ix_notification_deliveries_status"), DELIVERIES, ["status"], unique=False
    )
    op.create_table(
        "delivery_routes",
        sa.Column("audience", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("audience", "channel", name=op.f("pk_delivery_routes")),
    )
    op.create_table(
        "delivery_preferences",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_delivery_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_delivery_preferences")),
    )
    op.create_table(
        "dispatcher_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dispatcher_leases")),
    )


def downgrade() -> None:
    op.drop_table("dispatcher_leases")
    op.drop_table("delivery_preferences")
    op.drop_table("delivery_routes")
    op.drop_index(op.f("ix_notification_deliveries_status"), table_name=DELIVERIES)
    op.drop_index(op.f("ix_notification_deliveries_outbox_id"), table_name=DELIVERIES)
    op.drop_table(DELIVERIES)
    with op.batch_alter_table(OUTBOX) as batch:
        batch.drop_index("ix_notification_outbox_status_not_before")
        batch.drop_index(op.f("ix_notification_outbox_reference"))
        for column in (
            "failed_at",
            "claimed_until",
            "claimed_by",
            "not_before",
            "status",
            "facts",
            "kind",
            "reference",
        ):
            batch.drop_column(column)
