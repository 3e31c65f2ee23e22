"""Initial schema: reference data, read model, audit log, outbox, reference counters.

Plain SQLAlchemy types only (no imports from store.models), so this file keeps describing the
schema as it was even after the models change.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 21:55:16.613253
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_audit_log_chain_seq")),
    )
    op.create_table(
        "authority_settings",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_authority_settings")),
    )
    op.create_table(
        "calendar_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("coverage_start", sa.Date(), nullable=False),
        sa.Column("coverage_end", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_calendar_versions")),
    )
    op.create_table(
        "cases",
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("statutory_due_date", sa.Date(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("calendar_version", sa.Integer(), nullable=True),
        sa.Column("cost_hours_total", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("on_time_with_extensions", sa.Boolean(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owning_units", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_cases")),
    )
    op.create_index(op.f("ix_cases_received_at"), "cases", ["received_at"], unique=False)
    op.create_index("ix_cases_status_due_date", "cases", ["status", "due_date"], unique=False)
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_outbox_key")),
    )
    op.create_index(
        op.f("ix_notification_outbox_sent_at"), "notification_outbox", ["sent_at"], unique=False
    )
    op.create_table(
        "reference_counters",
        sa.Column("force", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("force", "year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "sign_off_policy",
        sa.Column("section", sa.String(length=8), nullable=False),
        sa.Column("required_role", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("section", name=op.f("pk_sign_off_policy")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("manager_user_id", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reference"],
            ["cases.reference"],
            name=op.f("fk_case_documents_reference_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
        sa.UniqueConstraint(
            "reference", "kind", "version", name=op.f("uq_case_documents_reference_kind_version")
        ),
    )
    op.create_table(
        "case_tasks",
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("routed_on", sa.Date(), nullable=False),
        sa.Column("internal_due", sa.Date(), nullable=False),
        sa.Column("answer_kind", sa.String(length=32), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("returned_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reference"],
            ["cases.reference"],
            name=op.f("fk_case_tasks_reference_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reference", "question", name=op.f("pk_case_tasks")),
    )
    op.create_index("ix_case_tasks_unit_status", "case_tasks", ["unit", "status"], unique=False)
    op.create_table(
        "exemption_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=8), nullable=False),
        sa.Column("subsections", sa.String(length=64), nullable=False),
        sa.Column("ncnd", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reference"],
            ["cases.reference"],
            name=op.f("fk_exemption_claims_reference_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exemption_claims")),
    )
    op.create_index(
        op.f("ix_exemption_claims_reference"), "exemption_claims", ["reference"], unique=False
    )
    op.create_index(
        op.f("ix_exemption_claims_section"), "exemption_claims", ["section"], unique=False
    )
    op.create_table(
        "reminders_sent",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=100), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reference"],
            ["cases.reference"],
            name=op.f("fk_reminders_sent_reference_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reminders_sent")),
    )
    op.create_index(
        op.f("ix_reminders_sent_reference"), "reminders_sent", ["reference"], unique=False
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_routing_rules_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("phrase", name=op.f("uq_routing_rules_phrase")),
    )
    op.create_table(
        "sign_offs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=8), nullable=False),
        sa.Column("required_role", sa.String(length=40), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reference"],
            ["cases.reference"],
            name=op.f("fk_sign_offs_reference_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_offs")),
    )
    op.create_index(op.f("ix_sign_offs_reference"), "sign_offs", ["reference"], unique=False)
    op.create_index(
        op.f("ix_sign_offs_required_role"), "sign_offs", ["required_role"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_offs_required_role"), table_name="sign_offs")
    op.drop_index(op.f("ix_sign_offs_reference"), table_name="sign_offs")
    op.drop_table("sign_offs")
    op.drop_table("routing_rules")
    op.drop_index(op.f("ix_reminders_sent_reference"), table_name="reminders_sent")
    op.drop_table("reminders_sent")
    op.drop_index(op.f("ix_exemption_claims_section"), table_name="exemption_claims")
    op.drop_index(op.f("ix_exemption_claims_reference"), table_name="exemption_claims")
    op.drop_table("exemption_claims")
    op.drop_index("ix_case_tasks_unit_status", table_name="case_tasks")
    op.drop_table("case_tasks")
    op.drop_table("case_documents")
    op.drop_table("users")
    op.drop_table("units")
    op.drop_table("sign_off_policy")
    op.drop_table("reference_counters")
    op.drop_index(op.f("ix_notification_outbox_sent_at"), table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_index("ix_cases_status_due_date", table_name="cases")
    op.drop_index(op.f("ix_cases_received_at"), table_name="cases")
    op.drop_table("cases")
    op.drop_table("calendar_versions")
    op.drop_table("authority_settings")
    op.drop_table("audit_log")
    op.drop_table("audit_heads")
