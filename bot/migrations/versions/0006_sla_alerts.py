"""sla_alerts, sla_alert_deliveries and leases: the SLA monitor's exactly-once alerts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 16:40:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "sla_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("deadline", sa.String(length=16), nullable=False),
        sa.Column("due", UTCDateTime(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "deadline IN ('first_response', 'resolution')", name=op.f("ck_sla_alerts_deadline")
        ),
        sa.CheckConstraint("kind IN ('warning', 'breach')", name=op.f("ck_sla_alerts_kind")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_sla_alerts_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alerts")),
        sa.UniqueConstraint(
            "ticket_id",
            "kind",
            "deadline",
            "due",
            name=op.f("uq_sla_alerts_ticket_id_kind_deadline_due"),
        ),
    )
    op.create_index("ix_sla_alerts_created_at", "sla_alerts", ["created_at"], unique=False)
    op.create_table(
        "sla_alert_deliveries",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["sla_alerts.id"],
            name=op.f("fk_sla_alert_deliveries_alert_id_sla_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "target", name=op.f("pk_sla_alert_deliveries")),
    )
    op.create_index(
        op.f("ix_sla_alert_deliveries_next_attempt_at"),
        "sla_alert_deliveries",
        ["next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_sla_alert_deliveries_next_attempt_at"), table_name="sla_alert_deliveries"
    )
    op.drop_table("sla_alert_deliveries")
    op.drop_index("ix_sla_alerts_created_at", table_name="sla_alerts")
    op.drop_table("sla_alerts")
    op.drop_table("leases")
