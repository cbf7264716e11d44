"""agent_sessions: console sign-ins (token hash, expiry)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_sessions_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_agent_sessions")),
    )
    op.create_index(
        op.f("ix_agent_sessions_agent_id"), "agent_sessions", ["agent_id"], unique=False
    )
    op.create_index(
        op.f("ix_agent_sessions_expires_at"), "agent_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_agent_sessions_expires_at"), table_name="agent_sessions")
    op.drop_index(op.f("ix_agent_sessions_agent_id"), table_name="agent_sessions")
    op.drop_table("agent_sessions")
