"""analytics: indexes for daily counts, early warnings in sla_alerts, improvement_actions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_category_created", "tickets", ["category", "created_at"])
    op.create_index("ix_tickets_product_created", "tickets", ["product", "created_at"])
    with op.batch_alter_table("sla_alerts") as batch:
        batch.alter_column("ticket_id", existing_type=sa.String(length=20), nullable=True)
        batch.alter_column("deadline", existing_type=sa.String(length=16), nullable=True)
        batch.alter_column("severity", existing_type=sa.String(length=16), nullable=True)
        batch.alter_column("category", existing_type=sa.String(length=32), nullable=True)
        batch.add_column(sa.Column("subject", sa.String(length=240), nullable=True))
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))
        batch.drop_constraint(op.f("ck_sla_alerts_kind"), type_="check")
        batch.create_check_constraint("kind", "kind IN ('warning', 'breach', 'spike', 'cluster')")
        batch.create_unique_constraint(
            op.f("uq_sla_alerts_kind_subject_due"), ["kind", "subject", "due"]
        )
    op.create_table(
        "improvement_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'in_progress', 'done', 'cancelled')",
            name=op.f("ck_improvement_actions_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_actions")),
    )
    op.create_index("ix_improvement_actions_cause", "improvement_actions", ["category", "product"])


def downgrade() -> None:
    op.drop_index("ix_improvement_actions_cause", table_name="improvement_actions")
    op.drop_table("improvement_actions")
    # Early warnings have no ticket: they cannot stay in the older table.
    op.execute("DELETE FROM sla_alerts WHERE ticket_id IS NULL")
    with op.batch_alter_table("sla_alerts") as batch:
        batch.drop_constraint(op.f("uq_sla_alerts_kind_subject_due"), type_="unique")
        batch.drop_constraint(op.f("ck_sla_alerts_kind"), type_="check")
        batch.create_check_constraint("kind", "kind IN ('warning', 'breach')")
        batch.drop_column("detail")
        batch.drop_column("subject")
        batch.alter_column("category", existing_type=sa.String(length=32), nullable=False)
        batch.alter_column("severity", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("deadline", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("ticket_id", existing_type=sa.String(length=20), nullable=False)
    op.drop_index("ix_tickets_product_created", table_name="tickets")
    op.drop_index("ix_tickets_category_created", table_name="tickets")
