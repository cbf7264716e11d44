"""remedy_requests: remedies above their requester's authority, waiting for approval

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:00:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remedy_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("why", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'declined')",
            name=op.f("ck_remedy_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_remedy_requests_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy_requests")),
    )
    op.create_index(
        "ix_remedy_requests_status", "remedy_requests", ["status", "requested_at"], unique=False
    )
    op.create_index(
        op.f("ix_remedy_requests_ticket_id"), "remedy_requests", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_remedy_requests_ticket_id"), table_name="remedy_requests")
    op.drop_index("ix_remedy_requests_status", table_name="remedy_requests")
    op.drop_table("remedy_requests")
