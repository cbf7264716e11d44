"""handoff queue, claim history and agent presence

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:30:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_queue",
        sa.Column("ticket_id", sa.String(length=20), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("boost", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=True),
        sa.Column("enqueued_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "severity IN ('general', 'major', 'urgent')", name=op.f("ck_handoff_queue_severity")
        ),
        sa.CheckConstraint("boost >= 0", name=op.f("ck_handoff_queue_boost")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_handoff_queue_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_handoff_queue_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_handoff_queue")),
    )
    op.create_table(
        "handoff_claims",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=20), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("enqueued_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_handoff_claims_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_claims")),
    )
    op.create_index(
        op.f("ix_handoff_claims_claimed_at"), "handoff_claims", ["claimed_at"], unique=False
    )
    op.create_table(
        "agent_presence",
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=True),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('on_duty', 'away')", name=op.f("ck_agent_presence_status")),
        sa.PrimaryKeyConstraint("agent", name=op.f("pk_agent_presence")),
    )


def downgrade() -> None:
    op.drop_table("agent_presence")
    op.drop_index(op.f("ix_handoff_claims_claimed_at"), table_name="handoff_claims")
    op.drop_table("handoff_claims")
    op.drop_table("handoff_queue")
